"""Writes for external runs: Inspect evaluations an institute runs on its own machines, reported to
Concord while they run by concord-client's Inspect hook (`POST`/`PATCH /api/v1/external-runs/`).

The rules:

- Reporting takes the evaluator role at the institute in the project (`access.can_act_for`), like
  queueing a job or uploading a log; a viewer or an outsider is refused (403).
- The Inspect eval id is the run's identity: a report of an eval id already reported for the
  project answers the row made the first time (a retried POST never makes two); an eval id
  reported for, or imported into, another project is refused (400).
- Progress never goes backwards: `samples_done` (and `samples_total`) only grow, so messages that
  arrive out of order do no harm. A final status (succeeded, failed, cancelled) is final: the same
  one again is accepted and changes nothing, another one is refused (400). Each change is a
  conditional UPDATE on the row (`Greatest`, `WHERE status = 'running'`), so concurrent reports
  cannot undo each other.
- The log arrives later through the import (`services.imports.run_import`), which calls
  `external_run_link`: the row points at the run with the same eval id and, when still
  running, takes its outcome from the run's status. A report of an eval id whose log was
  imported first links at once, the same way.
"""

from __future__ import annotations

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from evaluations.models import EvaluationProject, EvaluationRun, ExternalRun
from institutes import access
from institutes.models import Institute

Status = ExternalRun.Status

# What an imported log's status says about the evaluation that produced it (a "started" log is
# never imported: the ingestion refuses it).
RUN_OUTCOME = {
    EvaluationRun.Status.SUCCESS: Status.SUCCEEDED,
    EvaluationRun.Status.ERROR: Status.FAILED,
    EvaluationRun.Status.CANCELLED: Status.CANCELLED,
}


# The end of a long error (a traceback's last lines say the most) is kept; an outcome is never
# refused for the length of its message.
ERROR_KEPT = 20_000


def _error_text(error: str) -> str:
    return error if len(error) <= ERROR_KEPT else "…" + error[-(ERROR_KEPT - 1) :]


class Reported(NamedTuple):
    external_run: ExternalRun
    created: bool


def _require_actor(user, project, institute) -> None:
    access.require(
        access.can_act_for(user, project, institute),
        "You cannot report runs in this project for this institute: that takes the evaluator "
        "role at a participating institute.",
    )


def _same_report(existing: ExternalRun, project: EvaluationProject, institute) -> Reported:
    if existing.project_id != project.pk:
        raise ValidationError({"eval_id": "This Inspect eval id was reported for another project."})
    if existing.institute_id != institute.pk:
        raise ValidationError(
            {"eval_id": "This Inspect eval id was reported for another institute."}
        )
    return Reported(existing, False)


def _link(external_run: ExternalRun, run: EvaluationRun) -> None:
    """Point the row at its run; a row still running takes the run's outcome."""
    rows = ExternalRun.objects.filter(pk=external_run.pk)
    rows.filter(run__isnull=True).update(run=run)
    outcome = RUN_OUTCOME.get(EvaluationRun.Status(run.status)) if run.status else None
    if outcome is not None:
        rows.filter(status=Status.RUNNING).update(
            status=outcome, finished_at=run.completed_at or timezone.now()
        )
    external_run.refresh_from_db()


@transaction.atomic
def external_run_report(
    *,
    user,
    project: EvaluationProject,
    institute: Institute,
    eval_id: str,
    task_name: str,
    model: str,
    inspect_run_id: str = "",
    samples_total: int = 0,
    host: str = "",
    inspect_version: str = "",
) -> Reported:
    """Record that an evaluation started (idempotent by `eval_id`: see the module docstring)."""
    _require_actor(user, project, institute)
    eval_id = eval_id.strip()
    errors = {
        name: "Required."
        for name, value in (("eval_id", eval_id), ("task_name", task_name), ("model", model))
        if not value.strip()
    }
    if samples_total < 0:
        errors["samples_total"] = "Not below 0 (0: not known)."
    if errors:
        raise ValidationError(errors)
    existing = ExternalRun.objects.filter(eval_id=eval_id).first()
    if existing is not None:
        return _same_report(existing, project, institute)
    run = EvaluationRun.objects.filter(inspect_eval_id=eval_id).first()
    if run is not None and run.project_id != project.pk:
        raise ValidationError(
            {"eval_id": "A log with this Inspect eval id was imported into another project."}
        )
    try:
        with transaction.atomic():
            external_run = ExternalRun.objects.create(
                project=project,
                institute=institute,
                reported_by=user,
                eval_id=eval_id,
                inspect_run_id=inspect_run_id.strip(),
                task_name=task_name.strip(),
                model=model.strip(),
                samples_total=samples_total,
                host=host.strip(),
                inspect_version=inspect_version.strip(),
            )
    except IntegrityError:
        # Lost a race with a concurrent report of the same eval id: answer the winner's row.
        existing = ExternalRun.objects.filter(eval_id=eval_id).first()
        if existing is None:
            raise
        return _same_report(existing, project, institute)
    if run is not None:
        _link(external_run, run)
    return Reported(external_run, True)


@transaction.atomic
def external_run_progress(
    *,
    user,
    external_run: ExternalRun,
    samples_done: int | None = None,
    samples_total: int | None = None,
    status: str | None = None,
    error: str | None = None,
) -> ExternalRun:
    """Record progress and the outcome: counts only grow, and a final status is final (see the
    module docstring). Answers the row as it is after the change."""
    _require_actor(user, external_run.project_id, external_run.institute_id)
    errors = {
        name: "Not below 0."
        for name, value in (("samples_done", samples_done), ("samples_total", samples_total))
        if value is not None and value < 0
    }
    if status is not None and status not in Status.values:
        errors["status"] = f"One of: {', '.join(Status.values)}."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    rows = ExternalRun.objects.filter(pk=external_run.pk)
    if status is not None and status != Status.RUNNING:
        changes: dict = {"status": status, "finished_at": now}
        if error is not None:
            changes["error"] = _error_text(error)
        if not rows.filter(status=Status.RUNNING).update(**changes):
            current = rows.values_list("status", flat=True).get()
            if current != status:
                raise ValidationError(
                    {"status": f"The run has already {current}: a final status is final."}
                )
    else:
        running = rows.filter(status=Status.RUNNING)
        if status == Status.RUNNING and not running.exists():
            current = rows.values_list("status", flat=True).get()
            raise ValidationError(
                {"status": f"The run has already {current}: a final status is final."}
            )
        if error is not None:
            running.update(error=_error_text(error))
    counters: dict = {"heartbeat_at": Greatest(F("heartbeat_at"), Value(now))}
    if samples_done is not None:
        counters["samples_done"] = Greatest(F("samples_done"), Value(samples_done))
    if samples_total is not None:
        counters["samples_total"] = Greatest(F("samples_total"), Value(samples_total))
    rows.update(**counters)
    external_run.refresh_from_db()
    return external_run


@transaction.atomic
def external_run_link(*, run: EvaluationRun) -> ExternalRun | None:
    """After a log is imported: the external run of the same eval id in the same project points at
    the run, and takes its outcome if it was still running. None when nothing reported it."""
    external_run = ExternalRun.objects.filter(
        eval_id=run.inspect_eval_id, project_id=run.project_id
    ).first()
    if external_run is None:
        return None
    _link(external_run, run)
    return external_run
