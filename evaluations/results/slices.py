"""Results sliced by sample metadata: a project's results matrix with each task's row split by
the value a metadata field of the samples takes (Inspect's ``Sample.metadata``, e.g. the language
or the category of a question), every figure with its 95% interval. The one owner of slice
figures: the page, its CSV/JSON exports and the API read them here.

- `slice_keys(runs)`: the metadata fields a reader may slice by, with their values and how many
  samples carry each. A field is a slice when every value it takes is a string, an integer or a
  boolean and it takes at most `MAX_VALUES` distinct values in each run (an id with a value per
  sample is not a slice).
- `slice_moments(runs, keys)`: the sufficient statistics (`stats.ClusterMoments`) of the primary
  ``score`` per run, field and value, epochs clustered by sample as for the headline
  (`scores.run_score_moments`). Samples without the field (or with a null value) form the
  "(none)" value. Estimates come from `stats.score_summary_from_moments`: the same interval rules
  as every other figure (Wilson for scores in [0, 1], at the effective n when epochs repeat).
- `build_slice_matrix(project, by=...)`: the results matrix (`matrix.build_matrix`: the same
  representative run per task x system cell) with each cell split by the field's values.

Precomputed: a run's samples never change once ingested, so ingestion stores the summary of its
slices in ``EvaluationRun.score_moments["slices"]`` (`summary_for_storage`): the samples, and per
field either None (not a slice in this run) or its values' sample counts and score moments. Pages
read it from the run rows (no query); the sample rows are aggregated, in one query for any number
of runs, only for runs ingested before (or written otherwise, e.g. by test factories). The figures
that chose this over an index are in benchmarks/README.md ("Slices").
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import reverse

from evaluations import stats
from evaluations.models import EvaluationProject, EvaluationRun, SampleResult
from evaluations.results import scores
from evaluations.results.matrix import Cell, Column, ResultsMatrix, _chart_axis, build_matrix
from institutes.models import Institute

MAX_VALUES = 50  # a field with more distinct values in a run is not a slice
NONE_LABEL = "(none)"  # how samples without the field are shown
_CHUNK = 5000


class UnknownSliceKey(ValueError):
    """The field asked for is not a slice of the runs shown; `available` lists those that are."""

    def __init__(self, key: str, available: Sequence[str]):
        self.key = key
        self.available = list(available)
        listed = ", ".join(self.available) if self.available else "none"
        super().__init__(
            f"The samples have no metadata field {key!r} to slice by. Available: {listed}."
        )


@dataclass(frozen=True)
class SliceValue:
    value: str | None  # None: samples without the field
    samples: int  # samples carrying it, summed over the runs

    @property
    def label(self) -> str:
        return NONE_LABEL if self.value is None else self.value


@dataclass(frozen=True)
class SliceKey:
    key: str
    values: list[SliceValue]  # by value, "(none)" last when some samples lack the field

    @property
    def samples(self) -> int:
        return sum(v.samples for v in self.values)


# --------------------------------------------------------------------------------------------
# Per-run summaries: stored at ingestion, else aggregated from the sample rows
# --------------------------------------------------------------------------------------------


def _moments_json(moments: stats.ClusterMoments) -> dict[str, Any]:
    return dataclasses.asdict(moments)


def summary_for_storage(run: EvaluationRun) -> dict[str, Any]:
    """What ingestion stores in ``run.score_moments["slices"]`` once the run's samples are
    written: ``{"samples": distinct samples, "keys": {field: None | {"values": {value: samples},
    "moments": [[value or None, moments], ...]}}}``. Two queries."""
    found = _key_counts([run.pk]).get(run.pk, _RunKeys())
    keys = sorted(k for k, v in found.keys.items() if v is not None)
    moments = _moments_query([run.pk], keys).get(run.pk, {}) if keys else {}
    stored: dict[str, Any] = {}
    for key, values in found.keys.items():
        if values is None:
            stored[key] = None
            continue
        stored[key] = {
            "values": dict(sorted(values.items())),
            "moments": [
                [value, _moments_json(m)]
                for value, m in sorted(
                    moments.get(key, {}).items(), key=lambda item: _order(item[0])
                )
            ],
        }
    return {"samples": found.samples, "keys": stored}


@dataclass
class _RunKeys:
    samples: int = 0
    # field -> {value: samples}, or None when the field is not a slice of the run
    keys: dict[str, dict[str, int] | None] = dataclasses.field(default_factory=dict)


def _stored(run: EvaluationRun) -> dict[str, Any] | None:
    """The run's stored slice summary, None when it has none (or its row was loaded without it)."""
    if "score_moments" not in run.__dict__:
        return None
    moments = run.score_moments
    found = moments.get("slices") if isinstance(moments, dict) else None
    return found if isinstance(found, dict) and isinstance(found.get("keys"), dict) else None


