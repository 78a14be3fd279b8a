"""factory_boy factories for projects, systems, tasks, runs, samples and reviews.

Generic on purpose, for any test that needs results in the database:

    run = EvaluationRunFactory(project=project, institute=institute_a)
    add_samples(run, {"1": 1.0, "2": [1.0, 0.0]})      # sample "2" with two epochs
    add_samples(run, [1, 0, 1])                          # samples "1", "2", "3", one epoch each

A run's institute takes part in its project (a Participation is created if missing; pass
``participation=False`` to skip). ``add_samples`` writes rows with one ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import factory
from django.utils import timezone

from evaluations.models import (
    AISystem,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    Participation,
    ProjectSystem,
    ReviewLabel,
    SampleResult,
    SampleReview,
)
from tests.factories import InstituteFactory, UserFactory


class AISystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AISystem

    developer = "Lab"
    name = factory.Sequence(lambda n: f"Model {n}")
    version = "1"
    inspect_model = "mockllm/model"


class EvaluationProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationProject

    slug = factory.Sequence(lambda n: f"project-{n}")
    title = factory.Sequence(lambda n: f"Project {n}")
    status = EvaluationProject.Status.ACTIVE


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation
        django_get_or_create = ("project", "institute")

    project = factory.SubFactory(EvaluationProjectFactory)
    institute = factory.SubFactory(InstituteFactory)
    role = Participation.Role.PARTNER


class ProjectSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectSystem
        django_get_or_create = ("project", "system")

    project = factory.SubFactory(EvaluationProjectFactory)
    system = factory.SubFactory(AISystemFactory)
    is_reference = False


class EvaluationTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationTask
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"task-{n}")
    name = factory.Sequence(lambda n: f"Task {n}")
    inspect_ref = "concord_tasks:arithmetic"


class EvaluationRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationRun
        skip_postgeneration_save = True

    project = factory.SubFactory(EvaluationProjectFactory)
    task = factory.SubFactory(EvaluationTaskFactory)
    system = factory.SubFactory(AISystemFactory)
    institute = factory.SubFactory(InstituteFactory)
    inspect_eval_id = factory.Sequence(lambda n: f"eval-{n:06d}")
    status = EvaluationRun.Status.SUCCESS
    started_at = factory.LazyFunction(timezone.now)
    completed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def participation(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            ParticipationFactory(project=obj.project, institute=obj.institute)


class SampleResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SampleResult

    run = factory.SubFactory(EvaluationRunFactory)
    sample_id = factory.Sequence(lambda n: str(n + 1))
    epoch = 1
    score = 1.0


class ReviewLabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewLabel
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"label-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())


class SampleReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SampleReview

    sample = factory.SubFactory(SampleResultFactory)
    reviewer = factory.SubFactory(UserFactory)
    label = factory.SubFactory(ReviewLabelFactory)
    manual_score = None


Scores = Mapping[str, float | Sequence[float | None] | None] | Sequence[float | None]


def add_samples(run: EvaluationRun, scores: Scores, **fields) -> list[SampleResult]:
    """Write a run's sample rows in one query.

    ``scores`` maps sample id to a score (epoch 1) or a list of scores (epochs 1, 2, ...); a plain
    list gives samples "1", "2", ... with one epoch. ``fields`` go to every row (e.g. input=...).
    """
    items = scores.items() if isinstance(scores, Mapping) else enumerate(scores, start=1)
    rows = []
    for sample_id, value in items:
        per_epoch = value if isinstance(value, (list, tuple)) else [value]
        for epoch, score in enumerate(per_epoch, start=1):
            rows.append(
                SampleResult(run=run, sample_id=str(sample_id), epoch=epoch, score=score, **fields)
            )
    return SampleResult.objects.bulk_create(rows)


def run_with_samples(scores: Scores, **run_fields) -> EvaluationRun:
    """A run (EvaluationRunFactory with ``run_fields``) holding ``scores`` (see add_samples)."""
    run = EvaluationRunFactory(**run_fields)
    add_samples(run, scores)
    return run
