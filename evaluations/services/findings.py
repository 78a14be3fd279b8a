"""Writes for findings: evaluators draft them; leads move them along
draft -> agreed -> shared with the developer -> published."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from evaluations.models import EvaluationProject, EvaluationRun, Finding, Workstream
from evaluations.services.projects import UNSET
from institutes import access


def _check_links(project: EvaluationProject, workstream: Workstream | None, runs) -> list:
    errors = {}
    if workstream is not None and workstream.project_id != project.pk:
        errors["workstream"] = "The workstream belongs to another project."
    runs = list(runs or [])
    if any(run.project_id != project.pk for run in runs):
        errors["runs"] = "Every linked run must belong to this project."
    if errors:
        raise ValidationError(errors)
    return runs


@transaction.atomic
def finding_create(
    *,
    user,
    project: EvaluationProject,
    title: str,
    severity: str = Finding.Severity.MEDIUM,
    body: str = "",
    workstream: Workstream | None = None,
    runs: list[EvaluationRun] | None = None,
) -> Finding:
    access.require(
        access.can_act(user, project), "Only evaluators and leads of the project record findings."
    )
    runs = _check_links(project, workstream, runs)
    finding = Finding(
        project=project,
        title=title.strip(),
        severity=severity,
        body=body,
        workstream=workstream,
        created_by=user,
    )
    finding.full_clean()
    finding.save()
    finding.runs.set(runs)
    return finding


@transaction.atomic
def finding_update(
    *, user, finding: Finding, title=None, severity=None, body=None, workstream=UNSET, runs=None
) -> Finding:
    access.require(
        access.can_act(user, finding.project),
        "Only evaluators and leads of the project edit findings.",
    )
    if finding.status != Finding.Status.DRAFT and not access.can_manage(user, finding.project):
        raise ValidationError("Only leads edit a finding once it has been agreed.")
    if finding.status == Finding.Status.PUBLISHED:
        raise ValidationError("A published finding cannot be changed.")
    new_ws = finding.workstream if workstream is UNSET else workstream
    checked_runs = _check_links(finding.project, new_ws, runs)
    finding.workstream = new_ws
    if title is not None:
        finding.title = title.strip()
    if severity is not None:
        finding.severity = severity
    if body is not None:
        finding.body = body
    finding.full_clean()
    finding.save()
    if runs is not None:
        finding.runs.set(checked_runs)
    return finding


@transaction.atomic
def finding_transition(*, user, finding: Finding, status: str) -> Finding:
    access.require(
        access.can_manage(user, finding.project), "Only leads of the project move findings along."
    )
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if status not in Finding.Status.values:
        raise ValidationError({"status": f"'{status}' is not a finding status."})
    if status not in Finding.TRANSITIONS[Finding.Status(finding.status)]:
        raise ValidationError(
            {
                "status": f"A finding that is {finding.get_status_display().lower()} cannot become "
                f"{Finding.Status(status).label.lower()}."
            }
        )
    finding.status = status
    finding.save(update_fields=["status", "updated_at"])
    return finding
