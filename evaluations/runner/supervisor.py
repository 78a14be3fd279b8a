"""Run one job: claim it, fork the evaluation child, supervise it, record the outcome.

See the package docstring for why Inspect runs in a supervised child. The supervisor is the only
writer of the job row while the job runs, and every write is conditional on the job still being
this attempt's (`status='running' AND attempts=<n>`): if the reaper re-queued the job (our
heartbeats stopped reaching the database), this attempt stops and writes nothing more.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.utils import timezone

from evaluations.ingestion import LogReadError, run_ingest_log
from evaluations.models import EvaluationJob, EvaluationRun
from evaluations.rules import access_window_error
from institutes import audit
from webhooks import events as webhook_events

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


@dataclass
class Outcome:
    owned: bool = True  # False: the job was taken from this attempt (re-queued by the reaper)
    stop: str = ""  # "cancel" | "time_limit" when the supervisor stopped the child
    killed: bool = False  # the child had to be SIGKILLed
    exit_status: int | None = None
    message: dict[str, Any] = field(default_factory=dict)  # the child's last word
    done: int = 0
    total: int = 0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def job_log_dir(job: EvaluationJob) -> Path:
    return Path(settings.CONCORD_LOG_DIR) / "jobs" / str(job.pk) / f"attempt-{job.attempts}"


def claim(job_id: int) -> EvaluationJob | None:
    """Take a queued job for this worker, atomically: a conditional UPDATE, so of two deliveries
    of the same message (or a re-sent one) only one runs the job."""
    now = timezone.now()
    claimed = EvaluationJob.objects.filter(
        pk=job_id, status=Status.QUEUED, cancel_requested=False
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
    owned = EvaluationJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts)
    if fields.get("status") not in EvaluationJob.FINAL:
        return owned.update(**fields) == 1
    with transaction.atomic():  # the final status and its webhook deliveries commit together
        if owned.update(**fields) != 1:
            return False
        webhook_events.job_finished(job_id=job.pk)
    return True


def eval_spec(job: EvaluationJob, log_dir: Path) -> dict[str, Any]:
    """Everything the child needs, as plain values (the child has no database)."""
    system = job.system
    params = job.params or {}
    model_args: dict[str, Any] = {}
    if system.api_key_env:
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
        "log_dir": str(log_dir),
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


def _fork_child(spec: dict[str, Any]) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    # The child must not share the database connection's socket with us.
    connections.close_all()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (runs in the child; covered by the worker tests)
        os.close(read_fd)
        from evaluations.runner.child import run_eval

        run_eval(spec, write_fd)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    return pid, read_fd


def _read_messages(fd: int, buffer: bytearray) -> list[dict[str, Any]]:
    try:
        while chunk := os.read(fd, 65536):
            buffer.extend(chunk)
    except BlockingIOError:
        pass
    messages = []
    while b"\n" in buffer:
        line, _, rest = bytes(buffer).partition(b"\n")
        buffer[:] = rest
        try:
            messages.append(json.loads(line))
        except ValueError:
            logger.warning("unreadable message from evaluation child: %r", line[:200])
    return messages


def supervise(job: EvaluationJob, spec: dict[str, Any]) -> Outcome:
    """Run the child until it exits; meanwhile heartbeat, report progress, and stop it on cancel
    or at the time limit (SIGINT, then SIGKILL after the grace period)."""
    heartbeat_every = float(settings.CONCORD_JOB_HEARTBEAT_SECONDS)
    grace = float(settings.CONCORD_JOB_CANCEL_GRACE_SECONDS)
    soft_limit = time_limit(job)
    outcome = Outcome()
    pid, fd = _fork_child(spec)
    buffer = bytearray()
    started = time.monotonic()
    last_beat = last_cancel_check = 0.0
    written = (-1, -1)
    stop_sent_at: float | None = None
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.25)
            for message in _read_messages(fd, buffer) if ready else []:
                if message.get("event") == "start":
                    outcome.total = int(message.get("total") or 0)
                elif message.get("event") == "sample":
                    outcome.done = int(message.get("done") or 0)
                else:
                    outcome.message = message
            waited_pid, status = os.waitpid(pid, os.WNOHANG)
            if waited_pid:
                outcome.exit_status = status
                for message in _read_messages(fd, buffer):
                    if message.get("event") in ("finished", "crashed"):
                        outcome.message = message
                    elif message.get("event") == "sample":
                        outcome.done = int(message.get("done") or 0)
                return outcome

            now = time.monotonic()
            if outcome.owned:
                try:
                    last_beat, written, last_cancel_check = _check_in(
                        job, outcome, now, last_beat, written, last_cancel_check, heartbeat_every
                    )
                except DatabaseError:
                    # The database is unreachable for now: keep the evaluation going and try at
                    # the next beat. If it stays away, the reaper takes the job for lost.
                    logger.warning("job %s: heartbeat failed", job.pk, exc_info=True)
                    connections.close_all()
                if not outcome.owned:
                    logger.warning("job %s attempt %s: no longer ours", job.pk, job.attempts)
                    _kill(pid)
                    continue
            if not outcome.stop and now - started >= soft_limit:
                outcome.stop = "time_limit"
            if outcome.stop and stop_sent_at is None:
                logger.info("job %s: stopping the evaluation (%s)", job.pk, outcome.stop)
                _signal(pid, signal.SIGINT)
                stop_sent_at = now
            elif stop_sent_at is not None and now - stop_sent_at >= grace and not outcome.killed:
                logger.warning("job %s: evaluation did not stop within %ss; killing", job.pk, grace)
                _kill(pid)
                outcome.killed = True
    finally:
        os.close(fd)
        if outcome.exit_status is None:  # leaving on an exception: the child must not outlive us
            _kill(pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _check_in(
    job: EvaluationJob,
    outcome: Outcome,
    now: float,
    last_beat: float,
    written: tuple[int, int],
    last_cancel_check: float,
    heartbeat_every: float,
) -> tuple[float, tuple[int, int], float]:
    """Heartbeat and progress (when due), and the cancel flag (every second at most)."""
    progress = (min(outcome.done, outcome.total), outcome.total)
    if now - last_beat >= heartbeat_every or (progress != written and now - last_beat >= 1):
        if not _update_owned(
            job,
            heartbeat_at=timezone.now(),
            progress_done=progress[0],
            progress_total=progress[1],
        ):
            outcome.owned = False
            return last_beat, written, last_cancel_check
        last_beat, written = now, progress
    if not outcome.stop and now - last_cancel_check >= min(1.0, heartbeat_every):
        last_cancel_check = now
        if EvaluationJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            outcome.stop = "cancel"
    return last_beat, written, last_cancel_check


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _kill(pid: int) -> None:
    _signal(pid, signal.SIGKILL)


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


def _describe_exit(status: int | None) -> str:
    if status is None:
        return "The evaluation process ended without reporting."
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        name = (
            signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else signum
        )
        return (
            f"The evaluation process was killed by {name} before it finished "
            "(out of memory, or stopped by the system)."
        )
    return f"The evaluation process exited with status {os.WEXITSTATUS(status)} without a result."


def record_outcome(job: EvaluationJob, outcome: Outcome, log_dir: Path) -> None:
    """Turn how the child ended into the job's final state (and its run, when there is one)."""
    if not outcome.owned:
        return
    now = timezone.now()
    message = outcome.message
    status = message.get("status") if message.get("event") == "finished" else None
    log_path = _log_file(log_dir, message.get("location", ""))
    common = {
        "finished_at": now,
        "heartbeat_at": now,
        "log_file": _stored(log_path),
        "progress_done": min(outcome.done, outcome.total),
        "progress_total": outcome.total,
    }

    if status in ("success", "error") and log_path is not None:
        _ingest_and_finish(job, log_path, status, message.get("error", ""), common)
        return
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


