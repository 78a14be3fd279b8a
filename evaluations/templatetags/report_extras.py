"""The arrangement of a report's content for its one template (`evaluations/reports/_body.html`),
shared by the report page and the PDF.

`report_layout` turns the stored content (`results.report_content.build_report_content`) and the
version's free-text sections into what the template walks through: the sections that open the
report, one part per domain (its results table and the sections written about it), the findings,
the methods with each run's deviations beside it, and the limitations: the ones the authors wrote
and the ones the figures themselves carry (partial runs, scores from an LLM judge that people
disagree with). It reads only the content it is given: no query, no figure recomputed.

Free-text sections are placed by their key: "limitations" goes to the limitations, a domain's key
(its slug, or "domain-<slug>") to that domain's part, any other key before the results.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

register = template.Library()

LIMITATIONS_KEY = "limitations"


def _domain_keys(part: dict[str, Any]) -> set[str]:
    slug = part.get("domain_slug") or slugify(part.get("domain") or "")
    return {slug, f"domain-{slug}"} if slug else set()


def _when(value: Any):
    """An ISO timestamp of the content as a datetime (None when absent or unreadable)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _sections(report: Any, content: dict[str, Any]) -> list[dict[str, Any]]:
    """The free-text sections: the frozen copy's when the content holds them, else the version's."""
    stored = content.get("sections")
    if stored is None and report is not None:
        stored = getattr(report, "sections", None)
    return [s for s in (stored or []) if isinstance(s, dict) and (s.get("markdown") or "").strip()]


@register.simple_tag
def report_layout(report: Any, content: dict[str, Any] | None) -> dict[str, Any]:
    content = content or {}
    methods = content.get("methods") or {}
    institutes = {i.get("code"): i.get("name") for i in content.get("institutes") or []}
    columns = content.get("systems") or []

    runs = [dict(run) for run in methods.get("runs") or []]
    run_by_id = {run.get("id"): run for run in runs}
    for run in runs:
        run["deviations"] = []
        run["completed"] = _when(run.get("completed_at"))
    unattached: list[dict[str, Any]] = []
    for deviation in methods.get("deviations") or []:
        owner = run_by_id.get(deviation.get("run"))
        if owner is not None:
            owner["deviations"].append(deviation)
        else:
            unattached.append(deviation)

    sections = _sections(report, content)
    placed: set[int] = set()
    limitations = []
    for index, section in enumerate(sections):
        if section.get("key") == LIMITATIONS_KEY:
            limitations.append(section)
            placed.add(index)

    domains = []
    partial_cells = []
    flagged_cells = []
    for part in content.get("results") or []:
        keys = _domain_keys(part)
        own = []
        for index, section in enumerate(sections):
            if index not in placed and section.get("key") in keys:
                own.append(section)
                placed.add(index)
        rows = []
        for row in part.get("rows") or []:
            cells = []
            for position, cell in enumerate(row.get("cells") or []):
                column = columns[position] if position < len(columns) else {}
                run = run_by_id.get(cell.get("run")) or {}
                shown = {
                    **cell,
                    "kind": column.get("kind", ""),
                    "run_institute": run.get("institute", ""),
                }
                cells.append(shown)
                where = f"{row.get('task')} on {cell.get('system')}"
                if cell.get("run") is not None and not cell.get("complete", True):
                    partial_cells.append({"where": where, "partial": cell.get("partial", "")})
                for flag in cell.get("judge_flags") or []:
                    flagged_cells.append({"where": where, **flag})
            rows.append({"task": row.get("task"), "cells": cells})
        domains.append(
            {
                "name": part.get("domain") or "No domain",
                "leads": [
                    institutes.get(code) or code for code in part.get("workstream_leads") or []
                ],
                "rows": rows,
                "sections": own,
            }
        )

    intro = [s for index, s in enumerate(sections) if index not in placed]
    return {
        "intro": intro,
        "columns": columns,
        "targets": [c for c in columns if c.get("kind") != "reference"],
        "references": [c for c in columns if c.get("kind") == "reference"],
        "domains": domains,
        "runs": runs,
        "guidelines": [
            {**g, "adopted": _when(g.get("adopted_at"))} for g in methods.get("guidelines") or []
        ],
        "unattached_deviations": unattached,
        "limitations": limitations,
        "partial_cells": partial_cells,
        "flagged_cells": flagged_cells,
    }


@register.filter
def setting_items(params: Any) -> list[tuple[str, str]]:
    """A run's settings (job parameters, task arguments) as sorted (name, value) pairs."""
    if not isinstance(params, dict):
        return []
    out: list[tuple[str, str]] = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, dict):
            out.extend((f"{key}.{k}", str(value[k])) for k in sorted(value))
        else:
            out.append((key, str(value)))
    return out
