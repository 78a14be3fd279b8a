"""The audit trail in words: one sentence per event, for the people who read a project's trail.

"Alice agreed the finding 'Solves professional-level CTF...'", "Carol approved v2 of
bio-protocol", "Bob queued job 12 (Knowledge QA on Frontier-1)": never a table name or a row's
raw columns. Each (table, action) has its sentence, with a readable fallback for the others
("Alice changed the access window 'Frontier-1 2025-01-01 – 2025-02-01': ends at"), and the
changed fields are named by their labels ("status: draft → agreed").

`describe(events)` renders a page of events with a fixed number of queries: the objects the
events name are fetched in bulk, one query per kind of object on the page (never one per event).
institutes does not import evaluations: models are found by their table in the app registry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.text import Truncator

QUOTE_CHARS = 60
VALUE_CHARS = 40

# What to fetch with an object so that its name needs no further query.
_RELATED: dict[str, tuple[str, ...]] = {
    "evaluations.EvaluationJob": ("task", "system"),
    "evaluations.EvaluationRun": ("task", "system"),
    "evaluations.GuidelineVersion": ("guideline",),
    "evaluations.GuidelineApproval": ("version__guideline", "institute"),
    "evaluations.ProjectGuideline": ("version__guideline",),
    "evaluations.Participation": ("institute", "project"),
    "evaluations.ProjectSystem": ("system", "project"),
    "exchanges.Exchange": ("person", "home_institute", "host_institute"),
    "evaluations.AccessWindow": ("system",),
    "evaluations.Workstream": ("domain", "lead_institute"),
    "evaluations.SampleReview": ("sample", "label"),
    "evaluations.Finding_runs": ("finding",),
    "evaluations.Workstream_members": ("workstream__domain", "user"),
    "evaluations.Deviation": (),
    "evaluations.PinnedRun": ("run__task", "run__system"),
    "evaluations.ReportApproval": ("report", "institute"),
    "evaluations.FindingComment": ("author", "finding"),
    "evaluations.FindingResponse": ("contact__organisation", "contact__project", "finding"),
}
# Fields that name a row that has gone (a delete keeps the whole row in the event).
_NAME_FIELDS = ("title", "name", "code", "slug", "username", "description")
_SECURITY: dict[str, str] = {
    "export": "exported",
    "embargoed_read": "read the embargoed results of the project",
    "access_denied": "was refused a page",
    "login": "signed in",
    "login_failed": "failed to sign in",
}


@dataclass
class Line:
    """One event as a person reads it."""

    event: Any
    who: str
    sentence: str
    via: str = ""
    details: list[str] = field(default_factory=list)


def _quote(text: Any) -> str:
    return "'" + Truncator(str(text)).chars(QUOTE_CHARS) + "'"


def person(user) -> str:
    return user.display_name if user is not None else ""


def _who(event) -> str:
    name = person(event.actor)
    if name:
        return name
    return {
        "worker": "A worker",
        "anonymous": "Someone not signed in",
        "token": "An API token",
    }.get(event.actor_kind, "Concord")


def _via(event) -> str:
    if event.actor_kind == "token":
        return f"API token #{event.token_id}" if event.token_id else "API token"
    if event.actor_kind == "worker":
        return f"worker, {event.source}" if event.source.startswith("job ") else "worker"
    if event.actor_kind == "system" and event.actor is None:
        return f"command: {event.source}" if event.source else "command or migration"
    return ""


# ---- object names ------------------------------------------------------------------------------


def _model_for_table() -> dict[str, type[models.Model]]:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


def _name(obj) -> str:
    """How a sentence names an object of any model."""
    label = obj._meta.label
    if label == "evaluations.EvaluationJob":
        return f"job {obj.pk} ({obj.task} on {obj.system})"
    if label == "evaluations.EvaluationRun":
        return f"run {obj.pk} ({obj.task} on {obj.system})"
    if label == "evaluations.GuidelineVersion":
        return f"v{obj.number} of {obj.guideline.code}"
    if label in ("evaluations.GuidelineApproval", "evaluations.ProjectGuideline"):
        return f"v{obj.version.number} of {obj.version.guideline.code}"
    if label == "evaluations.Finding":
        return f"the finding {_quote(obj.title)}"
    if label == "evaluations.Report":
        return f"version {obj.number} of the report {_quote(obj.title)}"
    if label == "evaluations.ReportApproval":
        return f"version {obj.report.number} of the report {_quote(obj.report.title)}"
    if label == "evaluations.EvaluationProject":
        return f"the project {_quote(obj.title)}"
    if label == "evaluations.SampleReview":
        return f"sample {obj.sample.sample_id} of run {obj.sample.run_id}"
    if label == "evaluations.PinnedRun":
        return f"run {obj.run_id} ({obj.run.task} on {obj.run.system})"
    if label == "evaluations.Finding_runs":
        return f"run {obj.evaluationrun_id} and the finding {_quote(obj.finding.title)}"
    if label == "evaluations.Workstream_members":
        return f"{person(obj.user)} in the {obj.workstream.domain} workstream"
    return _quote(obj)


def _row_name(model, row: dict, object_id: str) -> str:
    """A name for a row that is no longer there, from the columns the event kept."""
    noun = str(model._meta.verbose_name) if model is not None else "row"
    if model is not None and model._meta.label == "evaluations.PinnedRun" and row.get("run_id"):
        return f"run {row['run_id']}"
    for key in _NAME_FIELDS:
        if row.get(key):
            return f"the {noun} {_quote(row[key])}"
    if "number" in row:
        return f"v{row['number']} ({noun})"
    return f"{noun} {object_id}".strip()


def _load(events: Sequence) -> dict[tuple[str, str], models.Model]:
    """The objects the events name, one query per table."""
    by_table: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.table and event.object_id.isdigit():
            by_table[event.table].add(int(event.object_id))
    models_by_table = _model_for_table()
    found: dict[tuple[str, str], models.Model] = {}
    for table, ids in by_table.items():
        model = models_by_table.get(table)
        if model is None or model._meta.label == "evaluations.SampleResult":
            continue
        qs = model._default_manager.all()
        related = _RELATED.get(model._meta.label)
        if related:
            qs = qs.select_related(*related)
        for pk, obj in qs.in_bulk(list(ids)).items():
            found[(table, str(pk))] = obj
    return found


# ---- changed fields ----------------------------------------------------------------------------


def _fields_by_column(model) -> dict[str, models.Field]:
    return {f.column: f for f in model._meta.concrete_fields} if model is not None else {}


def _value(f: models.Field | None, value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if f is not None and f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, (dict, list)):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}"
    return Truncator(str(value)).chars(VALUE_CHARS)


def _label(f: models.Field | None, column: str) -> str:
    if f is None:
        return column.replace("_", " ")
    return str(f.verbose_name)


def changed_fields(model, changes: dict) -> list[str]:
    """An update's changes in words: "status: draft → agreed", "description changed"."""
    fields = _fields_by_column(model)
    out = []
    for column, change in sorted(changes.items()):
        f = fields.get(column)
        if not isinstance(change, list) or len(change) != 2:
            out.append(f"{_label(f, column)} changed")
            continue
        old, new = change
        if (f is not None and f.is_relation) or any(
            isinstance(v, str) and len(v) > VALUE_CHARS for v in (old, new)
        ):
            out.append(f"{_label(f, column)} changed")
        else:
            out.append(f"{_label(f, column)}: {_value(f, old)} → {_value(f, new)}")
    return out