def _run_keys(runs: Sequence[EvaluationRun]) -> dict[int, _RunKeys]:
    out: dict[int, _RunKeys] = {}
    missing = []
    for run in runs:
        stored = _stored(run)
        if stored is None:
            missing.append(run.pk)
            continue
        out[run.pk] = _RunKeys(
            int(stored.get("samples") or 0),
            {
                key: (
                    None if entry is None else {str(v): int(n) for v, n in entry["values"].items()}
                )
                for key, entry in stored["keys"].items()
            },
        )
    out.update(_key_counts(missing))
    return out


def _key_counts(run_ids: Sequence[int]) -> dict[int, _RunKeys]:
    """{run id: its samples and, per metadata field, None (not a slice) or {value: samples}},
    aggregated from the sample rows: one query for any number of runs."""
    ids = sorted({int(i) for i in run_ids})
    if not ids:
        return {}
    if connection.vendor != "postgresql":
        return _key_counts_python(ids)
    table = connection.ops.quote_name(SampleResult._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    # One row per (run, field) that is not a slice (count -1), per (run, field, value) of a slice,
    # and per run for its samples (field NULL). A slice's values: strings, integers, booleans (a
    # JSON null is "(none)"), at most MAX_VALUES of them.
    sql = f"""
        WITH pairs AS (
            SELECT s.run_id, e.key, jsonb_typeof(e.value) AS t, e.value #>> '{{}}' AS v,
                   s.sample_id
            FROM {table} s
            CROSS JOIN LATERAL jsonb_each(
                CASE WHEN jsonb_typeof(s.metadata) = 'object' THEN s.metadata
                     ELSE '{{}}'::jsonb END
            ) e
            WHERE s.run_id IN ({marks})
        ),
        kinds AS (
            SELECT run_id, key,
                   COUNT(DISTINCT v) <= %s AND bool_and(
                       t IN ('string', 'boolean', 'null')
                       OR (t = 'number' AND v ~ '^-?[0-9]+$')
                   ) AS slice
            FROM pairs GROUP BY run_id, key
        )
        SELECT p.run_id, p.key, p.v, COUNT(DISTINCT p.sample_id)
        FROM pairs p JOIN kinds k ON k.run_id = p.run_id AND k.key = p.key
        WHERE k.slice AND p.v IS NOT NULL
        GROUP BY p.run_id, p.key, p.v
        UNION ALL
        SELECT run_id, key, NULL, -1 FROM kinds WHERE NOT slice
        UNION ALL
        SELECT run_id, NULL, NULL, COUNT(DISTINCT sample_id) FROM {table}
        WHERE run_id IN ({marks}) GROUP BY run_id
    """  # noqa: S608 - only the model's table name and %s placeholders are interpolated.
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, MAX_VALUES, *ids])
        fetched = cursor.fetchall()
    out: dict[int, _RunKeys] = {}
    for run_id, key, value, count in fetched:
        entry = out.setdefault(run_id, _RunKeys())
        if key is None:
            entry.samples = int(count)
        elif count < 0:
            entry.keys[key] = None
        else:
            values = entry.keys.setdefault(key, {})
            if values is not None:
                values[value] = int(count)
    return out


