"""How a job attempt ends: one set of rules for Concord's own workers and institutes' pools.

Every write is fenced by the attempt (`status='running' AND attempts=<n>`): an attempt that the
reaper took back (its heartbeats stopped) writes nothing more. The final status and its
`job.finished` webhook deliveries commit together.

`job_finish_with_log` turns an Inspect log into the job's run and final status:
success -> succeeded with its run; error -> failed with Inspect's error and the partial run; a
log that cannot be read or ingested, or that is not the job's (a `check` says why) -> failed with
the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from evaluations.ingestion import LogReadError, run_ingest_log
from evaluations.ingestion.formats import open_log
from evaluations.models import EvaluationJob, EvaluationRun
from institutes import audit
from webhooks import events as webhook_events

Status = EvaluationJob.Status


def job_audit_context(job: EvaluationJob, **extra: Any) -> dict[str, Any]:
    """Who the trail names for a job's writes: the worker, on behalf of the person who queued it."""
    return {
        **audit.current_context(),
        "actor_kind": "worker",
        "actor_id": job.requested_by_id,
        "source": f"job {job.pk}",
        **extra,
    }


def job_update_owned(job: EvaluationJob, **fields: Any) -> bool:
    """Write `fields` if the job is still this attempt's; False (nothing written) otherwise."""
    owned = EvaluationJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts)
    if fields.get("status") not in EvaluationJob.FINAL:
        return owned.update(**fields) == 1
    with transaction.atomic():  # the final status and its webhook deliveries commit together
        if owned.update(**fields) != 1:
            return False
        webhook_events.job_finished(job_id=job.pk)
    return True


def log_mismatch(job: EvaluationJob, path: Path, *, eval_id: str | None = None) -> str:
    """Why the log at `path` is not the claimed job's ('' when it is): its eval id, task or model
    differ from what the job asked for."""
    with open_log(path, task=job.task) as reader:
        spec = reader.header().eval
    if eval_id and spec.eval_id != eval_id:
        return f"the log's eval id is '{spec.eval_id}', the worker reported '{eval_id}'"
    names = {n for n in (spec.task, getattr(spec, "task_registry_name", None)) if n}
    ref = job.task.inspect_ref
    short = {n.rsplit("/", 1)[-1] for n in names}
    if not (ref in names or any(ref == n or ref.endswith((f":{n}", f"/{n}")) for n in short)):
        return f"the log's task is '{spec.task}', the job's task is '{ref}'"
    if spec.model != job.system.inspect_model:
        return (
            f"the log's model is '{spec.model}', the job's system runs '{job.system.inspect_model}'"
        )
    return ""


def job_finish_with_log(
    *,
    job: EvaluationJob,
    log_path: Path,
    status: str,
    error: str,
    fields: dict[str, Any],
    check: Callable[[], str] | None = None,
) -> bool:
    """Ingest the attempt's log and write the job's final state (see the module docstring).
    `fields` are written with the status (finished_at, heartbeat_at, log_file, progress...).
    `check`, when given, returns why the log is not the job's ('' when it is). Returns False when
    the attempt was no longer the job's (nothing written)."""
    try:
        with audit.acting_as(**job_audit_context(job)), transaction.atomic():
            locked = EvaluationJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != Status.RUNNING or locked.attempts != job.attempts:
                return False  # taken from this attempt while it was finishing
            mismatch = check() if check is not None else ""
            if mismatch:
                raise ValidationError(f"The log is not this job's: {mismatch}.")
            result = run_ingest_log(
                path=log_path,
                project=job.project,
                institute=job.institute,
                task=job.task,
                system=job.system,
                source=EvaluationRun.Source.JOB,
                job=locked,
                log_file=fields.get("log_file", ""),
            )
            if status == "success":
                locked.status = Status.SUCCEEDED
                locked.error = ""
                fields = {**fields, "progress_done": fields.get("progress_total", 0)}
            else:
                locked.status = Status.FAILED
                locked.error = f"Inspect reported an error: {error}" if error else "Inspect error."
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.run = result.run
            locked.save(update_fields=["status", "error", "run", *fields])
            webhook_events.job_finished(job_id=locked.pk)
    except (LogReadError, ValidationError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        if not text.startswith("The log is not this job's"):
            text = f"The log could not be ingested: {text}"
        return job_update_owned(job, status=Status.FAILED, error=text, **fields)
    return True
