"""What an institute's worker pool does through the worker API: claim a job, heartbeat, upload
the log, finish; and the ingestion of a pool job's log on Concord's `ingest` queue.

A pool reaches only its own jobs: every look-up is by (job id, pool), so a job of another pool is
not found (404). Every write of a running job is fenced by the attempt the worker holds
(`status='running' AND attempts=<n>`): when the reaper re-queued the job, or it finished, the
worker is told the attempt is not held any more (`NotHeld`, 409) and nothing changes.

The claim is the conditional UPDATE of Concord's own workers (queued -> running, attempts + 1),
on the oldest queued job of the pool, locked with SKIP LOCKED so concurrent claims never take the
same job. The final status is written by `evaluations.services.job_outcome`, the same rules as
for Concord's own workers.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from evaluations import logstore
from evaluations.models import EvaluationJob, WorkerPool
from evaluations.models.pools import CREDENTIAL_PREFIX, hash_credential
from evaluations.results.transcripts import log_storage
from evaluations.rules import access_window_error
from evaluations.services import pool_wakeup
from evaluations.services.job_outcome import (
    job_audit_context,
    job_finish_with_log,
    job_update_owned,
    log_mismatch,
)
from institutes import audit

logger = logging.getLogger(__name__)
Status = EvaluationJob.Status

# last_seen_at is written at most this often per pool.
LAST_SEEN_RESOLUTION = timedelta(seconds=30)
FINISH_STATUSES = ("success", "error", "cancelled", "crashed")
_EVAL_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class NotHeld(Exception):
    """The job (this attempt) is not held by the pool any more: re-queued, finished, another
    attempt. The worker abandons the attempt."""


class UploadTooLarge(Exception):
    pass


def pool_by_credential(raw: str) -> WorkerPool | None:
    """The active pool whose credential this is (None: unknown or revoked)."""
    if not raw.startswith(CREDENTIAL_PREFIX):
        return None
    pool = (
        WorkerPool.objects.active()
        .select_related("institute")
        .filter(credential_hash=hash_credential(raw))
        .first()
    )
    if pool is not None:
        now = timezone.now()
        if pool.last_seen_at is None or now - pool.last_seen_at > LAST_SEEN_RESOLUTION:
            WorkerPool.objects.filter(pk=pool.pk).update(last_seen_at=now)
    return pool


def _pool_job(pool: WorkerPool, job_id: int) -> EvaluationJob:
    job = (
        EvaluationJob.objects.select_related("project", "task", "system", "institute")
        .filter(pk=job_id, pool=pool)
        .first()
    )
    if job is None:
        raise Http404("No such job in this pool.")
    return job


def _held(job: EvaluationJob, attempt: int) -> bool:
    return job.status == Status.RUNNING and job.attempts == attempt


def job_spec(job: EvaluationJob) -> dict[str, Any]:
    """The job as a pool's worker runs it: Concord's eval() arguments without a key or a log
    directory, and the name of the environment variable that holds the key on the worker's
    machine."""
    from evaluations.runner.supervisor import eval_spec, time_limit

    spec = eval_spec(job, None, read_key=False)
    spec["eval_kwargs"].pop("log_dir", None)
    return {
        "id": job.pk,
        "attempt": job.attempts,
        "heartbeat_seconds": float(settings.CONCORD_JOB_HEARTBEAT_SECONDS),
        "time_limit_seconds": time_limit(job),
        "cancel_grace_seconds": float(settings.CONCORD_JOB_CANCEL_GRACE_SECONDS),
        "spec": {**spec, "api_key_env": job.system.api_key_env or ""},
    }


def _claim_once(pool: WorkerPool, worker: str) -> EvaluationJob | None:
    now = timezone.now()
    with transaction.atomic():
        candidate = (
            EvaluationJob.objects.select_for_update(skip_locked=True)
            .filter(pool=pool, status=Status.QUEUED, cancel_requested=False)
            .order_by(F("enqueued_at").asc(nulls_first=True), "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        claimed = EvaluationJob.objects.filter(
            pk=candidate, pool=pool, status=Status.QUEUED, cancel_requested=False
        ).update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            worker=worker[:200],
            progress_done=0,
        )
    if not claimed:
        return None
    return _pool_job(pool, candidate)


def pool_claim(*, pool: WorkerPool, worker: str, wait: float) -> EvaluationJob | None:
    """Take the pool's oldest queued job for `worker`, waiting up to `wait` seconds (capped at
    CONCORD_WORKER_LONG_POLL_SECONDS) for one to come: woken by the job's queueing
    (`pool_wakeup`), not by polling. A job whose access window closed while it waited is failed
    with the reason and the next one is tried."""
    wait = max(0.0, min(float(wait), float(settings.CONCORD_WORKER_LONG_POLL_SECONDS)))
    deadline = time.monotonic() + wait
    with pool_wakeup.listening(pool.pk):
        while True:
            job = _claim_once(pool, worker)
            if job is not None:
                window = access_window_error(job.project, job.system)
                if not window:
                    return job
                now = timezone.now()
                with audit.acting_as(**job_audit_context(job)):
                    job_update_owned(
                        job,
                        status=Status.FAILED,
                        error=f"Not run: {window}",
                        finished_at=now,
                        heartbeat_at=now,
                    )
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            pool_wakeup.wait_for_job(remaining)


def pool_job_heartbeat(
    *,
    pool: WorkerPool,
    job_id: int,
    attempt: int,
    progress_done: int = 0,
    progress_total: int = 0,
    worker: str = "",
) -> bool:
    """Record that the worker still runs this attempt, with its progress. Returns whether
    someone asked to cancel the job. NotHeld when the attempt is not the pool's any more."""
    job = _pool_job(pool, job_id)
    total = max(0, int(progress_total))
    done = max(0, int(progress_done))
    if total:
        done = min(done, total)
    fields: dict[str, Any] = {
        "heartbeat_at": timezone.now(),
        "progress_done": done,
        "progress_total": total,
    }
    if worker:
        fields["worker"] = worker[:200]
    updated = EvaluationJob.objects.filter(
        pk=job.pk, pool=pool, status=Status.RUNNING, attempts=attempt
    ).update(**fields)
    if not updated:
        raise NotHeld(f"Job {job.pk} attempt {attempt} is not held by this pool any more.")
    return EvaluationJob.objects.filter(pk=job.pk, cancel_requested=True).exists()


