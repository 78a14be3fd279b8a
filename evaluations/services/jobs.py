"""Writes for evaluation jobs: queue, cancel, retry, and the periodic reaper and reconciler.

The database row is the truth; the Celery message carries only the job id and is sent on commit.
A worker claims a job with a conditional UPDATE (see `evaluations.runner.supervisor`), so a
message delivered twice, or re-sent by the reconciler, never runs a job twice.

Access windows: a job against a project's *target* system needs one of the system's access windows
for the project to be open. A *reference* system (`ProjectSystem.is_reference`) is usually a
released model that needs no pre-deployment access: without any window it may always be run, and
once windows are recorded for it they are enforced like a target's. The window is checked when the
job is queued and again when a worker picks it up.

Retry of a failed or cancelled job makes a **new job** (`retry_of` points back): each job keeps its
own error, log file and run, and `attempts` counts only the automatic re-runs after a worker was
lost, up to `max_attempts`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from evaluations.models import (
    AISystem,
    EvaluationJob,
    EvaluationProject,
    EvaluationTask,
    GuidelineVersion,
    WorkerPool,
)
from evaluations.rules import access_window_error
from evaluations.services import pool_wakeup
from evaluations.services.job_params import clean_params
from evaluations.services.pools import pool_for
from institutes import access
from institutes.models import Institute
from webhooks import events as webhook_events

logger = logging.getLogger(__name__)

Status = EvaluationJob.Status
# A proposed project may already try tasks (reference systems, or a target whose window is open);
# a closed or withdrawn one runs nothing more.
QUEUEABLE_PROJECT_STATUSES = {
    EvaluationProject.Status.PROPOSED,
    EvaluationProject.Status.ACTIVE,
    EvaluationProject.Status.REPORTING,
}


# Celery's hard limit on the task that supervises a job: a backstop behind the supervisor's own
# limits (the job's time limit, then SIGKILL after the grace period), leaving time to ingest.
_BACKSTOP_MARGIN_SECONDS = 900


def _send(job_id: int, queue: str, hard_limit: float) -> None:
    from evaluations.tasks import run_job

    run_job.apply_async(args=[job_id], queue=queue, time_limit=hard_limit)


def _enqueue_on_commit(job: EvaluationJob) -> None:
    limit = (job.params or {}).get("time_limit") or settings.CONCORD_JOB_TIME_LIMIT_SECONDS
    hard_limit = limit + settings.CONCORD_JOB_CANCEL_GRACE_SECONDS + _BACKSTOP_MARGIN_SECONDS
    # robust: a broker that is down must not turn a committed job into an error page; the
    # reconciler sends it again later.
    transaction.on_commit(partial(_send, job.pk, job.queue, hard_limit), robust=True)


@transaction.atomic
def job_queue(
    *,
    project: EvaluationProject,
    task: EvaluationTask,
    system: AISystem,
    institute: Institute,
    requested_by,
    params: dict[str, Any] | None = None,
    guideline_version: GuidelineVersion | None = None,
    retry_of: EvaluationJob | None = None,
) -> EvaluationJob:
    """Queue a job to run `task` against `system` for `institute`.

    Refused (PermissionDenied) unless the requester may act for the institute in the project
    (evaluator role or above, see `access.can_act_for`); refused (ValidationError naming the field)
    for an inactive project or task, an import-only task, another project's task, a system outside the project or outside its access window,
    an unadopted guideline version, or bad params. Params are the task's defaults overridden by
    `params`. The message is sent when the transaction commits.
    """
    access.require(
        access.can_act_for(requested_by, project, institute),
        f"You cannot queue jobs in '{project.slug}' for {institute.name}: that needs the "
        "evaluator role at a participating institute.",
    )
    errors: dict[str, list[str]] = {}
    if project.status not in QUEUEABLE_PROJECT_STATUSES:
        errors["project"] = [f"The project is {project.status}: it runs no more jobs."]
    if not task.is_active:
        errors["task"] = [f"The task '{task.name}' is retired."]
    elif task.project_id is not None and task.project_id != project.pk:
        errors["task"] = [f"The task '{task.name}' is not a task of project '{project.slug}'."]
    elif not task.runnable:
        errors["task"] = [
            f"'{task.name}' is an import-only task: Concord cannot run it here "
            f"({task.runnable_note or 'its reference does not resolve on this server'}). "
            "Import its logs instead."
        ]
    window_error = access_window_error(project, system)
    if window_error:
        errors["system"] = [window_error]
    if (
        guideline_version is not None
        and not project.adoptions.filter(version=guideline_version).exists()
    ):
        errors["guideline_version"] = ["The project has not adopted this guideline version."]
    try:
        cleaned = clean_params({**(task.default_params or {}), **(params or {})})
    except ValidationError as exc:
        errors["params"] = [
            message for field_errors in exc.message_dict.values() for message in field_errors
        ]
    if errors:
        raise ValidationError(errors)

    # An institute's worker pool runs the job when the project chose one or the institute has a
    # default (a retry keeps its job's pool while it is active); else Concord's own workers do.
    pool = None
    if retry_of is not None and retry_of.pool_id is not None:
        pool = WorkerPool.objects.active().filter(pk=retry_of.pool_id).first()
    if pool is None:
        pool = pool_for(project=project, institute=institute)
    job = EvaluationJob.objects.create(
        project=project,
        task=task,
        system=system,
        institute=institute,
        requested_by=requested_by,
        guideline_version=guideline_version,
        params=cleaned,
        retry_of=retry_of,
        pool=pool,
        enqueued_at=timezone.now(),
    )
    if pool is None:
        _enqueue_on_commit(job)
    else:  # the pool's workers claim it through the worker API; wake those waiting
        pool_wakeup.pool_job_queued(pool.pk)
    return job


def job_cancel(*, job: EvaluationJob, user) -> EvaluationJob:
    """Cancel a job. A queued job is cancelled at once; a running one is flagged, and its worker
    stops the evaluation within seconds and marks it cancelled. Evaluators of the job's institute,
    project leads and programme managers may cancel."""
    access.require(access.can_control_job(user, job), "You cannot cancel this job.")
    now = timezone.now()
    with transaction.atomic():
        cancelled = EvaluationJob.objects.filter(pk=job.pk, status=Status.QUEUED).update(
            status=Status.CANCELLED, cancel_requested=True, finished_at=now
        )
        if cancelled:
            webhook_events.job_finished(job_id=job.pk)
        else:
            flagged = EvaluationJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
                cancel_requested=True
            )
            if not flagged:
                job.refresh_from_db()
                raise ValidationError(f"The job has already {job.status}: it cannot be cancelled.")
    job.refresh_from_db()
    return job


def job_retry(*, job: EvaluationJob, user) -> EvaluationJob:
    """Queue a new job with the same task, system, institute and params as a failed or cancelled
    one (all of job_queue's checks apply again, the access window included). Who may is asked
    first: someone who may not retry it is told so, whatever the job's state."""
    access.require(
        access.can_act_for(user, job.project_id, job.institute_id),
        f"You cannot retry this job: that needs the evaluator role at {job.institute.name} "
        "in the project.",
    )
    if job.status not in (Status.FAILED, Status.CANCELLED):
        raise ValidationError(
            f"Only failed or cancelled jobs are retried; this one is {job.status}."
        )
    return job_queue(
        project=job.project,
        task=job.task,
        system=job.system,
        institute=job.institute,
        requested_by=user,
        params=job.params,
        guideline_version=job.guideline_version,
        retry_of=job,
    )


def jobs_reap(*, now: datetime | None = None) -> dict[str, int]:
    """Find running jobs whose heartbeat went stale (their worker was killed or lost) and re-queue
    them, or fail them with the reason once they have used `max_attempts`. A stale job whose
    cancellation was requested is simply cancelled. Safe to run concurrently (SKIP LOCKED)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.CONCORD_JOB_STALE_SECONDS)
    counts = {"requeued": 0, "failed": 0, "cancelled": 0}
    with transaction.atomic():
        stale = (
            EvaluationJob.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("pool")
            .filter(status=Status.RUNNING)
            .filter(
                Q(heartbeat_at__lt=stale_before)
                | Q(heartbeat_at__isnull=True, started_at__lt=stale_before)
            )
        )
        for job in stale:
            last = job.heartbeat_at or job.started_at
            seen = f"{last:%Y-%m-%d %H:%M:%S} UTC" if last else "never"
            lost = (
                f"attempt {job.attempts} lost: its worker stopped answering (last heartbeat {seen})"
            )
            job.worker = ""
            job.heartbeat_at = None
            if job.cancel_requested:
                job.status = Status.CANCELLED
                job.finished_at = now
                job.error = f"Cancelled; {lost}."
                counts["cancelled"] += 1
            elif job.pool is not None and job.pool.revoked_at is not None:
                job.status = Status.FAILED
                job.finished_at = now
                job.error = f"Failed: {lost}, and its worker pool '{job.pool.name}' is revoked."
                counts["failed"] += 1
            elif job.attempts < job.max_attempts:
                job.status = Status.QUEUED
                job.progress_done = 0
                job.enqueued_at = now
                job.error = f"Re-queued: {lost}."
                if job.pool_id is None:
                    _enqueue_on_commit(job)
                else:  # a pool job waits for its own pool's workers
                    pool_wakeup.pool_job_queued(job.pool_id)
                counts["requeued"] += 1
            else:
                job.status = Status.FAILED
                job.finished_at = now
                job.error = (
                    f"Failed: {lost}. The job was tried {job.attempts} times "
                    f"(max_attempts={job.max_attempts})."
                )
                counts["failed"] += 1
            job.save(
                update_fields=[
                    "status",
                    "worker",
                    "heartbeat_at",
                    "progress_done",
                    "enqueued_at",
                    "finished_at",
                    "error",
                ]
            )
            if job.status in EvaluationJob.FINAL:
                webhook_events.job_finished(job_id=job.pk)
            logger.warning("job %s: %s", job.pk, job.error)
    return counts


def jobs_reconcile(*, now: datetime | None = None) -> int:
    """Send again the jobs that are still `queued` long after they were sent: the broker may have
    lost the message (Redis restarted without persistence, a worker died between receiving and
    claiming it). Duplicates are harmless: the claim is conditional. Returns how many were sent."""
    now = now or timezone.now()
    before = now - timedelta(seconds=settings.CONCORD_JOB_REQUEUE_SECONDS)
    sent = 0
    with transaction.atomic():
        lost = (
            EvaluationJob.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED, pool__isnull=True)  # pools' workers claim theirs
            .filter(Q(enqueued_at__lt=before) | Q(enqueued_at__isnull=True, created_at__lt=before))
        )
        for job in lost:
            job.enqueued_at = now
            job.save(update_fields=["enqueued_at"])
            _enqueue_on_commit(job)
            sent += 1
    if sent:
        logger.info("re-sent %s queued jobs", sent)
    return sent