# ---- sentences ---------------------------------------------------------------------------------

_FINDING_STATUS = {
    "agreed": "agreed {name}",
    "shared_with_developer": "shared {name} with the developer",
    "published": "published {name}",
    "draft": "returned {name} to draft",
}
_VERSION_STATUS = {
    "in_review": "submitted {name} for review",
    "approved": "approved {name}",
    "superseded": "superseded {name}",
    "draft": "returned {name} to draft",
}
_REPORT_STATUS = {
    "submitted": "submitted {name} for the institutes' signatures",
    "frozen": "froze {name}: every institute has signed",
}
_JOB_STATUS = {
    "running": "started {name}",
    "succeeded": "finished {name}: succeeded",
    "failed": "finished {name}: failed",
    "cancelled": "cancelled {name}",
    "queued": "re-queued {name}",
}
_PROJECT_STATUS = "moved the project from {old} to {new}"


def _status(event) -> tuple[Any, Any] | None:
    change = event.changes.get("status") if isinstance(event.changes, dict) else None
    if isinstance(change, list) and len(change) == 2:
        return change[0], change[1]
    return None


def _sentence(event, model, name: str, obj) -> str:
    """The verb phrase for one change of a row; `name` already names the object."""
    label = model._meta.label if model is not None else ""
    action = event.action
    status = _status(event) if action == "update" else None
    row = event.changes if isinstance(event.changes, dict) else {}
    noun = str(model._meta.verbose_name) if model is not None else "record"

    if label == "evaluations.Finding":
        if action == "insert":
            return f"drafted {name}"
        if status and status[1] in _FINDING_STATUS:
            return _FINDING_STATUS[status[1]].format(name=name)
    if label == "evaluations.GuidelineVersion":
        if action == "insert":
            return f"drafted {name}"
        if status and status[1] in _VERSION_STATUS:
            return _VERSION_STATUS[status[1]].format(name=name)
    if label == "evaluations.Report":
        if action == "insert":
            return f"drafted {name}"
        if status and status[1] in _REPORT_STATUS:
            return _REPORT_STATUS[status[1]].format(name=name)
        if isinstance(row.get("shared_at"), list) and row["shared_at"][0] is None:
            return f"shared {name} with the developer"
    if label == "evaluations.ReportApproval" and action == "insert":
        institute = getattr(obj, "institute", None)
        return f"signed {name}" + (f" for {institute.name}" if institute else "")
    if label == "evaluations.GuidelineApproval" and action == "insert":
        institute = getattr(obj, "institute", None)
        return f"signed {name}" + (f" for {institute.name}" if institute else "")
    if label == "evaluations.ProjectGuideline" and action == "insert":
        return f"adopted {name} for the project"
    if label == "evaluations.EvaluationJob":
        if action == "insert":
            return f"queued {name}"
        if status and status[1] in _JOB_STATUS:
            return _JOB_STATUS[status[1]].format(name=name)
        if row.get("cancel_requested") == [False, True]:
            return f"asked to cancel {name}"
    if label == "evaluations.EvaluationRun" and action == "insert":
        how = "imported" if row.get("source") == "upload" else "recorded the results of"
        return f"{how} {name}"
    if label == "evaluations.EvaluationProject":
        if action == "insert":
            return f"created {name}"
        if status:
            fields = _fields_by_column(model)
            f = fields.get("status")
            return _PROJECT_STATUS.format(old=_value(f, status[0]), new=_value(f, status[1]))
    if label == "evaluations.Participation" and action == "insert" and obj is not None:
        return f"added {obj.institute.name} to the project ({obj.get_role_display().lower()})"
    if label == "evaluations.ProjectSystem" and action == "insert" and obj is not None:
        kind = "a reference system" if obj.is_reference else "a system under test"
        return f"added {obj.system} to the project as {kind}"
    if label == "evaluations.AccessWindow" and action == "insert" and obj is not None:
        return f"opened an access window for {obj}"
    if label == "evaluations.SampleReview" and action == "insert" and obj is not None:
        return f"reviewed {name}" + (f" as {obj.label.name.lower()}" if obj.label_id else "")
    if label == "evaluations.Finding_runs" and action == "insert":
        return f"linked {name}"
    if label == "evaluations.Workstream_members" and action == "insert":
        return f"added {name}"
    if label == "evaluations.Deviation" and action == "insert":
        return f"recorded a deviation: {name}"
    if label == "evaluations.PinnedRun":
        if action == "insert":
            return f"pinned {name} as the headline of its results cell"
        if action == "update" and isinstance(row.get("run_id"), list):
            return f"pinned run {row['run_id'][1]} as the headline of its cell, instead of run {row['run_id'][0]}"
        if action == "delete":
            return f"unpinned run {row.get('run_id', '')}; the cell shows its latest complete run again"
    if label == "evaluations.RunScore" and action == "insert":
        return f"recorded the score {row.get('scorer', '')}/{row.get('metric', '')}".rstrip("/")

    verb = {"insert": "created", "update": "changed", "delete": "deleted"}.get(action, action)
    if name.startswith(("the ", "job ", "run ", "v")):
        return f"{verb} {name}"
    return f"{verb} the {noun} {name}"


