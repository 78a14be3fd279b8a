"""Runs and their samples, scoped to the user: results are visible where the user may see the
project's results (an embargo keeps them with the participating institutes).
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Left
from django.http import Http404

from evaluations.models import (
    Deviation,
    EvaluationJob,
    EvaluationProject,
    EvaluationRun,
    RunScore,
    SampleResult,
    SampleReview,
)
from institutes import access
from institutes.models import Institute


def runs_for(user) -> QuerySet[EvaluationRun]:
    """Runs whose results the user may see, newest first, with what every list shows. Lists join
    no more than that: each LEFT JOIN (the guideline, the job) multiplies PostgreSQL's planning
    time several times over (figures in benchmarks/README.md)."""
    return (
        EvaluationRun.objects.filter(project__in=access.results_visible_projects(user))
        .select_related("project", "task", "system", "institute")
        .order_by("-created_at", "-pk")
    )


def listed_runs_for(user) -> QuerySet[EvaluationRun]:
    """`runs_for` for a list that filters on joined columns (the runs API: project and task
    slugs): the visible projects are read first, as ids. PostgreSQL plans `project_id IN (ids)`
    several times faster than the same projects as a subquery beside those joins: the one query
    more costs less than the planning it saves."""
    visible = list(access.results_visible_projects(user).order_by().values_list("pk", flat=True))
    return (
        EvaluationRun.objects.filter(project_id__in=visible)
        .select_related("project", "task", "system", "institute")
        .order_by("-created_at", "-pk")
    )


def with_job_id(runs: QuerySet[EvaluationRun]) -> QuerySet[EvaluationRun]:
    """Runs annotated with `job_pk`, the id of the job that produced each (None for uploads),
    from a correlated subquery rather than a LEFT JOIN (cheaper to plan, see `runs_for`)."""
    job = EvaluationJob.objects.filter(run=OuterRef("pk")).values("pk")[:1]
    return runs.annotate(job_pk=Subquery(job))


def run_for(user, pk) -> EvaluationRun:
    """One run with its scores (prefetched), its guideline version and the job that produced it,
    if any."""
    try:
        return (
            runs_for(user)
            .select_related("job", "guideline_version__guideline")
            .prefetch_related(Prefetch("scores", RunScore.objects.order_by("scorer", "metric")))
            .get(pk=pk)
        )
    except (EvaluationRun.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such run.") from exc


def visible_run_pk(user, pk) -> int:
    """The run's id when the user may see its results (404 otherwise), without loading the run:
    what the sample endpoints need before they read the samples."""
    try:
        return runs_for(user).order_by().values_list("pk", flat=True).get(pk=pk)
    except (EvaluationRun.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such run.") from exc


def run_samples(run: EvaluationRun | int) -> QuerySet[SampleResult]:
    """The run's sample rows in a stable order (id), without the heavy text columns' siblings
    deferred: list views show input/output excerpts."""
    return SampleResult.objects.filter(run=run).order_by("id")


def visible_runs(user) -> QuerySet[EvaluationRun]:
    """Runs whose results the user may read (participants, or anyone with view access once the
    embargo has ended)."""
    return EvaluationRun.objects.filter(project__in=access.results_visible_projects(user))


# --- what the run, sample and project results pages read --------------------------------------

EXCERPT = 160  # characters of input, output and error shown in a sample list


def run_deviations(run: EvaluationRun) -> list[Deviation]:
    """The deviations recorded against the run or against the job that produced it."""
    return list(
        Deviation.objects.filter(Q(run=run) | Q(job__run=run)).order_by("recorded_at", "pk")
    )


def filter_samples(samples: QuerySet[SampleResult], filters: dict[str, str]):
    """Samples narrowed by a run page's filters: `score` (correct, incorrect, partial, unscored),
    `error` (yes, no) and `q` (part of the sample id)."""
    score = filters.get("score")
    if score == "correct":
        samples = samples.filter(score=1)
    elif score == "incorrect":
        samples = samples.filter(score=0)
    elif score == "partial":
        samples = samples.filter(score__gt=0, score__lt=1)
    elif score == "unscored":
        samples = samples.filter(score__isnull=True)
    error = filters.get("error")
    if error == "yes":
        samples = samples.exclude(error="")
    elif error == "no":
        samples = samples.filter(error="")
    if filters.get("q"):
        samples = samples.filter(sample_id__icontains=filters["q"])
    return samples


def run_sample_rows(run: EvaluationRun, filters: dict[str, str]) -> QuerySet[SampleResult]:
    """A run page's sample list: excerpts of the text columns and each sample's review count.

    The review counts come from a correlated subquery, not a JOIN + GROUP BY: a page is then read
    in the order of the (run, sample_id, epoch) index and the paginator's count needs no join
    (figures in benchmarks/README.md)."""
    review_counts = (
        SampleReview.objects.filter(sample=OuterRef("pk"))
        .order_by()
        .values("sample")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        filter_samples(SampleResult.objects.filter(run=run), filters)
        .order_by("sample_id", "epoch", "id")
        .only("id", "sample_id", "epoch", "score", "total_tokens")
        .annotate(
            input_excerpt=Left("input", EXCERPT),
            output_excerpt=Left("output", EXCERPT),
            error_excerpt=Left("error", EXCERPT),
            review_count=Coalesce(Subquery(review_counts), 0),
        )
    )


def other_runs(run: EvaluationRun, limit: int = 10) -> list[EvaluationRun]:
    """The project's latest other runs of the same task (visible wherever this run is)."""
    return list(
        EvaluationRun.objects.filter(project=run.project_id, task=run.task_id)
        .exclude(pk=run.pk)
        .select_related("system", "institute")
        .order_by("-created_at", "-pk")[:limit]
    )