def job_audit_context(job: EvaluationJob) -> dict[str, Any]:
    """Who the trail names for a job's writes: the worker, on behalf of the person who queued it."""
    return {
        **audit.current_context(),
        "actor_kind": "worker",
        "actor_id": job.requested_by_id,
        "source": f"job {job.pk}",
    }


def _ingest_and_finish(
    job: EvaluationJob, log_path: Path, status: str, error: str, common: dict[str, Any]
) -> None:
    try:
        with audit.acting_as(**job_audit_context(job)), transaction.atomic():
            locked = EvaluationJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != Status.RUNNING or locked.attempts != job.attempts:
                return  # taken from us while we were finishing
            result = run_ingest_log(
                path=log_path,
                project=job.project,
                institute=job.institute,
                task=job.task,
                system=job.system,
                source=EvaluationRun.Source.JOB,
                job=locked,
                log_file=common["log_file"],
            )
            if status == "success":
                locked.status = Status.SUCCEEDED
                locked.error = ""
                common = {**common, "progress_done": common["progress_total"]}
            else:
                locked.status = Status.FAILED
                locked.error = f"Inspect reported an error: {error}" if error else "Inspect error."
            for name, value in common.items():
                setattr(locked, name, value)
            locked.run = result.run
            locked.save(update_fields=["status", "error", "run", *common])
            webhook_events.job_finished(job_id=locked.pk)
    except (LogReadError, ValidationError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        _update_owned(
            job, status=Status.FAILED, error=f"The log could not be ingested: {text}", **common
        )


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
