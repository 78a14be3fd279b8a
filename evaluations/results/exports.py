"""Exports of results as CSV and JSON, streamed so that a run of any size leaves memory flat.

CSV cells are neutralised against formula injection: a text cell that a spreadsheet would read as
a formula (starting with ``=``, ``+``, ``-``, ``@``, or a tab or carriage return, which some
spreadsheets strip first) gets a leading apostrophe (OWASP, "CSV Injection"). Numbers are written
as numbers: a negative score is not a formula. JSON is not neutralised (no spreadsheet reads it).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.text import slugify

from evaluations.models import EvaluationRun, SampleResult
from evaluations.results.matrix import ResultsMatrix
from evaluations.results.slices import SliceMatrix

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 2000


def neutralise(value: Any) -> Any:
    """A CSV cell a spreadsheet will not evaluate: text that could start a formula is prefixed."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM: spreadsheets then read the file as UTF-8
    yield writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow(["" if v is None else neutralise(v) for v in row])


def json_lines(meta: dict[str, Any], key: str, items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """``{...meta, key: [items]}``, one item at a time."""
    head = json.dumps(meta, ensure_ascii=False, default=str)[:-1]
    yield head + (", " if meta else "") + json.dumps(key) + ": ["
    first = True
    for item in items:
        yield ("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False, default=str)
        first = False
    yield "\n]}\n"


def streaming(lines: Iterator[str], *, filename: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------------------------
# The results matrix
# --------------------------------------------------------------------------------------------

MATRIX_FIELDS = (
    "domain",
    "task",
    "task_name",
    "system",
    "system_role",
    "institute",
    "run_id",
    "mean",
    "ci_low",
    "ci_high",
    "stderr",
    "ci_method",
    "samples",
    "observations",
    "dataset_samples",
    "complete",
    "pinned",
    "pinned_by",
    "pinned_at",
    "runs",
    "run_url",
    "judge_flags",
)


def matrix_items(matrix: ResultsMatrix) -> Iterator[dict[str, Any]]:
    roles = {c.system.pk: c.kind for c in matrix.columns}
    for group in matrix.groups:
        for row in group.rows:
            for cell in row.cells:
                if cell.run is None:
                    continue
                ci = cell.ci
                yield {
                    "domain": group.name,
                    "task": row.task.slug,
                    "task_name": row.task.name,
                    "system": str(cell.system),
                    "system_role": roles.get(cell.system.pk, "target"),
                    "institute": cell.run.institute.code,
                    "run_id": cell.run.pk,
                    "mean": _number(cell.mean),
                    "ci_low": _number(ci[0]) if ci else None,
                    "ci_high": _number(ci[1]) if ci else None,
                    "stderr": _number(cell.stderr),
                    "ci_method": cell.ci_method,
                    "samples": cell.n,
                    "observations": cell.epochs_n,
                    # A partial headline (no complete run in the cell) says so here too.
                    "dataset_samples": cell.run.dataset_samples,
                    "complete": cell.complete,
                    "pinned": cell.pinned,
                    "pinned_by": cell.pin.pinned_by.username if cell.pin else None,
                    "pinned_at": cell.pin.pinned_at.isoformat() if cell.pin else None,
                    "runs": cell.run_count,
                    "run_url": reverse("runs:detail", kwargs={"run_id": cell.run.pk}),
                    # the judge the headline depends on, when its kappa with people is too low
                    "judge_flags": "; ".join(f.summary for f in cell.judge_flags),
                }


def matrix_csv(matrix: ResultsMatrix) -> StreamingHttpResponse:
    rows = ([item[f] for f in MATRIX_FIELDS] for item in matrix_items(matrix))
    return streaming(
        csv_lines(MATRIX_FIELDS, rows),
        filename=f"{matrix.project.slug}-results.csv",
        content_type="text/csv; charset=utf-8",
    )


def matrix_json(matrix: ResultsMatrix) -> StreamingHttpResponse:
    meta = {
        "project": matrix.project.slug,
        "institute": matrix.institute.code if matrix.institute else None,
        "confidence": 0.95,
    }
    return streaming(
        json_lines(meta, "cells", matrix_items(matrix)),
        filename=f"{matrix.project.slug}-results.json",
        content_type="application/json",
    )


# --------------------------------------------------------------------------------------------
# The results matrix sliced by a sample metadata field (`results.slices`)
# --------------------------------------------------------------------------------------------

SLICE_FIELDS = (
    "domain",
    "task",
    "task_name",
    "system",
    "system_role",
    "slice_key",
    "slice_value",
    "mean",
    "ci_low",
    "ci_high",
    "ci_method",
    "n",
    "observations",
    "clusters",
    "low_n",
    "run_id",
)


def slice_items(matrix: SliceMatrix) -> Iterator[dict[str, Any]]:
    """The slice table, one item per task, system and value of the field (`slice_value` None for
    the samples without it): what the JSON export and the API print."""
    for item in matrix.items():
        yield {
            **item,
            "mean": _number(item["mean"]),
            "ci_low": _number(item["ci_low"]),
            "ci_high": _number(item["ci_high"]),
        }


def slice_csv(matrix: SliceMatrix) -> StreamingHttpResponse:
    rows = ([item[f] for f in SLICE_FIELDS] for item in slice_items(matrix))
    return streaming(
        csv_lines(SLICE_FIELDS, rows),
        filename=f"{matrix.project.slug}-results-by-{slugify(matrix.key) or 'slice'}.csv",
        content_type="text/csv; charset=utf-8",
    )


def slice_json(matrix: SliceMatrix) -> StreamingHttpResponse:
    meta = {
        "project": matrix.project.slug,
        "institute": matrix.institute.code if matrix.institute else None,
        "confidence": 0.95,
        "slice_key": matrix.key,
        "min_n": matrix.min_n,
    }
    return streaming(
        json_lines(meta, "cells", slice_items(matrix)),
        filename=f"{matrix.project.slug}-results-by-{slugify(matrix.key) or 'slice'}.json",
        content_type="application/json",
    )


# --------------------------------------------------------------------------------------------
# A run's samples
# --------------------------------------------------------------------------------------------

SAMPLE_FIELDS = (
    "sample_id",
    "epoch",
    "score",
    "scores",
    "input",
    "target",
    "output",
    "error",
    "total_tokens",
)


def _sample_rows(run: EvaluationRun) -> Iterator[dict[str, Any]]:
    """Every sample row in (sample id, epoch) order, fetched in chunks (one query, a server-side
    cursor on PostgreSQL)."""
    qs = (
        SampleResult.objects.filter(run=run)
        .order_by("sample_id", "epoch", "id")
        .values_list(*SAMPLE_FIELDS)
        .iterator(chunk_size=_CHUNK)
    )
    for values in qs:
        yield dict(zip(SAMPLE_FIELDS, values, strict=True))


def samples_csv(run: EvaluationRun) -> StreamingHttpResponse:
    def rows():
        for item in _sample_rows(run):
            item["score"] = _number(item["score"])
            item["scores"] = json.dumps(
                {
                    k: (v.get("value") if isinstance(v, dict) else v)
                    for k, v in item["scores"].items()
                },
                ensure_ascii=False,
                default=str,
            )
            yield [item[f] for f in SAMPLE_FIELDS]

    return streaming(
        csv_lines(SAMPLE_FIELDS, rows()),
        filename=f"concord-run-{run.pk}-samples.csv",
        content_type="text/csv; charset=utf-8",
    )


def samples_json(run: EvaluationRun) -> StreamingHttpResponse:
    meta = {
        "run": run.pk,
        "project": run.project.slug,
        "task": run.task.slug,
        "system": str(run.system),
        "institute": run.institute.code,
        "inspect_eval_id": run.inspect_eval_id,
        "primary_scorer": run.primary_scorer,
        "primary_metric": run.primary_metric,
    }

    def items():
        for item in _sample_rows(run):
            item["score"] = _number(item["score"])
            yield item

    return streaming(
        json_lines(meta, "samples", items()),
        filename=f"concord-run-{run.pk}-samples.json",
        content_type="application/json",
    )
