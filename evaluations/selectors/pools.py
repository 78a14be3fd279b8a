"""Reads of institutes' worker pools, scoped to the user: an institute's pools exist only for its
leads and programme managers (anyone else: 404)."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from evaluations.models import Participation, WorkerPool
from institutes import access
from institutes.models import Institute


def pool_institute_for(user, code: str) -> Institute:
    """An institute whose pools the user manages (its lead, or a programme manager)."""
    institute = access.manageable_institutes(user).filter(code=code).first()
    if institute is None:
        raise Http404("No such institute among those you lead.")
    return institute


def pools_of(institute: Institute) -> QuerySet[WorkerPool]:
    """The institute's pools, active first, with how many of their jobs wait and run."""
    return (
        WorkerPool.objects.filter(institute=institute)
        .select_related("created_by")
        .annotate(
            queued=Count("jobs", filter=Q(jobs__status="queued")),
            running=Count("jobs", filter=Q(jobs__status="running")),
        )
        .order_by(F("revoked_at").desc(nulls_first=True), "name")
    )


def pools_managed_by(user) -> QuerySet[WorkerPool]:
    """Every pool of the institutes the user leads (every institute's, for a programme manager)."""
    return WorkerPool.objects.filter(
        institute__in=access.manageable_institutes(user)
    ).select_related("institute", "created_by")


def pool_for(user, code: str, pk: int) -> WorkerPool:
    institute = pool_institute_for(user, code)
    pool = WorkerPool.objects.select_related("institute").filter(institute=institute, pk=pk).first()
    if pool is None:
        raise Http404("No such worker pool.")
    return pool


def pool_choices(institute) -> QuerySet[WorkerPool]:
    """Pools a project may choose for the institute: its active ones."""
    return WorkerPool.objects.active().filter(institute=institute).order_by("name")


def participations_with_pools(project) -> QuerySet[Participation]:
    return (
        Participation.objects.filter(project=project)
        .select_related("institute", "worker_pool")
        .order_by("institute__name")
    )
