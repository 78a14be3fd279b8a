"""Writes for findings: evaluators draft them; leads move them along
draft -> agreed -> shared with the developer -> published.

A finding cites evidence picked from its own project (`FindingEvidence`): a run, a sample of a run,
or a comparison of two runs of the same task. Every cited run belongs to the finding's project;
anything else is refused whole. `Finding.runs` is kept equal to the set of runs the evidence cites
(so `run.findings` answers "which findings cite this run"); `runs=` on the write functions is
shorthand for run evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from evaluations import rules
from evaluations.models import (
    EvaluationProject,
    EvaluationRun,
    Finding,
    FindingEvidence,
    SampleResult,
    Workstream,
)
from evaluations.services import developer_mail
from evaluations.services.projects import UNSET
from institutes import access
from webhooks import events as webhook_events

Kind = FindingEvidence.Kind


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


def _evidence_key(item: FindingEvidence) -> tuple:
    return (item.kind, item.run_id, item.sample_id, item.run_b_id)


def _checked_evidence(
    project: EvaluationProject, evidence: Iterable[Mapping[str, Any]]
) -> list[FindingEvidence]:
    """Unsaved evidence rows for `evidence` (mappings of kind, run, sample, run_b), duplicates
    dropped; ValidationError naming the first item that does not fit this project."""
    rows: dict[tuple, FindingEvidence] = {}
    for item in evidence:
        kind = item.get("kind") or Kind.RUN
        run: EvaluationRun | None = item.get("run")
        sample: SampleResult | None = item.get("sample")
        run_b: EvaluationRun | None = item.get("run_b")
        if kind == Kind.SAMPLE and sample is not None and run is None:
            run = sample.run
        problem = None
        if kind not in Kind.values:
            problem = f"'{kind}' is not a kind of evidence (run, sample or comparison)."
        elif run is None:
            problem = "Each piece of evidence names a run."
        elif any(r is not None and r.project_id != project.pk for r in (run, run_b)):
            problem = "Evidence must come from this project's own runs."
        elif kind == Kind.RUN and (sample is not None or run_b is not None):
            problem = "Run evidence names only a run."
        elif kind == Kind.SAMPLE and (sample is None or run_b is not None):
            problem = "Sample evidence names one sample."
        elif kind == Kind.SAMPLE and sample is not None and sample.run_id != run.pk:
            problem = f"That sample is not a sample of run {run.pk}."
        elif kind == Kind.COMPARISON and (run_b is None or sample is not None):
            problem = "A comparison names two runs."
        elif kind == Kind.COMPARISON and run_b is not None and run_b.pk == run.pk:
            problem = "A comparison is of two different runs."
        elif kind == Kind.COMPARISON and run_b is not None and run_b.task_id != run.task_id:
            problem = f"Runs {run.pk} and {run_b.pk} are of different tasks: they do not compare."
        if problem:
            raise ValidationError({"evidence": problem})
        row = FindingEvidence(kind=kind, run=run, sample=sample, run_b=run_b)
        rows.setdefault(_evidence_key(row), row)
    return list(rows.values())


def _write_evidence(finding: Finding, rows: list[FindingEvidence]) -> None:
    finding.evidence.all().delete()
    for row in rows:
        row.pk = None
        row.finding = finding
    FindingEvidence.objects.bulk_create(rows)
    cited = {row.run_id for row in rows} | {row.run_b_id for row in rows if row.run_b_id}
    finding.runs.set(EvaluationRun.objects.filter(pk__in=cited))


def _merge_runs(rows: list[FindingEvidence], runs: list[EvaluationRun]) -> list[FindingEvidence]:
    """`rows` plus run evidence for each of `runs` it does not cite as a run yet."""
    have = {_evidence_key(row) for row in rows}
    extra = [FindingEvidence(kind=Kind.RUN, run=run) for run in runs]
    return rows + [row for row in extra if _evidence_key(row) not in have]


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
    evidence: Iterable[Mapping[str, Any]] | None = None,
) -> Finding:
    """Record a draft finding with its evidence (all from `project`)."""
    access.require(
        access.can_act(user, project), "Only evaluators and leads of the project record findings."
    )
    runs = _check_links(project, workstream, runs)
    rows = _merge_runs(_checked_evidence(project, evidence or []), runs)
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
    _write_evidence(finding, rows)
    webhook_events.finding_changed(finding=finding, change="created")
    return finding


@transaction.atomic
def finding_update(
    *,
    user,
    finding: Finding,
    title=None,
    severity=None,
    body=None,
    workstream=UNSET,
    runs=None,
    evidence: Iterable[Mapping[str, Any]] | None = None,
) -> Finding:
    """Change a finding that is not published. `evidence` (when given) replaces all of it;
    `runs` alone replaces only the run evidence."""
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
    rows = None
    if evidence is not None:
        rows = _merge_runs(_checked_evidence(finding.project, evidence), checked_runs)
    elif runs is not None:
        kept = [row for row in finding.evidence.all() if row.kind != Kind.RUN]
        rows = _merge_runs(kept, checked_runs)
    finding.workstream = new_ws
    text_before = (finding.title, finding.body)
    if title is not None:
        finding.title = title.strip()
    if severity is not None:
        finding.severity = severity
    if body is not None:
        finding.body = body
    finding.full_clean()
    finding.save()
    if rows is not None:
        _write_evidence(finding, rows)
    if (finding.title, finding.body) != text_before:
        webhook_events.finding_changed(finding=finding, change="text")
    return finding


@transaction.atomic
def finding_transition(
    *, user, finding: Finding, status: str, override_reason: str | None = None
) -> Finding:
    """Move a finding along its workflow (leads). Sharing it with the developer stamps
    `shared_at` (there is no way back from shared, so once) and tells the project's developer
    contacts by e-mail. Publishing waits for the developer's response window to close
    (`rules.response_window`), unless a lead gives `override_reason`, which is kept on the
    finding with who gave it."""
    access.require(
        access.can_manage(user, finding.project), "Only leads of the project move findings along."
    )
    finding = Finding.objects.select_for_update().select_related("project").get(pk=finding.pk)
    if status not in Finding.Status.values:
        raise ValidationError({"status": f"'{status}' is not a finding status."})
    if status not in Finding.TRANSITIONS[Finding.Status(finding.status)]:
        raise ValidationError(
            {
                "status": f"A finding that is {finding.get_status_display().lower()} cannot become "
                f"{Finding.Status(status).label.lower()}."
            }
        )
    fields = ["status", "updated_at"]
    if status == Finding.Status.PUBLISHED:
        fields += _publish_override(finding, user, override_reason)
    shared_now = status == Finding.Status.SHARED and finding.shared_at is None
    if shared_now:
        finding.shared_at = timezone.now()
        fields.append("shared_at")
    finding.status = status
    finding.save(update_fields=fields)
    webhook_events.finding_changed(finding=finding, change="status")
    if shared_now:
        _tell_contacts_shared(finding)
    return finding


def _publish_override(finding: Finding, user, reason: str | None) -> list[str]:
    """Refuse publishing while the response window is open, unless a reason is given (the
    caller already checked that `user` leads the project). The fields it set."""
    is_open, closes_at = rules.response_window(finding)
    if not is_open:
        return []
    field = "status" if reason is None else "override_reason"
    reason = (reason or "").strip()
    if not reason:
        assert closes_at is not None
        when = f"{closes_at:%d %b %Y %H:%M} UTC"
        raise ValidationError(
            {
                field: (
                    f"The developer's response window is open until {when}: a lead can publish "
                    "the finding before then only by giving a reason for overriding it."
                )
            }
        )
    finding.publish_override_reason = reason
    finding.publish_override_by = user
    return ["publish_override_reason", "publish_override_by"]


def _tell_contacts_shared(finding: Finding) -> None:
    path = reverse("developers:finding", kwargs={"finding_id": finding.pk})
    developer_mail.notify_contacts(
        finding.project,
        subject=f"A finding was shared with you: {finding.title}",
        template="finding_shared",
        context={
            "finding": finding,
            "url": developer_mail.absolute_url(path),
            "window_closes": rules.response_window(finding)[1],
        },
    )