def _scalar(value: Any) -> str | None:
    """A metadata value as a slice value (the text PostgreSQL's ``#>>`` gives), None for null;
    raises TypeError for a value that is not a slice's (float, list, object)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    raise TypeError


def _sample_rows(ids: Sequence[int]):
    return (
        SampleResult.objects.filter(run_id__in=ids)
        .order_by()
        .values_list("run_id", "sample_id", "score", "metadata")
        .iterator(chunk_size=_CHUNK)
    )


def _key_counts_python(ids: Sequence[int]) -> dict[int, _RunKeys]:
    """`_key_counts` on databases without JSONB (the demo's SQLite): one pass over the rows."""
    samples: dict[int, set[str]] = defaultdict(set)
    seen: dict[int, dict[str, dict[str, set[str]] | None]] = defaultdict(dict)
    for run_id, sample_id, _score, metadata in _sample_rows(ids):
        samples[run_id].add(sample_id)
        if not isinstance(metadata, dict):
            continue
        for key, raw in metadata.items():
            if key in seen[run_id] and seen[run_id][key] is None:
                continue
            try:
                value = _scalar(raw)
            except TypeError:
                seen[run_id][key] = None
                continue
            values = seen[run_id].setdefault(key, {})
            if values is not None and value is not None:
                values.setdefault(value, set()).add(sample_id)
    out = {}
    for run_id, members in samples.items():
        keys: dict[str, dict[str, int] | None] = {}
        for key, values in seen[run_id].items():
            if values is None or len(values) > MAX_VALUES:
                keys[key] = None
            elif values:  # a field whose values are all null is no slice (as in the query)
                keys[key] = {v: len(s) for v, s in values.items()}
        out[run_id] = _RunKeys(len(members), keys)
    return out


def slice_keys(runs: Iterable[EvaluationRun]) -> list[SliceKey]:
    """The metadata fields the runs' samples may be sliced by, in name order, each with its
    values and their samples (summed over the runs: a sample id in two runs counts twice), and
    a "(none)" value for the samples without it. A field is left out when it is not a slice in
    one of the runs, or takes more than `MAX_VALUES` values over them all. Reads the summaries
    stored at ingestion; one query for the runs without one."""
    run_list = [r for r in runs if r is not None]
    per_run = _run_keys(run_list)
    total = sum(entry.samples for entry in per_run.values())
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    excluded: set[str] = set()
    for entry in per_run.values():
        for key, values in entry.keys.items():
            if values is None:
                excluded.add(key)
            else:
                counts[key].update(values)
    out = []
    for key in sorted(counts.keys() - excluded):
        values = counts[key]
        if not values or len(values) > MAX_VALUES:
            continue
        listed = [SliceValue(v, n) for v, n in sorted(values.items(), key=lambda i: _order(i[0]))]
        missing = total - sum(values.values())
        if missing > 0:
            listed.append(SliceValue(None, missing))
        out.append(SliceKey(key, listed))
    return out


def _order(value: str | None) -> tuple:
    """Values in order: integers by number, then text, "(none)" last."""
    if value is None:
        return (2, 0, "")
    try:
        return (0, int(value), value)
    except ValueError:
        return (1, 0, value)


# --------------------------------------------------------------------------------------------
# Per-slice moments of the primary score
# --------------------------------------------------------------------------------------------

Moments = dict[int, dict[str, dict[str | None, stats.ClusterMoments]]]


def slice_moments(runs: Sequence[EvaluationRun], keys: Iterable[str]) -> Moments:
    """{run id: {field: {value or None: moments of the primary score}}} for the fields given.

    From the summaries stored at ingestion; the others (runs without one) in one query. A run
    whose samples all lack a field has its headline moments under None; values without a scored
    sample are absent."""
    wanted = sorted(set(keys))
    out: Moments = {}
    missing = []
    for run in runs:
        stored = _stored(run)
        if stored is None:
            missing.append(run.pk)
            continue
        per_key: dict[str, dict[str | None, stats.ClusterMoments]] = {}
        for key in wanted:
            entry = stored["keys"].get(key)
            if entry is None and key in stored["keys"]:
                continue  # not a slice in this run: no figures
            if entry is None:  # no sample has the field: every sample is "(none)"
                headline = scores._stored_primary_moments(run.score_moments)
                if headline is scores._NOT_STORED:
                    missing.append(run.pk)
                    break
                per_key[key] = {None: headline} if headline is not None else {}
                continue
            per_key[key] = {
                value: stats.ClusterMoments(**m) for value, m in entry["moments"] if m is not None
            }
        else:
            out[run.pk] = per_key
    if missing and wanted:
        out.update(_moments_query(missing, wanted))
    return out


def _moments_query(run_ids: Sequence[int], keys: Sequence[str]) -> Moments:
    """`slice_moments` aggregated by the database: one query for any number of runs and fields,
    one row per (run, field, value) (no sample row reaches Python). As
    `scores.run_score_moments`: residuals centred on each group's mean, sums in NUMERIC."""
    ids = sorted({int(i) for i in run_ids})
    if not ids or not keys:
        return {}
    if connection.vendor != "postgresql":
        return _moments_python(ids, keys)
    table = connection.ops.quote_name(SampleResult._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
        WITH obs AS (
            SELECT s.run_id, k.key, s.metadata ->> k.key AS v, s.sample_id,
                   CAST(s.score AS NUMERIC) AS x
            FROM {table} s CROSS JOIN unnest(%s::text[]) AS k(key)
            WHERE s.run_id IN ({marks}) AND s.score IS NOT NULL
        ),
        centred AS (
            SELECT run_id, key, v, sample_id, x,
                   x - AVG(x) OVER (PARTITION BY run_id, key, v) AS r
            FROM obs
        ),
        clusters AS (
            SELECT run_id, key, v, COUNT(*) AS n, SUM(x) AS total, SUM(r) AS resid,
                   MIN(x) AS low, MAX(x) AS high,
                   SUM(CASE WHEN x = 0 OR x = 1 THEN 0 ELSE 1 END) AS other
            FROM centred GROUP BY run_id, key, v, sample_id
        )
        SELECT run_id, key, v, COUNT(*), SUM(n), SUM(total), SUM(resid * resid), SUM(other),
               MIN(low), MAX(high)
        FROM clusters GROUP BY run_id, key, v
    """  # noqa: S608 - only the model's table name and %s placeholders are interpolated.
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(keys), *ids])
        fetched = cursor.fetchall()
    out: Moments = {}
    for run_id, key, value, clusters, n, total, residual_sq, other, low, high in fetched:
        out.setdefault(run_id, {}).setdefault(key, {})[value] = stats.ClusterMoments.from_aggregate(
            clusters=clusters,
            n=n,
            total=total,
            residual_sq=residual_sq,
            non_binary=other,
            low=low,
            high=high,
        )
    for run_id in ids:
        for key in keys:
            out.setdefault(run_id, {}).setdefault(key, {})
    return out


def _moments_python(ids: Sequence[int], keys: Sequence[str]) -> Moments:
    """`_moments_query` on databases without JSONB (the demo's SQLite)."""
    values: dict[tuple[int, str, str | None], list[float]] = defaultdict(list)
    clusters: dict[tuple[int, str, str | None], list[str]] = defaultdict(list)
    for run_id, sample_id, score, metadata in _sample_rows(ids):
        if score is None:
            continue
        for key in keys:
            raw = metadata.get(key) if isinstance(metadata, dict) else None
            try:
                value = _scalar(raw)
            except TypeError:
                value = None
            values[(run_id, key, value)].append(float(score))
            clusters[(run_id, key, value)].append(sample_id)
    out: Moments = {run_id: {key: {} for key in keys} for run_id in ids}
    for (run_id, key, value), xs in values.items():
        out[run_id][key][value] = stats.ClusterMoments.from_values(
            xs, clusters[(run_id, key, value)]
        )
    return out


# --------------------------------------------------------------------------------------------
# The slice matrix
# --------------------------------------------------------------------------------------------


@dataclass
class SliceCell:
    system: Any  # AISystem
    run: EvaluationRun | None  # the cell's representative run (`matrix.build_matrix`)
    estimate: stats.MeanEstimate | None  # the run's primary score on this value's samples
    min_n: int

    @property
    def mean(self) -> float | None:
        return self.estimate.mean if self.estimate is not None else None

    @property
    def ci(self) -> tuple[float, float] | None:
        return scores.interval(self.estimate)[0]

    @property
    def ci_method(self) -> str:
        return scores.interval(self.estimate)[1]

    @property
    def n(self) -> int:
        """Samples (each sample's epochs are one cluster)."""
        return self.estimate.clusters if self.estimate is not None else 0

    @property
    def observations(self) -> int:
        """Sample x epoch observations."""
        return self.estimate.n if self.estimate is not None else 0

    @property
    def low_n(self) -> bool:
        return self.estimate is not None and self.n < self.min_n

    @property
    def heat(self) -> str:
        mean = self.mean
        if mean is None or not 0.0 <= mean <= 1.0:
            return "heat-none"
        return f"heat-{int(mean * 10 + 0.5)}"


@dataclass
class SliceRow:
    value: str | None  # None: samples without the field
    cells: list[SliceCell]

    @property
    def label(self) -> str:
        return NONE_LABEL if self.value is None else self.value


@dataclass
class SliceTask:
    task: Any  # EvaluationTask
    domain: str
    overall: list[Cell]  # the matrix's cells: each run's headline over all its samples
    rows: list[SliceRow]


@dataclass
class SliceMatrix:
    project: EvaluationProject
    key: str
    columns: list[Column]
    tasks: list[SliceTask]
    institute: Institute | None
    min_n: int
    available: list[SliceKey] = dataclasses.field(default_factory=list)  # every slice field

    @property
    def empty(self) -> bool:
        return not self.tasks

    @property
    def low_n_count(self) -> int:
        return sum(1 for t in self.tasks for r in t.rows for c in r.cells if c.low_n)

    def items(self) -> list[dict[str, Any]]:
        """The slice table, one item per (task, system, value) with a figure: what the CSV and
        JSON exports and the API print."""
        roles = {c.system.pk: c.kind for c in self.columns}
        out = []
        for task in self.tasks:
            for row in task.rows:
                for cell in row.cells:
                    if cell.estimate is None or cell.run is None:
                        continue
                    ci = cell.ci
                    out.append(
                        {
                            "domain": task.domain,
                            "task": task.task.slug,
                            "task_name": task.task.name,
                            "system": str(cell.system),
                            "system_role": roles.get(cell.system.pk, "target"),
                            "slice_key": self.key,
                            "slice_value": row.value,
                            "mean": cell.mean,
                            "ci_low": ci[0] if ci else None,
                            "ci_high": ci[1] if ci else None,
                            "ci_method": cell.ci_method,
                            "n": cell.n,
                            "observations": cell.observations,
                            "clusters": cell.n,
                            "low_n": cell.low_n,
                            "run_id": cell.run.pk,
                        }
                    )
        return out

    def charts(self) -> list[dict]:
        """Chart data per task, in the shape of `ResultsMatrix.charts` (the same charts draw
        them): a bar per value x system, labelled "value · system", with its interval."""
        reference = {c.system.pk for c in self.columns if c.is_reference}
        out = []
        for task in self.tasks:
            points = []
            for row in task.rows:
                for cell in row.cells:
                    if cell.mean is None or cell.run is None:
                        continue
                    ci = cell.ci
                    points.append(
                        {
                            "label": f"{row.label} · {cell.system}",
                            "reference": cell.system.pk in reference,
                            "mean": cell.mean,
                            "low": ci[0] if ci else None,
                            "high": ci[1] if ci else None,
                            "n": cell.n,
                            "run": cell.run.pk,
                            "complete": cell.run.complete,
                            "partial": "few samples" if cell.low_n else "",
                            "pinned": False,
                            "url": reverse("runs:detail", kwargs={"run_id": cell.run.pk}),
                        }
                    )
            if points:
                out.append(
                    {
                        "task": task.task.name,
                        "slug": task.task.slug,
                        "domain": task.domain,
                        "metric": f"score by {self.key}",
                        "points": points,
                        "y": _chart_axis(points),
                    }
                )
        return out


def build_slice_matrix(
    project: EvaluationProject,
    *,
    by: str,
    institute: Institute | None = None,
    matrix: ResultsMatrix | None = None,
    keys: list[SliceKey] | None = None,
) -> SliceMatrix:
    """The results matrix of a project whose results the caller may see, each task x system cell
    split by the values of the sample metadata field `by`: rows task x value, columns systems,
    the runs those of `matrix.build_matrix` (pass `matrix` when it is already built, for the same
    `institute`, and `keys` when `slice_keys` of its runs are known). Raises UnknownSliceKey when `by` is not a slice of those runs. A fixed number
    of queries whatever the number of runs: build_matrix's, and at most two more for runs
    without a stored slice summary."""
    if matrix is None:
        matrix = build_matrix(project, institute=institute)
    runs = matrix_runs(matrix)
    if keys is None:
        keys = slice_keys(runs)
    found = next((k for k in keys if k.key == by), None)
    if found is None:
        raise UnknownSliceKey(by, [k.key for k in keys])
    moments = slice_moments(runs, [by])
    min_n = settings.CONCORD_SLICE_MIN_N
    tasks = []
    for group in matrix.groups:
        for row in group.rows:
            per_cell = {
                cell.system.pk: moments.get(cell.run.pk, {}).get(by, {})
                for cell in row.cells
                if cell.run is not None
            }
            values = sorted({v for m in per_cell.values() for v in m}, key=_order)
            rows = []
            for value in values:
                cells = []
                for cell in row.cells:
                    m = per_cell.get(cell.system.pk, {}).get(value)
                    estimate = stats.score_summary_from_moments(m) if m is not None else None
                    cells.append(SliceCell(cell.system, cell.run, estimate, min_n))
                rows.append(SliceRow(value, cells))
            if rows:
                tasks.append(SliceTask(row.task, group.name, row.cells, rows))
    return SliceMatrix(project, by, matrix.columns, tasks, matrix.institute, min_n, keys)


def available_keys(runs: Iterable[EvaluationRun]) -> list[str]:
    return [k.key for k in slice_keys(runs)]


def matrix_runs(matrix: ResultsMatrix) -> list[EvaluationRun]:
    """The representative runs a results matrix shows (those a slice matrix splits)."""
    return [cell.run for g in matrix.groups for row in g.rows for cell in row.cells if cell.run]