def run_and_sample_for(user, run_id, sample_pk) -> tuple[EvaluationRun, SampleResult]:
    """The run (404 unless its results are visible) and one of its samples (404 otherwise)."""
    run = run_for(user, run_id)
    try:
        sample = run_samples(run).get(pk=sample_pk)
    except (SampleResult.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such sample.") from exc
    sample.run = run
    return run, sample


def sample_neighbours(sample: SampleResult) -> tuple[int | None, int | None]:
    """The ids of the samples before and after this one in the run, by (sample id, epoch)."""
    base = SampleResult.objects.filter(run=sample.run_id)
    before = (
        base.filter(
            Q(sample_id__lt=sample.sample_id)
            | Q(sample_id=sample.sample_id, epoch__lt=sample.epoch)
        )
        .order_by("-sample_id", "-epoch")
        .values_list("pk", flat=True)
        .first()
    )
    after = (
        base.filter(
            Q(sample_id__gt=sample.sample_id)
            | Q(sample_id=sample.sample_id, epoch__gt=sample.epoch)
        )
        .order_by("sample_id", "epoch")
        .values_list("pk", flat=True)
        .first()
    )
    return before, after


def sample_reviews(sample: SampleResult) -> list[SampleReview]:
    """The sample's reviews, oldest first, with their reviewers and labels."""
    return list(
        SampleReview.objects.filter(sample=sample)
        .select_related("reviewer", "label")
        .order_by("created_at", "pk")
    )


def project_runs(project: EvaluationProject, filters: dict[str, str]) -> QuerySet[EvaluationRun]:
    """A project's runs, newest first, narrowed by the runs page's filters (task slug, system id,
    institute code, status). The caller has checked that the user may see the project's results."""
    runs = EvaluationRun.objects.filter(project=project).select_related(
        "task", "system", "institute"
    )
    if filters.get("task"):
        runs = runs.filter(task__slug=filters["task"])
    if filters.get("system"):
        runs = runs.filter(system_id=int(filters["system"]))
    if filters.get("institute"):
        runs = runs.filter(institute__code=filters["institute"])
    if filters.get("status"):
        runs = runs.filter(status=filters["status"])
    return runs.order_by("-created_at", "-pk")


def comparable_pair(runs) -> tuple[int | None, int | None]:
    """The two runs (ids) a runs page preselects for a comparison: the first two listed runs of
    one task, reading down the list; (None, None) when no two listed runs share a task (only
    runs of the same task can be compared)."""
    first_of_task: dict[int, int] = {}
    for run in runs:
        if run.task_id in first_of_task:
            return first_of_task[run.task_id], run.pk
        first_of_task[run.task_id] = run.pk
    return None, None


def result_institutes(project: EvaluationProject) -> list[Institute]:
    """The participating institutes, by name: the choices of a results page's institute filter."""
    participations = project.participations.select_related("institute")
    return sorted((p.institute for p in participations), key=lambda i: i.name)
