"""What the home dashboard shows the signed-in user, besides their projects: jobs in flight, jobs
finished in the last day, recent runs with their scores, access windows closing soon, upcoming personnel exchanges and guideline
versions waiting for their institute's signature.

Every list is scoped through `institutes.access` (and `exchanges.selectors`) and capped, so the
page runs a fixed number of queries whatever the number of projects, jobs and runs.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone

from evaluations.models import AccessWindow, EvaluationJob, GuidelineVersion
from evaluations.results import representative, scores
from evaluations.selectors.external_runs import (
    external_runs_in_flight,
    external_runs_recently_finished,
)
from evaluations.selectors.jobs import jobs_for
from evaluations.selectors.runs import runs_for
from exchanges.models import Exchange
from exchanges.selectors import exchanges_visible_to
from institutes import access
from institutes.models import Institute

JOBS_SHOWN = 10
RUNS_SHOWN = 8
WINDOWS_SHOWN = 8
EXCHANGES_SHOWN = 8
APPROVALS_SHOWN = 10
WINDOW_HORIZON = timedelta(days=14)
EXCHANGE_HORIZON = timedelta(days=90)
FINISHED_SHOWN = 5
# A job that finished within a day is listed under "Recently finished".
RECENTLY_FINISHED = timedelta(hours=24)

IN_FLIGHT = (EvaluationJob.Status.QUEUED, EvaluationJob.Status.RUNNING)


def jobs_in_flight(user) -> list[EvaluationJob]:
    """Queued and running jobs in the user's projects."""
    return list(jobs_for(user).filter(status__in=IN_FLIGHT)[:JOBS_SHOWN])


def jobs_recently_finished(user, *, now=None) -> list[EvaluationJob]:
    """Jobs of the user's projects that finished (succeeded, failed or cancelled) within a day,
    latest first."""
    now = now or timezone.now()
    return list(
        jobs_for(user)
        .exclude(status__in=IN_FLIGHT)
        .filter(finished_at__gte=now - RECENTLY_FINISHED)
        .order_by("-finished_at", "-pk")[:FINISHED_SHOWN]
    )


def jobs_panel(user) -> dict:
    """The polled panel: jobs in flight, and those recently finished, so a job seen running moves
    to the finished list when it ends; polling stops once nothing is in flight. External runs
    (reported by institutes' own machines) are listed beside the jobs; a stale one (no word for
    CONCORD_EXTERNAL_RUN_STALE_SECONDS) is shown but keeps no poll going."""
    flight = jobs_in_flight(user)
    flight_external = external_runs_in_flight(user)
    return {
        "flight_jobs": flight,
        "finished_jobs": jobs_recently_finished(user),
        "flight_external": flight_external,
        "finished_external": external_runs_recently_finished(user),
        "flight_polling": bool(flight) or any(not e.is_stale for e in flight_external),
    }


def recent_runs(user) -> list[dict]:
    """The latest runs, each with its headline estimate and whether a lead pinned it as its
    cell's run (`results.representative`); a partial run says so (`run.partial_label`)."""
    runs = list(representative.with_pinned(runs_for(user))[:RUNS_SHOWN])
    summaries = scores.run_score_summaries(runs)
    return [
        {"run": run, "estimate": summaries.get(run.pk), "pinned": run.is_pinned}  # type: ignore[attr-defined]
        for run in runs
    ]


def windows_closing(user, *, now=None) -> list[AccessWindow]:
    """Open access windows of the user's projects that close within two weeks, soonest first."""
    now = now or timezone.now()
    return list(
        AccessWindow.objects.filter(
            project__in=access.visible_projects(user),
            starts_at__lte=now,
            ends_at__gt=now,
            ends_at__lte=now + WINDOW_HORIZON,
        )
        .select_related("system", "project")
        .order_by("ends_at", "pk")[:WINDOWS_SHOWN]
    )


def upcoming_exchanges(user, *, today=None) -> list[Exchange]:
    """Proposed or approved exchanges the user can see that start within three months."""
    today = today or timezone.localdate()
    return list(
        exchanges_visible_to(user)
        .filter(
            status__in=(Exchange.Status.PROPOSED, Exchange.Status.APPROVED),
            start_date__gte=today,
            start_date__lte=today + EXCHANGE_HORIZON,
        )
        .select_related("person", "home_institute", "host_institute", "project")
        .order_by("start_date", "pk")[:EXCHANGES_SHOWN]
    )


def approvals_waiting(user) -> list[dict]:
    """Guideline versions in review that an institute the user leads must sign and has not."""
    lead_ids = {iid for iid, rank in access.institute_ranks(user).items() if rank >= access.MANAGE}
    if not lead_ids:
        return []
    versions = (
        GuidelineVersion.objects.filter(status=GuidelineVersion.Status.IN_REVIEW)
        .annotate(
            mine_required=Count(
                "guideline__required_institutes",
                filter=Q(guideline__required_institutes__in=lead_ids),
                distinct=True,
            ),
            mine_signed=Count(
                "approvals", filter=Q(approvals__institute_id__in=lead_ids), distinct=True
            ),
        )
        .filter(mine_required__gt=F("mine_signed"))
        .select_related("guideline")
        .prefetch_related(
            "approvals",
            Prefetch("guideline__required_institutes", queryset=Institute.objects.order_by("name")),
        )
        .order_by("created_at", "pk")[:APPROVALS_SHOWN]
    )
    out = []
    for version in versions:
        signed = {a.institute_id for a in version.approvals.all()}
        waiting = [
            inst
            for inst in version.guideline.required_institutes.all()
            if inst.pk in lead_ids and inst.pk not in signed
        ]
        out.append({"version": version, "institutes": waiting})
    return out


def dashboard_context(user) -> dict:
    """Everything the home template shows besides `projects` (which the home view gives)."""
    return {
        **jobs_panel(user),
        "recent_runs": recent_runs(user),
        "windows_closing": windows_closing(user),
        "upcoming_exchanges": upcoming_exchanges(user),
        "approvals_waiting": approvals_waiting(user),
    }
