"""Comparisons between runs, replications across institutes, review statistics (read-only).

Selectors that fetch the few columns they need in a fixed number of queries (``values_list`` on
(sample id, epoch, score), never model instances per sample and never the heavy text columns), and
pure functions that turn those rows into figures with :mod:`evaluations.stats`. Pages and API
endpoints call the ``*_for_user`` functions (or pass objects they reached through selectors), so
results stay within ``institutes.access.results_visible_projects``: a run the user may not see
raises ``Http404``, never a 403.

Pairing rule: two runs with the same number of epochs are paired on (sample id, epoch). The
difference is averaged over pairs and its standard error is clustered by sample id, so several
epochs of the same sample count as one independent unit (Miller 2024); with one epoch per sample
this is the ordinary paired t-test. Runs with different numbers of epochs (a two-epoch run against
a one-epoch run) would leave the extra epochs unpaired: each run's epochs are averaged per sample
first and the runs are paired on sample id, so every scored epoch counts.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from django.http import Http404

from evaluations import stats
from evaluations.models import (
    AISystem,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    SampleResult,
    SampleReview,
)
from evaluations.results import graders, representative
from evaluations.selectors.runs import visible_runs
from institutes import access

# (sample id, epoch, score or None, SampleResult id): one row of a run, as the database gives it.
ScoreRow = tuple[str, int, float | None, int]

DEFAULT_PAGE_SIZE = 50
_CHUNK = 10_000


# --------------------------------------------------------------------------------------------
# Scoping
# --------------------------------------------------------------------------------------------


def _visible_run_or_404(user, run_id: int) -> EvaluationRun:
    try:
        return visible_runs(user).select_related("task", "system", "institute").get(pk=run_id)
    except (EvaluationRun.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such run.") from exc


# --------------------------------------------------------------------------------------------
# Comparing two runs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A (sample, epoch) on which the two runs scored differently, with both rows' ids so a page
    can link to each transcript. ``epoch`` is None when each run's epochs were averaged per
    sample (the scores are the averages; the ids are of each sample's first epoch)."""

    sample_id: str
    epoch: int | None
    score_a: float
    score_b: float
    result_a_id: int
    result_b_id: int