def _attempt_prefix(job: EvaluationJob, attempt: int) -> str:
    return f"jobs/{job.pk}/attempt-{attempt}/"


def pool_job_store_log(
    *,
    pool: WorkerPool,
    job_id: int,
    attempt: int,
    eval_id: str,
    stream: IO[bytes],
    length: int | None,
) -> bool:
    """Store the attempt's log (read from `stream`) in Concord's log storage under
    `jobs/<id>/attempt-<n>/<eval id>.eval`. Idempotent by (job, attempt, eval id): a log already
    stored is not stored again. Returns True when it was stored now, False when it already was.
    NotHeld when the attempt is not the pool's; UploadTooLarge past CONCORD_MAX_UPLOAD_BYTES."""
    if not _EVAL_ID.match(eval_id or ""):
        raise ValidationError(
            {"X-Concord-Eval-Id": "Send the log's eval id (letters, digits, - and _)."}
        )
    limit = settings.CONCORD_MAX_UPLOAD_BYTES
    if length is not None and length > limit:
        raise UploadTooLarge(f"The log is larger than {limit} bytes.")
    job = _pool_job(pool, job_id)
    if not _held(job, attempt):
        raise NotHeld(f"Job {job.pk} attempt {attempt} is not held by this pool any more.")
    name = f"{_attempt_prefix(job, attempt)}{eval_id}.eval"
    storage = log_storage()
    created = False
    with logstore.answering():  # a bucket that does not answer: 503, and the worker retries
        if not storage.exists(name):
            with tempfile.TemporaryFile(prefix="concord-pool-log-") as staged:
                size = 0
                while chunk := stream.read(1024 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise UploadTooLarge(f"The log is larger than {limit} bytes.")
                    staged.write(chunk)
                if size == 0:
                    raise ValidationError("The log is empty.")
                staged.seek(0)
                stored = storage.save(name, File(staged, name=name))
            if stored != name:  # another upload of the same log won the race: keep one copy
                storage.delete(stored)
            else:
                created = True
    if not job_update_owned(job, log_file=name, heartbeat_at=timezone.now()):
        raise NotHeld(f"Job {job.pk} attempt {attempt} is not held by this pool any more.")
    return created


def pool_job_finish(
    *,
    pool: WorkerPool,
    job_id: int,
    attempt: int,
    status: str,
    error: str = "",
    eval_id: str | None = None,
    exit: str = "",
) -> None:
    """The worker's attempt ended. A finished log (success, error) is ingested on the `ingest`
    queue after this commits; a cancelled, crashed or log-less attempt is final at once.
    Idempotent: finishing the same attempt again changes nothing more. NotHeld when the attempt
    was taken from the pool (re-queued) or another attempt holds the job."""
    if status not in FINISH_STATUSES:
        raise ValidationError({"status": f"Use one of: {', '.join(FINISH_STATUSES)}."})
    job = _pool_job(pool, job_id)
    if job.attempts == attempt and job.is_final:
        return  # already finished: a repeated finish
    if not _held(job, attempt):
        raise NotHeld(f"Job {job.pk} attempt {attempt} is not held by this pool any more.")
    now = timezone.now()
    log_file = job.log_file if job.log_file.startswith(_attempt_prefix(job, attempt)) else ""
    common = {"finished_at": now, "heartbeat_at": now, "log_file": log_file}
    error = (error or "").strip()
    with audit.acting_as(**job_audit_context(job, source=f"job {job.pk} on pool {pool.name}")):
        if status in ("success", "error") and log_file:
            job_update_owned(job, heartbeat_at=now)
            transaction.on_commit(
                partial(_send_ingest, job.pk, attempt, status, error, eval_id or ""), robust=True
            )
        elif status == "cancelled":
            job_update_owned(
                job,
                status=Status.CANCELLED,
                error="" if job.cancel_requested else "The evaluation was interrupted.",
                **common,
            )
        else:
            reason = error or (
                "The worker reported success but uploaded no log."
                if status == "success"
                else "The evaluation process on the pool's worker ended without a result."
            )
            if exit:
                reason = f"{reason} ({exit[:200]})"
            job_update_owned(job, status=Status.FAILED, error=reason, **common)


def _send_ingest(job_id: int, attempt: int, status: str, error: str, eval_id: str) -> None:
    from evaluations.tasks import ingest_pool_log

    ingest_pool_log.delay(job_id, attempt, status, error, eval_id)


def pool_job_ingest(*, job_id: int, attempt: int, status: str, error: str, eval_id: str) -> str:
    """Ingest the log a pool's worker uploaded for this attempt and write the job's final status
    (`job_outcome.job_finish_with_log`). The log must be the job's: its eval id, task and model
    (else the job fails with that reason). Returns the job's status. A log storage that does not
    answer raises (the task tries again); a log that is not there fails the job."""
    job = (
        EvaluationJob.objects.select_related("project", "task", "system", "institute", "pool")
        .filter(pk=job_id)
        .first()
    )
    if job is None or not _held(job, attempt):
        return job.status if job is not None else "missing"
    now = timezone.now()
    fields = {
        "finished_at": now,
        "heartbeat_at": now,
        "log_file": job.log_file,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
    }
    context = job_audit_context(job, source=f"job {job.pk} on pool {job.pool}")
    suffix = Path(job.log_file).suffix or ".eval"
    with tempfile.TemporaryDirectory(prefix="concord-pool-ingest-") as staging:
        local = Path(staging) / f"log{suffix}"
        try:
            # A bucket that does not answer: StorageUnavailable, which the task retries.
            with (
                logstore.answering(),
                log_storage().open(job.log_file, "rb") as source,
                local.open("wb") as target,
            ):
                shutil.copyfileobj(source, target, 1024 * 1024)
        except FileNotFoundError as exc:
            with audit.acting_as(**context):
                job_update_owned(
                    job,
                    status=Status.FAILED,
                    error=f"The uploaded log could not be read from the log storage: {exc}",
                    **fields,
                )
            job.refresh_from_db(fields=["status"])
            return job.status
        with audit.acting_as(**context):
            job_finish_with_log(
                job=job,
                log_path=local,
                status=status,
                error=error,
                fields=fields,
                check=lambda: log_mismatch(job, local, eval_id=eval_id or None),
            )
    job.refresh_from_db(fields=["status"])
    return job.status
