"""Runs and their samples, scoped to the user: results are visible where the user may see the
project's results (an embargo keeps them with the participating institutes).
"""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404

from evaluations.models import EvaluationJob, EvaluationRun, RunScore, SampleResult
from institutes import access


def runs_for(user) -> QuerySet[EvaluationRun]:
    """Runs whose results the user may see, newest first, with what every list shows. Lists join
    no more than that: each LEFT JOIN (the guideline, the job) multiplies PostgreSQL's planning
    time (measured 2 ms for these four joins, 11-25 ms with those two; see benchmarks/)."""
    return (
        EvaluationRun.objects.filter(project__in=access.results_visible_projects(user))
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


def sample_for(user, run_pk, sample_pk) -> SampleResult:
    run = visible_run_pk(user, run_pk)
    try:
        return run_samples(run).get(pk=sample_pk)
    except (SampleResult.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such sample.") from exc


def visible_runs(user) -> QuerySet[EvaluationRun]:
    """Runs whose results the user may read (participants, or anyone with view access once the
    embargo has ended)."""
    return EvaluationRun.objects.filter(project__in=access.results_visible_projects(user))
