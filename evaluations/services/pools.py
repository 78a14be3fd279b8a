"""Writes for institutes' worker pools: create (the credential is shown once), revoke, choose the
default, and a project's choice of pool for each participating institute.

Who: an institute's leads (and programme managers) manage its pools; a project's leads (and
programme managers) choose, for each participating institute, which of *that institute's* pools
runs its jobs in the project (or none: the institute's default pool if it has one, else Concord's
own workers). Every change is audited (`institutes.audit.record`).

Revoking a pool stops it at once: its credential answers 401 from then on; its queued jobs are
failed with the reason (nobody else may run them: they were meant for the institute's machines),
its running jobs are failed when the reaper finds them silent, and the projects that chose it
fall back to the institute's default pool or Concord's workers.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from evaluations.models import EvaluationJob, EvaluationProject, Participation, WorkerPool
from evaluations.models.pools import hash_credential
from institutes import access, audit
from institutes.models import Institute
from webhooks import events as webhook_events

_TABLE = "evaluations_workerpool"


def _require_lead(user, institute: Institute) -> None:
    """`user=None` is an operator at the command line (create_worker_pool)."""
    if user is not None and not access.is_lead_of(user, institute):
        raise PermissionDenied(
            f"Only the leads of {institute.name} (or a programme manager) manage its worker pools."
        )


@transaction.atomic
def pool_create(
    *,
    institute: Institute,
    name: str,
    by,
    description: str = "",
    is_default: bool = False,
) -> tuple[WorkerPool, str]:
    """Create a pool for `institute`. Returns the pool and its raw credential, which is never
    stored (only its SHA-256) and cannot be shown again. `is_default` makes it the institute's
    default pool (the previous default stops being one)."""
    _require_lead(by, institute)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the pool a name (e.g. 'gpu-cluster')."})
    if WorkerPool.objects.active().filter(institute=institute, name=name).exists():
        raise ValidationError({"name": f"{institute.name} already has a pool named '{name}'."})
    raw = WorkerPool.generate_raw()
    if is_default:
        WorkerPool.objects.active().filter(institute=institute, is_default=True).update(
            is_default=False
        )
    pool = WorkerPool(
        institute=institute,
        name=name,
        description=(description or "").strip(),
        is_default=is_default,
        credential_prefix=raw[:12],
        credential_hash=hash_credential(raw),
        created_by=by,
    )
    pool.full_clean(exclude=["credential_hash", "credential_prefix"])
    try:
        with transaction.atomic():
            pool.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": f"{institute.name} already has a pool named '{name}'."}
        ) from exc
    audit.record(
        "worker_pool_created",
        user=by,
        table=_TABLE,
        object_id=pool.pk,
        institute=institute.code,
        name=pool.name,
        is_default=pool.is_default,
    )
    return pool, raw


@transaction.atomic
def pool_revoke(*, pool: WorkerPool, by) -> WorkerPool:
    """Revoke a pool: its credential stops working at once (see the module docstring for its
    jobs). Revoking twice keeps the first time."""
    _require_lead(by, pool.institute)
    pool = WorkerPool.objects.select_for_update().select_related("institute").get(pk=pool.pk)
    if pool.revoked_at is not None:
        return pool
    now = timezone.now()
    pool.revoked_at = now
    pool.is_default = False
    pool.save(update_fields=["revoked_at", "is_default"])
    Participation.objects.filter(worker_pool=pool).update(worker_pool=None)
    queued = list(
        EvaluationJob.objects.filter(pool=pool, status=EvaluationJob.Status.QUEUED).values_list(
            "pk", flat=True
        )
    )
    EvaluationJob.objects.filter(pk__in=queued, status=EvaluationJob.Status.QUEUED).update(
        status=EvaluationJob.Status.FAILED,
        finished_at=now,
        error=f"Not run: the worker pool '{pool.name}' of {pool.institute.name} was revoked "
        "before a worker claimed the job. Retry it to run it elsewhere.",
    )
    for job_id in queued:
        webhook_events.job_finished(job_id=job_id)
    audit.record(
        "worker_pool_revoked",
        user=by,
        table=_TABLE,
        object_id=pool.pk,
        institute=pool.institute.code,
        name=pool.name,
        queued_jobs_failed=len(queued),
    )
    return pool


@transaction.atomic
def pool_set_default(*, pool: WorkerPool, by) -> WorkerPool:
    """Make `pool` its institute's default: it runs the institute's jobs in every project that
    chose no pool. The previous default stops being one."""
    _require_lead(by, pool.institute)
    pool = WorkerPool.objects.select_for_update().select_related("institute").get(pk=pool.pk)
    if pool.revoked_at is not None:
        raise ValidationError("A revoked pool cannot be the default.")
    if not pool.is_default:
        WorkerPool.objects.active().filter(institute=pool.institute_id, is_default=True).update(
            is_default=False
        )
        pool.is_default = True
        pool.save(update_fields=["is_default"])
        audit.record(
            "worker_pool_default",
            user=by,
            table=_TABLE,
            object_id=pool.pk,
            institute=pool.institute.code,
            name=pool.name,
        )
    return pool


@transaction.atomic
def pool_unset_default(*, pool: WorkerPool, by) -> WorkerPool:
    """The institute has no default pool any more: its jobs go to Concord's workers unless a
    project chose a pool."""
    _require_lead(by, pool.institute)
    if pool.is_default:
        WorkerPool.objects.filter(pk=pool.pk).update(is_default=False)
        pool.is_default = False
        audit.record(
            "worker_pool_default_unset",
            user=by,
            table=_TABLE,
            object_id=pool.pk,
            institute=pool.institute.code,
            name=pool.name,
        )
    return pool


@transaction.atomic
def participation_set_pool(
    *, user, project: EvaluationProject, institute: Institute, pool: WorkerPool | None
) -> Participation:
    """Choose which pool runs `institute`'s jobs in `project` (None: the institute's default pool
    if it has one, else Concord's workers). Project leads and programme managers choose; the pool
    must be an active pool of that institute. Jobs already queued keep their pool."""
    access.require(
        access.can_manage(user, project),
        f"Only the leads of '{project.slug}' choose where its jobs run.",
    )
    participation = (
        Participation.objects.select_for_update()
        .filter(project=project, institute=institute)
        .first()
    )
    if participation is None:
        raise ValidationError(
            {"institute": f"{institute.name} does not take part in '{project.slug}'."}
        )
    if pool is not None:
        pool = WorkerPool.objects.select_for_update().get(pk=pool.pk)  # as it is now
        if pool.institute_id != institute.pk:
            raise ValidationError(
                {"pool": f"The pool '{pool.name}' is not a pool of {institute.name}."}
            )
        if pool.revoked_at is not None:
            raise ValidationError({"pool": f"The pool '{pool.name}' is revoked."})
    if participation.worker_pool_id != (pool.pk if pool else None):
        participation.worker_pool = pool
        participation.save(update_fields=["worker_pool"])
        audit.record(
            "project_worker_pool",
            user=user,
            project_id=project.pk,
            table=Participation._meta.db_table,
            object_id=participation.pk,
            institute=institute.code,
            pool=pool.name if pool else "",
        )
    return participation


def pools_for(*, project, institutes) -> dict[int, WorkerPool | None]:
    """The pool that runs each institute's new jobs in `project`, by institute id: the project's
    choice, else the institute's default pool, else None (Concord's own workers). Revoked pools
    are never chosen. Two queries, whatever the number of institutes."""
    project_id = getattr(project, "pk", project)
    ids = [getattr(institute, "pk", institute) for institute in institutes]
    active = WorkerPool.objects.active()
    chosen = {
        pool.chosen_for: pool
        for pool in active.filter(
            participations__project_id=project_id, participations__institute_id__in=ids
        ).annotate(chosen_for=F("participations__institute_id"))
    }
    defaults = {
        pool.institute_id: pool for pool in active.filter(institute_id__in=ids, is_default=True)
    }
    return {pk: chosen.get(pk) or defaults.get(pk) for pk in ids}


def pool_for(*, project, institute) -> WorkerPool | None:
    """The pool that runs `institute`'s new jobs in `project` (the rule of `pools_for`)."""
    institute_id = getattr(institute, "pk", institute)
    return pools_for(project=project, institutes=[institute_id])[institute_id]
