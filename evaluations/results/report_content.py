"""What a joint report shows, read from the stored results at one moment: the snapshot a report
version keeps when its last institute signs it (`Report.content`), and the live preview of a draft.

Every figure comes from the owners of the results: the matrix (`results.matrix`: representative
runs, their headline estimates and 95% intervals from `results.scores`, reference and target
systems, partial runs, the flags of LLM judges people disagree with), the findings the
institutes agreed on (drafts are not part of a report) with the evidence they cite, and the
methods: adopted guideline versions, recorded deviations, tasks, and for each representative run
how, with what and where it was run. Nothing is retyped, and nothing links: references are ids
and labels, and the page that shows the content makes links for readers who may follow them.

The result is plain JSON (strings, numbers, lists, dicts), so that the frozen copy reads the same
as the moment it was taken, and `content_hash` is the SHA-256 of its canonical form.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils import timezone

from evaluations.models import (
    Deviation,
    EvaluationProject,
    EvaluationRun,
    Finding,
    FindingEvidence,
    ProjectGuideline,
    RunScorer,
)
from evaluations.results import matrix as results_matrix

# The content's layout: bumped when its keys change, so a reader knows which layout it holds.
CONTENT_SCHEMA = 1
REPORTED_FINDINGS = (
    Finding.Status.AGREED,
    Finding.Status.SHARED,
    Finding.Status.PUBLISHED,
)


def canonical_json(content: Any) -> bytes:
    """The one serialisation the hash is taken of: sorted keys, no spaces, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def content_hash(content: Any) -> str:
    """SHA-256 (hex) of the content's canonical JSON: recomputable by anyone from the stored copy."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _where(run: EvaluationRun) -> dict[str, Any]:
    """Where the run was done, from what is stored of it: a Concord job (on a worker pool of the
    institute, or Concord's own workers), an imported log, or a run reported from outside."""
    external = getattr(run, "external_report", None)
    if external is not None:
        return {"kind": "external", "label": f"External run on {external.host or 'own machine'}"}
    job = getattr(run, "job", None)
    if job is not None:
        if job.pool is not None:
            return {"kind": "pool", "label": f"Worker pool {job.pool.name}"}
        return {"kind": "worker", "label": "Concord worker"}
    if run.source == EvaluationRun.Source.UPLOAD:
        return {"kind": "import", "label": "Imported log"}
    return {"kind": "worker", "label": "Concord worker"}


def _run_entry(run: EvaluationRun, graders: list[str]) -> dict[str, Any]:
    job = getattr(run, "job", None)
    external = getattr(run, "external_report", None)
    return {
        "id": run.pk,
        "label": f"Run {run.pk}",
        "task": run.task.name,
        "system": str(run.system),
        "institute": run.institute.code,
        "institute_name": run.institute.name,
        "where": _where(run),
        "source": run.source,
        "inspect_eval_id": run.inspect_eval_id,
        "inspect_task": run.inspect_task,
        "inspect_model": run.inspect_model,
        "inspect_version": run.setup.get("inspect_version")
        or (external.inspect_version if external is not None else ""),
        "sandbox": run.setup.get("sandbox", ""),
        "scaffold": run.setup.get("scaffold", ""),
        "scaffold_args": run.setup.get("scaffold_args", {}),
        "task_version": run.setup.get("task_version", ""),
        "task_args": run.setup.get("task_args", {}),
        "params": job.params if job is not None else {},
        "epochs": run.epochs,
        "samples": run.sample_count,
        "dataset_samples": run.dataset_samples,
        "complete": run.complete,
        "partial": run.partial_label,
        "guideline_version": str(run.guideline_version) if run.guideline_version else "",
        "graders": graders,
        "completed_at": _iso(run.completed_at),
        "log_file": bool(run.log_file),
    }


def _cell_entry(cell: results_matrix.Cell) -> dict[str, Any]:
    ci = cell.ci
    return {
        "system": str(cell.system),
        "run": cell.run.pk if cell.run is not None else None,
        "mean": cell.mean,
        "stderr": cell.stderr,
        "ci": [ci[0], ci[1]] if ci else None,
        "ci_method": cell.ci_method,
        "n": cell.n,
        "epochs_n": cell.epochs_n,
        "complete": cell.complete,
        "partial": cell.partial_label,
        "pinned": cell.pinned,
        "run_count": cell.run_count,
        "institutes": list(cell.institutes),
        "judge_flags": [
            {
                "judge": flag.label,
                "kappa": flag.kappa,
                "threshold": flag.threshold,
                "n": flag.n,
            }
            for flag in cell.judge_flags
        ],
    }


def _evidence_entry(item: FindingEvidence) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": item.kind, "run": item.run_id}
    if item.kind == FindingEvidence.Kind.SAMPLE and item.sample is not None:
        entry["sample"] = item.sample_id
        entry["label"] = f"Run {item.run_id}, sample {item.sample.sample_id}"
    elif item.kind == FindingEvidence.Kind.COMPARISON:
        entry["run_b"] = item.run_b_id
        entry["label"] = f"Run {item.run_id} compared with run {item.run_b_id}"
    else:
        entry["label"] = f"Run {item.run_id}"
    return entry


def build_report_content(
    project: EvaluationProject, *, number: int | None = None, title: str = ""
) -> dict[str, Any]:
    """The report's content as of now, JSON-serialisable. `number` and `title`: the version's."""
    matrix = results_matrix.build_matrix(project)
    shown: dict[int, EvaluationRun] = {}
    for group in matrix.groups:
        for row in group.rows:
            for cell in row.cells:
                if cell.run is not None:
                    shown[cell.run.pk] = cell.run
    runs = list(
        EvaluationRun.objects.filter(pk__in=shown)
        .select_related(
            "task",
            "system",
            "institute",
            "guideline_version__guideline",
            "job__pool",
            "external_report",
        )
        .order_by("pk")
    )
    graders: dict[int, list[str]] = {}
    for scorer in RunScorer.objects.filter(run_id__in=shown, judge=True).order_by("run_id", "name"):
        label = f"{scorer.name} ({scorer.grader_model})" if scorer.grader_model else scorer.name
        graders.setdefault(scorer.run_id, []).append(label)

    columns = [
        {"system": str(c.system), "kind": c.kind, "in_project": c.in_project}
        for c in matrix.columns
    ]
    sections = []
    tasks: dict[int, dict[str, Any]] = {}
    for group in matrix.groups:
        rows = []
        for row in group.rows:
            task = row.task
            tasks[task.pk] = {
                "name": task.name,
                "slug": task.slug,
                "inspect_ref": task.inspect_ref,
                "domain": group.name,
            }
            rows.append({"task": task.name, "cells": [_cell_entry(c) for c in row.cells]})
        sections.append(
            {
                "domain": group.name,
                "workstream_leads": [i.code for i in group.workstream_leads],
                "rows": rows,
            }
        )

    findings = []
    for finding in (
        Finding.objects.filter(project=project, status__in=REPORTED_FINDINGS)
        .select_related("workstream__domain")
        .prefetch_related("evidence__sample")
        .order_by("pk")
    ):
        findings.append(
            {
                "id": finding.pk,
                "title": finding.title,
                "severity": finding.severity,
                "severity_label": finding.get_severity_display(),
                "status": finding.status,
                "workstream": str(finding.workstream.domain.name) if finding.workstream else "",
                "body": finding.body,
                "evidence": [_evidence_entry(e) for e in finding.evidence.all()],
            }
        )

    guidelines = [
        {
            "guideline": adoption.version.guideline.code,
            "title": adoption.version.guideline.title,
            "version": adoption.version.number,
            "adopted_at": _iso(adoption.adopted_at),
        }
        for adoption in ProjectGuideline.objects.filter(project=project)
        .select_related("version__guideline")
        .order_by("version__guideline__code", "version__number")
    ]
    deviations = [
        {
            "run": d.run_id,
            "description": d.description,
            "impact": d.impact,
            "impact_label": d.get_impact_display(),
        }
        for d in Deviation.objects.filter(run_id__in=shown).order_by("run_id", "pk")
    ]
    participations = project.participations.select_related("institute").order_by("institute__name")
    return {
        "schema": CONTENT_SCHEMA,
        "generated_at": timezone.now().isoformat(),
        "report": {"number": number, "title": title},
        "project": {"slug": project.slug, "title": project.title},
        "institutes": [
            {"code": p.institute.code, "name": p.institute.name, "role": p.role}
            for p in participations
        ],
        "systems": columns,
        "results": sections,
        "findings": findings,
        "methods": {
            "guidelines": guidelines,
            "deviations": deviations,
            "tasks": sorted(tasks.values(), key=lambda t: (t["domain"], t["name"].lower())),
            "runs": [_run_entry(run, graders.get(run.pk, [])) for run in runs],
        },
    }