@dataclass(frozen=True, slots=True)
class DisagreementPage:
    items: tuple[Disagreement, ...]
    number: int
    size: int
    total: int

    @property
    def num_pages(self) -> int:
        return 0 if self.size <= 0 else -(-self.total // self.size)

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1 and self.total > 0


@dataclass(frozen=True, slots=True)
class RunComparison:
    """Two runs of one task compared sample by sample.

    Counts are of (sample id, epoch) keys: ``paired`` are scored in both runs, ``only_in_a`` /
    ``only_in_b`` exist in one run only, ``unscored`` exist in both but lack a score on a side.
    ``samples`` is the number of distinct sample ids among the pairs (the clusters).
    ``agreement_rate`` is the share of pairs with equal scores; ``kappa`` is Cohen's kappa, only
    when every paired score is 0 or 1 (``binary``). ``difference`` is a - b (paired, clustered by
    sample). Figures are ``None`` when there is nothing paired.

    With several epochs, kappa and agreement count every (sample, epoch) pair; kappa's standard
    error then treats pairs as independent and is too small: read the clustered difference for
    significance. Runs with different epoch counts (``epochs_a`` != ``epochs_b``) are paired on
    sample id, each run's epochs averaged per sample first (``epochs_averaged``): counts are then
    of samples.
    """

    run_a_id: int | None
    run_b_id: int | None
    paired: int
    only_in_a: int
    only_in_b: int
    unscored: int
    samples: int
    max_epochs: int
    binary: bool
    agreement_rate: float | None
    kappa: stats.KappaEstimate | None
    difference: stats.PairedDifference | None
    disagreement_count: int
    disagreements: DisagreementPage
    epochs_a: int = 0
    epochs_b: int = 0

    @property
    def significant(self) -> bool:
        return self.difference is not None and self.difference.significant

    @property
    def epochs_averaged(self) -> bool:
        return _averaging(self.epochs_a, self.epochs_b)

    @property
    def pairing_note(self) -> str:
        """How the runs were paired, in words, for the pages."""
        if self.epochs_averaged:
            return (
                f"runs have {self.epochs_a} and {self.epochs_b} epochs: each sample's epochs "
                "averaged before pairing"
            )
        return "paired by sample id and epoch"


def natural_key(sample_id: str) -> tuple:
    """Sort "2" before "10" (sample ids are often numbers stored as text)."""
    parts = tuple(
        (0, int(tok), "") if tok.isdigit() else (1, 0, tok)
        for tok in re.split(r"(\d+)", sample_id)
        if tok
    )
    return (parts, sample_id)


def _index(rows: Iterable[ScoreRow], name: str) -> dict[tuple[str, int], tuple[float | None, int]]:
    out: dict[tuple[str, int], tuple[float | None, int]] = {}
    for sample_id, epoch, score, result_id in rows:
        key = (sample_id, epoch)
        if key in out:
            raise ValueError(f"{name} holds sample {sample_id!r} epoch {epoch} twice.")
        out[key] = (score, result_id)
    return out


def _averaging(epochs_a: int, epochs_b: int) -> bool:
    return epochs_a > 0 and epochs_b > 0 and epochs_a != epochs_b


def _epoch_count(index: dict[tuple[str, int], tuple[float | None, int]]) -> int:
    """A run's number of epochs: the most epochs any of its samples has."""
    return max(Counter(sample_id for sample_id, _ in index).values(), default=0)


def _per_sample_means(
    index: dict[tuple[str, int], tuple[float | None, int]],
) -> dict[tuple[str, int], tuple[float | None, int]]:
    """One entry per sample, keyed (sample id, 0): the mean of its scored epochs (None when no
    epoch is scored) and the row id of its first epoch (for the transcript link)."""
    grouped: dict[str, list[tuple[int, float | None, int]]] = defaultdict(list)
    for (sample_id, epoch), (score, result_id) in index.items():
        grouped[sample_id].append((epoch, score, result_id))
    out: dict[tuple[str, int], tuple[float | None, int]] = {}
    for sample_id, entries in grouped.items():
        entries.sort(key=lambda e: e[0])
        scored = [score for _, score, _ in entries if score is not None]
        mean = sum(scored) / len(scored) if scored else None
        out[(sample_id, 0)] = (mean, entries[0][2])
    return out


def compare_score_rows(
    rows_a: Iterable[ScoreRow],
    rows_b: Iterable[ScoreRow],
    *,
    run_a_id: int | None = None,
    run_b_id: int | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    confidence: float = stats.DEFAULT_CONFIDENCE,
) -> RunComparison:
    """The comparison, from the rows of each run (pure: no database).

    Disagreements are listed in natural order of sample id, then epoch, ``page_size`` per page
    (``page`` counts from 1; ``page_size=0`` lists none and only counts them). When the runs have
    different numbers of epochs, each run's epochs are averaged per sample before pairing.
    """
    if page < 1:
        raise ValueError(f"page counts from 1 (got {page}).")
    if page_size < 0:
        raise ValueError(f"page_size cannot be negative (got {page_size}).")
    a = _index(rows_a, "run a")
    b = _index(rows_b, "run b")
    epochs_a, epochs_b = _epoch_count(a), _epoch_count(b)
    averaged = _averaging(epochs_a, epochs_b)
    if averaged:
        a, b = _per_sample_means(a), _per_sample_means(b)
    keys_b = b.keys()
    shared = a.keys() & keys_b
    only_a = len(a) - len(shared)
    only_b = len(b) - len(shared)

    scores_a: list[float] = []
    scores_b: list[float] = []
    clusters: list[str] = []
    epochs_per_sample: Counter[str] = Counter()
    disagreeing: list[Disagreement] = []
    unscored = 0
    for key in shared:
        score_a, id_a = a[key]
        score_b, id_b = b[key]
        if score_a is None or score_b is None:
            unscored += 1
            continue
        scores_a.append(score_a)
        scores_b.append(score_b)
        clusters.append(key[0])
        epochs_per_sample[key[0]] += 1
        if score_a != score_b:
            epoch = None if averaged else key[1]
            disagreeing.append(Disagreement(key[0], epoch, score_a, score_b, id_a, id_b))

    paired = len(scores_a)
    binary = paired > 0 and stats.is_binary(scores_a) and stats.is_binary(scores_b)
    difference = kappa = agreement = None
    if paired:
        difference = stats.paired_difference(
            scores_a, scores_b, clusters=clusters, confidence=confidence
        )
        agreement = (paired - len(disagreeing)) / paired
        if binary:
            kappa = stats.cohen_kappa(scores_a, scores_b, confidence=confidence)

    if page_size:
        disagreeing.sort(key=lambda d: (natural_key(d.sample_id), d.epoch or 0))
        start = (page - 1) * page_size
        items = tuple(disagreeing[start : start + page_size])
    else:
        items = ()
    return RunComparison(
        run_a_id=run_a_id,
        run_b_id=run_b_id,
        paired=paired,
        only_in_a=only_a,
        only_in_b=only_b,
        unscored=unscored,
        samples=len(epochs_per_sample),
        max_epochs=max(epochs_per_sample.values(), default=0),
        binary=binary,
        agreement_rate=agreement,
        kappa=kappa,
        difference=difference,
        disagreement_count=len(disagreeing),
        disagreements=DisagreementPage(items, page, page_size, len(disagreeing)),
        epochs_a=epochs_a,
        epochs_b=epochs_b,
    )


def score_rows(run_ids: Sequence[int]) -> dict[int, list[ScoreRow]]:
    """{run id: [(sample id, epoch, score, row id), ...]} for every run, in one query.

    Only these four columns are read (no input/output/metadata), streamed in chunks.
    """
    out: dict[int, list[ScoreRow]] = {run_id: [] for run_id in run_ids}
    if not run_ids:
        return out
    rows = (
        SampleResult.objects.filter(run_id__in=list(set(run_ids)))
        .order_by()
        .values_list("run_id", "sample_id", "epoch", "score", "id")
        .iterator(chunk_size=_CHUNK)
    )
    for run_id, sample_id, epoch, score, result_id in rows:
        out[run_id].append((sample_id, epoch, score, result_id))
    return out


def _require_same_task(run_a: EvaluationRun, run_b: EvaluationRun) -> None:
    if run_a.task_id == run_b.task_id:
        return
    slugs = dict(
        EvaluationTask.objects.filter(pk__in=[run_a.task_id, run_b.task_id]).values_list(
            "pk", "slug"
        )
    )
    raise ValueError(
        f"Run {run_a.pk} is of task {slugs.get(run_a.task_id, run_a.task_id)!r} and run "
        f"{run_b.pk} of task {slugs.get(run_b.task_id, run_b.task_id)!r}: only runs of the same "
        "task can be compared sample by sample."
    )


def compare_runs(
    run_a: EvaluationRun,
    run_b: EvaluationRun,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    confidence: float = stats.DEFAULT_CONFIDENCE,
) -> RunComparison:
    """Compare two runs of the same task, sample by sample, in one query.

    Not scoped: pass runs the user reached through :func:`visible_runs` (or call
    :func:`compare_runs_for_user`). Raises ValueError when the runs are of different tasks.
    """
    _require_same_task(run_a, run_b)
    rows = score_rows([run_a.pk, run_b.pk])
    return compare_score_rows(
        rows[run_a.pk],
        rows[run_b.pk],
        run_a_id=run_a.pk,
        run_b_id=run_b.pk,
        page=page,
        page_size=page_size,
        confidence=confidence,
    )


def compare_runs_for_user(
    user,
    *,
    run_a_id: int,
    run_b_id: int,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    confidence: float = stats.DEFAULT_CONFIDENCE,
) -> tuple[EvaluationRun, EvaluationRun, RunComparison]:
    """Both runs (with task, system and institute) and their comparison; Http404 if the user may
    not see either run's results."""
    run_a = _visible_run_or_404(user, run_a_id)
    run_b = run_a if run_b_id == run_a_id else _visible_run_or_404(user, run_b_id)
    comparison = compare_runs(run_a, run_b, page=page, page_size=page_size, confidence=confidence)
    return run_a, run_b, comparison


# --------------------------------------------------------------------------------------------
# Replications: the same task on the same system, run by two institutes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replication:
    """Two institutes' representative runs of one task on one system, compared (each the latest
    complete successful run, else the latest partial one: `partial` says so)."""

    task: EvaluationTask
    system: AISystem
    run_a: EvaluationRun
    run_b: EvaluationRun
    comparison: RunComparison
    # Whether the two headline scores were graded the same way ("Same grader?").
    grader: graders.GraderMatch | None = None

    @property
    def significant(self) -> bool:
        """The difference between the institutes' results is significant (the CI excludes 0)."""
        return self.comparison.significant

    @property
    def partial(self) -> bool:
        """A side covers only part of the dataset (that institute has no complete run)."""
        return not (self.run_a.complete and self.run_b.complete)

    @property
    def partial_note(self) -> str:
        """Which side is partial, in words ("" when both are complete), for the pages."""
        return "; ".join(
            f"{run.institute.code}'s run {run.pk} is {run.partial_label}"
            for run in (self.run_a, self.run_b)
            if not run.complete
        )


def replications_for_project(
    project: EvaluationProject,
    user,
    *,
    page_size: int = 0,
    confidence: float = stats.DEFAULT_CONFIDENCE,
) -> list[Replication]:
    """Every (task, system) that two or more institutes ran in the project, each pair of
    institutes compared on their representative runs (each institute's latest complete
    successful run, else its latest partial one: `results.representative`).

    Http404 when the user may not see the project's results. Queries: the visibility check, one
    for the runs, one for all their sample scores and one for their scorers ("Same grader?" of
    each pair: `results.graders`), however many runs and samples there are.
    ``page_size`` disagreements are listed per replication (none by default: the list is for the
    comparison page). Ordered by task name, system, then the institutes' codes.
    """
    if not access.results_visible_projects(user).filter(pk=project.pk).exists():
        raise Http404("No such project.")
    groups: dict[tuple[int, int], list[EvaluationRun]] = defaultdict(list)
    for run in representative.institute_runs(project):
        groups[(run.task_id, run.system_id)].append(run)
    replicated = [runs for runs in groups.values() if len(runs) >= 2]
    rows = score_rows([run.pk for runs in replicated for run in runs])
    scorers = graders.run_scorers(run.pk for runs in replicated for run in runs)
    out: list[Replication] = []
    for runs in replicated:
        runs.sort(key=lambda r: (r.institute.code, r.pk))
        for run_a, run_b in combinations(runs, 2):
            comparison = compare_score_rows(
                rows[run_a.pk],
                rows[run_b.pk],
                run_a_id=run_a.pk,
                run_b_id=run_b.pk,
                page_size=page_size,
                confidence=confidence,
            )
            out.append(
                Replication(
                    run_a.task,
                    run_a.system,
                    run_a,
                    run_b,
                    comparison,
                    graders.same_grader(run_a, run_b, scorers),
                )
            )
    out.sort(
        key=lambda r: (r.task.name, str(r.system), r.run_a.institute.code, r.run_b.institute.code)
    )
    return out


# --------------------------------------------------------------------------------------------
# Reviews of transcripts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelCount:
    slug: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class ReviewStats:
    """What the run page shows about people's reviews of its transcripts.

    ``samples`` and ``reviewed`` count sample results (a sample at one epoch), ``coverage`` is
    reviewed / samples (``None`` for a run without samples). ``inter_reviewer`` is agreement on
    labels between reviewers of the same sample result (Cohen's kappa for two reviewers, Fleiss'
    for more). ``reviewer_vs_scorer`` compares manual scores with the automatic score of the same
    sample result, one pair per review, clustered by sample id; ``None`` when no review carries a
    manual score on a scored sample.
    """

    run_id: int
    samples: int
    reviewed: int
    coverage: float | None
    reviews: int
    reviewers: int
    labels: tuple[LabelCount, ...]
    inter_reviewer: stats.RaterAgreement
    reviewer_vs_scorer: stats.ScoreAgreement | None


def review_stats(run: EvaluationRun, *, samples: int | None = None) -> ReviewStats:
    """Review coverage and agreement for a run, in two queries (one when the caller passes
    `samples`, the run's sample rows). Not scoped: pass a run the user reached through the
    selectors (`evaluations.selectors.runs`)."""
    if samples is None:
        samples = SampleResult.objects.filter(run=run).count()
    reviews = (
        SampleReview.objects.filter(sample__run=run)
        .order_by()
        .values_list(
            "sample_id",
            "sample__sample_id",
            "sample__score",
            "reviewer_id",
            "label__slug",
            "label__name",
            "label__order",
            "manual_score",
        )
    )
    labels_by_sample: dict[int, dict[int, str]] = defaultdict(dict)
    label_counts: Counter[tuple[int, str, str]] = Counter()
    manual: list[float] = []
    automatic: list[float] = []
    clusters: list[str] = []
    reviewers: set[int] = set()
    count = 0
    for row_id, sample_id, score, reviewer_id, slug, name, order, manual_score in reviews:
        count += 1
        reviewers.add(reviewer_id)
        labels_by_sample[row_id][reviewer_id] = slug
        label_counts[(order, name, slug)] += 1
        if manual_score is not None and score is not None:
            manual.append(manual_score)
            automatic.append(score)
            clusters.append(sample_id)
    labels = tuple(LabelCount(slug, name, n) for (_, name, slug), n in sorted(label_counts.items()))
    return ReviewStats(
        run_id=run.pk,
        samples=samples,
        reviewed=len(labels_by_sample),
        coverage=len(labels_by_sample) / samples if samples else None,
        reviews=count,
        reviewers=len(reviewers),
        labels=labels,
        inter_reviewer=stats.rater_agreement(labels_by_sample),
        reviewer_vs_scorer=(
            stats.score_agreement(manual, automatic, clusters=clusters) if manual else None
        ),
    )
