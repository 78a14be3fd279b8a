"""A project holding every kind of evidence, for the tests that try to delete it."""

from __future__ import annotations

from evaluations.models import (
    EvaluationProject,
    EvaluationRun,
    Finding,
    RunScore,
    SampleResult,
    SampleReview,
)
from tests.evaluations.factories import (
    FindingFactory,
    ProjectFactory,
    RunFactory,
    SampleReviewFactory,
    add_samples,
)

MODELS = (EvaluationProject, EvaluationRun, RunScore, SampleResult, SampleReview, Finding)


def counts() -> dict[str, int]:
    """Rows per model: what "nothing is lost" compares."""
    return {model.__name__: model.objects.count() for model in MODELS}


def build_evidence() -> dict:
    """A project with a run of three samples, a review of one, a draft and a published finding."""
    project = ProjectFactory()
    run = RunFactory(project=project)
    samples = add_samples(run, [1, 0, 1])
    review = SampleReviewFactory(sample=samples[0])
    draft = FindingFactory(project=project, title="Still a draft")
    published = FindingFactory(project=project, title="Published", status="published")
    published.runs.add(run)
    return {
        "project": project,
        "run": run,
        "sample": samples[1],
        "review": review,
        "published": published,
        "draft": draft,
    }
