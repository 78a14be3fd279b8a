"""A project whose LLM judges and reviewers are known in advance (agreement, flags, corrected
results).

Two runs of one task score the same kind of multilingual samples with the scorer
`model_graded_qa`, graded by two different models (so two judges): GPT-4o on the target system
(a poor judge: it follows the truth 55% of the time) and Claude on the reference system (a good
one: 97%). Each sample has 1-3 reviews by three reviewers: labels "correct" (verdict 1),
"incorrect" (verdict 0), "environment bug" (verdict None: says nothing), some with a manual
score instead. The review queue (slice key `language`) holds the samples numbered below 12; the
others may be reviewed ad hoc. The queue's guideline version sets judge_min_kappa 0.6.

`PLAN` is the whole world as plain data: the tests compute their expected figures from it
without Concord's code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from evaluations.models import (
    Guideline,
    GuidelineVersion,
    ReviewLabel,
    ReviewQueue,
    ReviewQueueItem,
    RunScorer,
    SampleResult,
    SampleReview,
)
from institutes.models import Role
from tests.evaluations.factories import (
    AISystemFactory,
    ProjectSystemFactory,
    RunFactory,
    TaskFactory,
)
from tests.factories import member

LANGUAGES = ("en", "fr", "sw")
PER_LANGUAGE = 16
IN_QUEUE_BELOW = 12
SCORER = "model_graded_qa"
GRADERS = {"gpt": "openai/gpt-4o", "claude": "anthropic/claude-3-5-sonnet"}
ACCURACY = {"gpt": 0.55, "claude": 0.97}
THRESHOLD = 0.6
LABEL_VERDICTS = {"jw-correct": 1.0, "jw-incorrect": 0.0, "jw-env-bug": None}


@dataclass(frozen=True)
class PlannedSample:
    run: str  # "gpt" or "claude"
    sample_id: str
    language: str
    judge: float  # the judge's (and the headline's) score, 0 or 1
    in_queue: bool
    reviews: tuple[tuple[int, str, float | None], ...]  # (reviewer index, label slug, manual)


def _plan(seed: int = 7) -> list[PlannedSample]:
    rng = random.Random(seed)
    plan = []
    for run in ("gpt", "claude"):
        for language in LANGUAGES:
            for i in range(PER_LANGUAGE):
                truth = rng.random() < 0.55
                right = rng.random() < ACCURACY[run]
                judge = float(truth if right else not truth)
                count = rng.choice((1, 2, 2, 3, 3))
                reviewers = rng.sample(range(3), count)
                reviews = []
                for reviewer in sorted(reviewers):
                    draw = rng.random()
                    agrees = rng.random() < 0.93
                    verdict = truth if agrees else not truth
                    if draw < 0.12:
                        reviews.append((reviewer, "jw-env-bug", None))
                    elif draw < 0.3:
                        reviews.append((reviewer, "jw-env-bug", 0.9 if verdict else 0.1))
                    else:
                        reviews.append(
                            (reviewer, "jw-correct" if verdict else "jw-incorrect", None)
                        )
                if i >= IN_QUEUE_BELOW and rng.random() < 0.5:
                    reviews = []  # some samples outside the queue were never reviewed
                plan.append(
                    PlannedSample(
                        run, f"{language}-{i}", language, judge, i < IN_QUEUE_BELOW, tuple(reviews)
                    )
                )
    return plan


PLAN = _plan()


@dataclass
class JudgeWorld:
    project: object
    task: object
    runs: dict = field(default_factory=dict)  # "gpt"/"claude" -> EvaluationRun
    queue: ReviewQueue | None = None
    reviewers: list = field(default_factory=list)
    version: GuidelineVersion | None = None


def build_judge_world(
    *, project, institute, created_by, queue_threshold=True, tag=""
) -> JudgeWorld:
    """Write PLAN into `project` (runs by `institute`); `queue_threshold=False` leaves the queue
    without a guideline version (the threshold then comes from the project's adoptions); `tag`
    tells a second world in the same project apart."""
    prefix = f"{project.slug}{tag}"
    labels = {
        slug: ReviewLabel.objects.get_or_create(
            slug=slug, defaults={"name": slug[3:].replace("-", " "), "verdict": verdict}
        )[0]
        for slug, verdict in LABEL_VERDICTS.items()
    }
    task = TaskFactory(slug=f"{prefix}-mlqa", name=f"Multilingual QA{tag}")
    world = JudgeWorld(project=project, task=task)
    for key, reference in (("gpt", False), ("claude", True)):
        system = AISystemFactory(name=f"System judged by {key}{tag}")
        ProjectSystemFactory(project=project, system=system, is_reference=reference)
        run = RunFactory(
            project=project,
            task=task,
            system=system,
            institute=institute,
            primary_scorer=SCORER,
            primary_metric="accuracy",
            sample_count=len(LANGUAGES) * PER_LANGUAGE,
        )
        RunScorer.objects.create(run=run, name=SCORER, judge=True, grader_model=GRADERS[key])
        RunScorer.objects.create(run=run, name="match", judge=False)
        world.runs[key] = run
    world.reviewers = [
        member(f"{prefix}-reviewer-{i}", institute, Role.EVALUATOR) for i in range(3)
    ]
    samples = SampleResult.objects.bulk_create(
        SampleResult(
            run=world.runs[p.run],
            sample_id=p.sample_id,
            epoch=1,
            score=p.judge,
            scores={
                SCORER: {"value": "C" if p.judge else "I", "explanation": "graded"},
                "match": {"value": 1.0},
            },
            metadata={
                "language": p.language,
                "category": "even" if int(p.sample_id[3:]) % 2 else "odd",
            },
            input=f"Question {p.sample_id}",
            target="answer",
            output="answer",
        )
        for p in PLAN
    )
    SampleReview.objects.bulk_create(
        SampleReview(
            sample=sample,
            reviewer=world.reviewers[reviewer],
            label=labels[slug],
            manual_score=manual,
        )
        for p, sample in zip(PLAN, samples, strict=True)
        for reviewer, slug, manual in p.reviews
    )
    guideline = Guideline.objects.create(code=f"{prefix}-judging", title="Judging")
    world.version = GuidelineVersion.objects.create(
        guideline=guideline,
        number=1,
        body_markdown="Judges must agree with people.",
        status=GuidelineVersion.Status.APPROVED,
        judge_min_kappa=THRESHOLD,
    )
    queue = ReviewQueue.objects.create(
        project=project,
        name=f"Multilingual answers{tag}",
        slice_key="language",
        reviews_per_item=3,
        guideline_version=world.version if queue_threshold else None,
        created_by=created_by,
    )
    queue.runs.set(world.runs.values())
    queue.labels.set(labels.values())
    ReviewQueueItem.objects.bulk_create(
        ReviewQueueItem(queue=queue, sample=sample, position=n, slice_value=p.language)
        for n, (p, sample) in enumerate(
            ((p, s) for p, s in zip(PLAN, samples, strict=True) if p.in_queue), start=1
        )
    )
    world.queue = queue
    return world
