"""Run one job: claim it, fork the evaluation child, supervise it, record the outcome.

The fork and the supervise loop are `concord_client.runner` (shared with `concord worker`; its
package docstring says why Inspect runs in a supervised child); this module is the database's
side of it. The supervisor is the only writer of the job row while the job runs, and every
write is conditional on the job still being this attempt's (`status='running' AND attempts=<n>`): if the reaper re-queued the job (our
heartbeats stopped reaching the database), this attempt stops and writes nothing more.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

from concord_client.runner import supervisor as runner
from concord_client.runner.supervisor import CANCEL, LOST, CheckIn, Outcome
from concord_client.runner.supervisor import describe_exit as _describe_exit
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import F
from django.utils import timezone

from evaluations import logstore
from evaluations.models import EvaluationJob
from evaluations.rules import access_window_error
from evaluations.services.job_outcome import job_finish_with_log, job_update_owned

logger = logging.getLogger(__name__)
Status = EvaluationJob.Status

# eval() arguments taken from job params as they are; the rest are mapped below.
_DIRECT_PARAMS = (
    "limit",
    "epochs",
    "temperature",
    "seed",
    "max_tokens",
    "max_connections",
    "max_samples",
    "fail_on_error",
)


class JobError(Exception):
    """A job that cannot run, with the sentence its page shows."""


# Imported in the evaluation child before the task is built: registers the concord-demo models.
CHILD_PRELOAD = ("evaluations.suites.demo_model",)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def job_log_dir(job: EvaluationJob) -> Path:
    return Path(settings.CONCORD_LOG_DIR) / "jobs" / str(job.pk) / f"attempt-{job.attempts}"


def claim(job_id: int) -> EvaluationJob | None:
    """Take a queued job for this worker, atomically: a conditional UPDATE, so of two deliveries
    of the same message (or a re-sent one) only one runs the job."""
    now = timezone.now()
    claimed = EvaluationJob.objects.filter(
        # A job of an institute's worker pool is that pool's to claim (never Celery's).
        pk=job_id,
        status=Status.QUEUED,
        cancel_requested=False,
        pool__isnull=True,
    ).update(
        status=Status.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        worker=worker_name()[:200],
        progress_done=0,
    )
    if not claimed:
        return None
    return EvaluationJob.objects.select_related("project", "task", "system", "institute").get(
        pk=job_id
    )


def _update_owned(job: EvaluationJob, **fields) -> bool:
    return job_update_owned(job, **fields)


def eval_spec(job: EvaluationJob, log_dir: Path | None, *, read_key: bool = True) -> dict[str, Any]:
    """Everything the child needs, as plain values (the child has no database). For a pool's
    worker (`read_key=False`, `log_dir=None`): no key (the worker reads it from its own
    environment) and no log directory (the worker picks its own)."""
    system = job.system
    params = job.params or {}
    model_args: dict[str, Any] = {}
    if system.api_key_env and read_key:
        key = os.environ.get(system.api_key_env)
        if not key:
            raise JobError(
                f"The worker has no environment variable {system.api_key_env}, which should hold "
                f"the API key of {system}. Set it in the workers' environment."
            )
        model_args["api_key"] = key
    eval_kwargs: dict[str, Any] = {
        "model": system.inspect_model,
        "model_base_url": system.base_url or None,
        "model_args": model_args,
        "log_dir": str(log_dir) if log_dir is not None else None,
        "log_format": "eval",
        "display": "none",
        "log_buffer": 10,
        "tags": [f"concord-job-{job.pk}"],
        "metadata": {
            "concord_job": job.pk,
            "concord_project": job.project.slug,
            "concord_institute": job.institute.code,
            "concord_system": str(system),
        },
    }
    for name in _DIRECT_PARAMS:
        if name in params:
            eval_kwargs[name] = params[name]
    if "sample_time_limit" in params:
        eval_kwargs["time_limit"] = params["sample_time_limit"]
    return {
        "ref": job.task.inspect_ref,
        "task_args": params.get("task_args", {}),
        "eval_kwargs": eval_kwargs,
    }


def time_limit(job: EvaluationJob) -> float:
    return float((job.params or {}).get("time_limit") or settings.CONCORD_JOB_TIME_LIMIT_SECONDS)


def _check_in(job: EvaluationJob, heartbeat_every: float) -> CheckIn:
    """The job row's side of supervision: heartbeat and progress when due (or when the progress
    moved, at most once a second), then the cancel flag; every write is fenced by the attempt,
    and a write that finds the job taken from us answers "lost"."""
    last_beat = 0.0
    written = (-1, -1)

    def check_in(done: int, total: int) -> str | None:
        nonlocal last_beat, written
        now = time.monotonic()
        progress = (done, total)
        try:
            if now - last_beat >= heartbeat_every or (progress != written and now - last_beat >= 1):
                if not _update_owned(
                    job, heartbeat_at=timezone.now(), progress_done=done, progress_total=total
                ):
                    logger.warning("job %s attempt %s: no longer ours", job.pk, job.attempts)
                    return LOST
                last_beat, written = now, progress
            if EvaluationJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                return CANCEL
        except DatabaseError:
            # The database is unreachable for now: keep the evaluation going and try at the
            # next check-in. If it stays away, the reaper takes the job for lost.
            logger.warning("job %s: heartbeat failed", job.pk, exc_info=True)
            connections.close_all()
        return None

    return check_in


def supervise(job: EvaluationJob, spec: dict[str, Any]) -> Outcome:
    """Run the job's evaluation in the shared supervised child (`concord_client.runner`), with a
    check-in that writes this job's row; stop it on cancel or at the time limit."""
    heartbeat_every = float(settings.CONCORD_JOB_HEARTBEAT_SECONDS)
    return runner.supervise(
        spec,
        check_in=_check_in(job, heartbeat_every),
        check_every=min(1.0, heartbeat_every),
        time_limit=time_limit(job),
        grace=float(settings.CONCORD_JOB_CANCEL_GRACE_SECONDS),
        preload=CHILD_PRELOAD,
        # The child must not share the database connection's socket with us.
        before_fork=connections.close_all,
        label=f"job {job.pk}",
    )