def _security(event) -> str:
    details = event.changes if isinstance(event.changes, dict) else {}
    if event.action == "export":
        what = str(details.get("what") or "results").replace("_", " ")
        fmt = str(details.get("format") or "").upper()
        return f"exported {what}" + (f" as {fmt}" if fmt else "")
    if event.action == "access_denied":
        status = details.get("status")
        return "was refused a page" + (f" ({status})" if status else "")
    return _SECURITY.get(event.action, event.action.replace("_", " "))


def describe(events: Sequence) -> list[Line]:
    """Every event of the page in words (one query per kind of object named on the page)."""
    events = list(events)
    objects = _load(events)
    models_by_table = _model_for_table()
    lines = []
    for event in events:
        model = models_by_table.get(event.table)
        details: list[str] = []
        if event.action == "bulk_insert":
            rows = event.changes.get("rows") if isinstance(event.changes, dict) else None
            run = (
                event.changes.get("run", event.object_id) if isinstance(event.changes, dict) else ""
            )
            sentence = f"wrote {rows} sample result{'s' if rows != 1 else ''} of run {run}"
        elif event.action in ("insert", "update", "delete"):
            obj = objects.get((event.table, event.object_id))
            row = event.changes if isinstance(event.changes, dict) else {}
            name = _name(obj) if obj is not None else _row_name(model, row, event.object_id)
            sentence = _sentence(event, model, name, obj)
            if event.action == "update":
                details = changed_fields(model, row)
        else:
            sentence = _security(event)
        lines.append(Line(event, _who(event), sentence, _via(event), details))
    return lines
