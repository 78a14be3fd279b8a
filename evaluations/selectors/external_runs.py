"""External runs, scoped to the user: visible to whoever sees their project, like jobs (they carry
progress, not scores; the run they link to is shown under the results' own rule)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from evaluations.models import EvaluationProject, ExternalRun
from institutes import access

IN_FLIGHT_SHOWN = 10
FINISHED_SHOWN = 5
# An external run that finished within a day is listed under "Recently finished".
RECENTLY_FINISHED = timedelta(hours=24)


def external_runs_for(user) -> QuerySet[ExternalRun]:
    return (
        ExternalRun.objects.filter(project__in=access.visible_projects(user))
        .select_related("project", "institute", "reported_by")
        .order_by("-started_at", "-pk")
    )


def external_run_for(user, pk) -> ExternalRun:
    try:
        return external_runs_for(user).get(pk=pk)
    except (ExternalRun.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such external run.") from exc


def external_runs_in_flight(
    user, *, project: EvaluationProject | None = None, limit: int = IN_FLIGHT_SHOWN
) -> list[ExternalRun]:
    """Running external runs in the user's projects (or in `project`), latest first."""
    qs = external_runs_for(user).filter(status=ExternalRun.Status.RUNNING)
    if project is not None:
        qs = qs.filter(project=project)
    return list(qs[:limit])


def external_runs_recently_finished(user, *, now: datetime | None = None) -> list[ExternalRun]:
    """External runs of the user's projects that finished within a day, latest first."""
    now = now or timezone.now()
    return list(
        external_runs_for(user)
        .filter(status__in=ExternalRun.FINAL, finished_at__gte=now - RECENTLY_FINISHED)
        .order_by("-finished_at", "-pk")[:FINISHED_SHOWN]
    )


def project_external_runs(user, project: EvaluationProject) -> dict[str, list[ExternalRun]]:
    """The project page's list: the runs in flight and the latest few that finished."""
    finished = (
        external_runs_for(user)
        .filter(project=project, status__in=ExternalRun.FINAL)
        .order_by("-finished_at", "-pk")[:FINISHED_SHOWN]
    )
    return {
        "in_flight": external_runs_in_flight(user, project=project),
        "finished": list(finished),
    }