def _log_file(log_dir: Path, location: str) -> Path | None:
    if location and Path(location).is_file():
        return Path(location)
    found = sorted(log_dir.glob("*.eval")) + sorted(log_dir.glob("*.json"))
    return found[-1] if found else None


def _stored(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return str(path.resolve().relative_to(Path(settings.CONCORD_LOG_DIR).resolve()))
    except ValueError:
        return str(path)


def record_outcome(job: EvaluationJob, outcome: Outcome, log_dir: Path) -> None:
    """Turn how the child ended into the job's final state (and its run, when there is one)."""
    if not outcome.owned:
        return
    now = timezone.now()
    message = outcome.message
    status = message.get("status") if message.get("event") == "finished" else None
    log_path = _log_file(log_dir, message.get("location", ""))
    common: dict[str, Any] = {
        "finished_at": now,
        "heartbeat_at": now,
        "log_file": _stored(log_path),
        "progress_done": min(outcome.done, outcome.total),
        "progress_total": outcome.total,
    }

    # The log goes into the log storage before it is ingested (into a bucket: retried while it
    # does not answer; on disk it is already there). Once stored, the worker's copy goes.
    if status in ("success", "error") and log_path is not None:
        try:
            common["log_file"] = logstore.store_job_log(log_path, common["log_file"])
        except logstore.StorageUnavailable as exc:
            error = f"{exc} It is kept on the worker {job.worker} at {log_path}."
            _update_owned(job, status=Status.FAILED, error=error, **{**common, "log_file": ""})
            return
        _ingest_and_finish(job, log_path, status, message.get("error", ""), common)
        logstore.discard_scratch(log_dir)
        return
    common["log_file"] = logstore.store_job_log_quietly(log_path, common["log_file"])
    if common["log_file"] or log_path is None:
        logstore.discard_scratch(log_dir)
    if outcome.stop == "cancel":
        _update_owned(job, status=Status.CANCELLED, error="", **common)
    elif outcome.stop == "time_limit":
        _update_owned(
            job,
            status=Status.FAILED,
            error=f"Stopped at the job's time limit ({time_limit(job):.0f} s).",
            **common,
        )
    elif status == "cancelled":
        _update_owned(
            job, status=Status.CANCELLED, error="The evaluation was interrupted.", **common
        )
    elif message.get("event") == "crashed":
        _update_owned(job, status=Status.FAILED, error=message.get("message", ""), **common)
    else:
        _update_owned(
            job, status=Status.FAILED, error=_describe_exit(outcome.exit_status), **common
        )


def _ingest_and_finish(
    job: EvaluationJob, log_path: Path, status: str, error: str, common: dict[str, Any]
) -> None:
    # One set of rules with institutes' pool workers (evaluations.services.job_outcome).
    job_finish_with_log(job=job, log_path=log_path, status=status, error=error, fields=common)


def run_job(job_id: int) -> str:
    """The whole life of one attempt. Returns a word for the worker log."""
    job = claim(job_id)
    if job is None:
        return "not claimed"
    log_dir = job_log_dir(job)
    try:
        window = access_window_error(job.project, job.system)
        if window:
            raise JobError(f"Not run: {window}")
        spec = eval_spec(job, log_dir)
        log_dir.mkdir(parents=True, exist_ok=True)
    except JobError as exc:
        now = timezone.now()
        _update_owned(job, status=Status.FAILED, error=str(exc), finished_at=now, heartbeat_at=now)
        return "failed"
    try:
        outcome = supervise(job, spec)
        record_outcome(job, outcome, log_dir)
    except Exception as exc:
        logger.exception("job %s failed in the worker", job_id)
        now = timezone.now()
        _update_owned(
            job,
            status=Status.FAILED,
            error=f"The worker failed while running the job: {exc.__class__.__name__}: {exc}",
            finished_at=now,
            heartbeat_at=now,
        )
    job.refresh_from_db(fields=["status"])
    return job.status
