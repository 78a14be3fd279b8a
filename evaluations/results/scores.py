"""A run's score estimates and their 95% intervals: the one place every surface reads them from.

The run page, the runs list, the compare page, the results matrix and its charts, the dashboard,
the CSV/JSON exports and the API all call the two functions below, so they print the same
interval for the same run:

- `run_score_summaries`: the headline, the mean of the per-sample ``score`` with its interval;
- `score_table`: every scorer/metric of a run, each with its interval.

The intervals come from the run's samples, summarised by `stats.score_summary`: for scores in
[0, 1] a Wilson interval (for 0/1 values with one epoch; at the effective sample size of the
standard error clustered by sample otherwise), which never leaves [0, 1]; for other scores a t
interval clustered by sample. Inspect also reports a standard error for mean-like metrics, but an
interval built from it alone (mean ± t·SE) can leave [0, 1] for a proportion on a few samples, so
it is used only for the other metrics that report one. A mean-like metric without per-sample
values has no interval: its reported figures are shown as they are.

Precomputed: a run's samples never change once ingested, so ingestion stores their sufficient
statistics (`stats.ClusterMoments`) on the run, `EvaluationRun.score_moments`:
`{"score": <moments of the score column> | null, "scorers": {name: <moments> | null}}`
(`moments_for_storage`), with the run's slices by sample metadata under "slices"
(`results.slices`; `results.stored` puts the two together). The summaries read them from the run row (no query when the row is
loaded) and aggregate sample rows only for runs without them (written by other means, e.g. test
factories): one query for the headlines of any number of runs, one per run for its scorers. The
figures for large runs are in benchmarks/README.md.
"""

from __future__ import annotations

import dataclasses
import math
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from evaluations import stats
from evaluations.ingestion.rows import score_as_float
from evaluations.models import EvaluationRun, SampleResult

# The metrics whose figure is the mean of the per-sample values (what the summary estimates).
MEAN_METRICS = frozenset({"accuracy", "mean"})
_CHUNK = 5000
_NOT_STORED: Any = object()  # `score_moments` absent, or without the part asked for


def _moments_json(moments: stats.ClusterMoments | None) -> dict[str, Any] | None:
    return dataclasses.asdict(moments) if moments is not None else None


def _moments(value: dict[str, Any] | None) -> stats.ClusterMoments | None:
    """Stored moments, or _NOT_STORED for moments stored before the smallest and largest value
    were recorded that are not all 0/1: whether they are bounded in [0, 1] (which interval
    applies) is unknown, so they are aggregated again from the sample rows."""
    if value is None:
        return None
    moments = stats.ClusterMoments(**value)
    return _NOT_STORED if moments.bounded is None else moments


def _stored_primary_moments(stored: dict | None) -> stats.ClusterMoments | None:
    """The moments of the `score` column from a run's `score_moments`: None when the run has
    no scored sample, _NOT_STORED when they were not stored."""
    if not isinstance(stored, dict) or "score" not in stored:
        return _NOT_STORED
    return _moments(stored["score"])


def scorer_moments(run: EvaluationRun, scorers: Iterable[str]) -> dict[str, stats.ClusterMoments]:
    """{scorer: moments} over the run's sample rows, for scorers with numeric values.

    The rows come in sample-id order (the table's unique index), so a sample's epochs arrive
    together and each cluster ends where the id changes: per scorer, only its values (8 bytes
    each) and where each cluster ends are kept, whatever the number of samples."""
    names = sorted({s for s in scorers if s})
    if not names:
        return {}
    aliases = {f"v{i}": name for i, name in enumerate(names)}
    rows = (
        SampleResult.objects.filter(run=run)
        .order_by("sample_id", "epoch")
        .annotate(
            **{
                alias: KeyTextTransform("value", KeyTransform(name, "scores"))
                for alias, name in aliases.items()
            }
        )
        .values_list("sample_id", *aliases)
        .iterator(chunk_size=_CHUNK)
    )
    values = {name: array("d") for name in names}
    ends = {name: array("Q") for name in names}  # one past each cluster's last value

    def close_clusters() -> None:
        for name in names:
            xs, cut = values[name], ends[name]
            if len(xs) > (cut[-1] if cut else 0):
                cut.append(len(xs))

    previous: str | None = None
    for sample_id, *raw in rows:
        if sample_id != previous:
            close_clusters()
            previous = sample_id
        for name, value in zip(names, raw, strict=True):
            if value is None or value.startswith(("{", "[")):
                continue  # no score, or a dict/list value: no single number (as in ingestion)
            number = score_as_float(value)
            if number is not None:
                values[name].append(number)
    close_clusters()
    return {
        name: stats.ClusterMoments.from_clustered(values[name], ends[name])
        for name in names
        if values[name]
    }


def scorer_summaries(run: EvaluationRun, scorers: Iterable[str]) -> dict[str, stats.MeanEstimate]:
    """{scorer: mean with its CI} over the run's sample rows, for scorers with numeric values
    (from the moments stored at ingestion when they cover every scorer asked for)."""
    names = {s for s in scorers if s}
    stored = run.score_moments if "score_moments" in run.__dict__ else None
    known = stored.get("scorers") if isinstance(stored, dict) else None
    moments: dict[str, stats.ClusterMoments | None] = {}
    if isinstance(known, dict) and names <= known.keys():
        moments = {name: _moments(known[name]) for name in names}
    if not moments or any(m is _NOT_STORED for m in moments.values()):
        moments = dict(scorer_moments(run, names))
    return {
        name: stats.score_summary_from_moments(m) for name, m in moments.items() if m is not None
    }


def moments_for_storage(
    run: EvaluationRun, scorers: Iterable[str], *, metrics: Iterable[str] = ()
) -> dict[str, Any]:
    """What ingestion stores in `run.score_moments` once the run's samples are written: the
    moments of the `score` column and of each named (mean-like) scorer, None where no sample
    has a number, and the size of the subgroup each of the other `metrics` is computed on
    (`_subgroup_sizes`), so that the run page never reads the samples' metadata."""
    names = sorted({s for s in scorers if s})
    per_scorer = scorer_moments(run, names)
    return {
        "score": _moments_json(run_score_moments([run.pk]).get(run.pk)),
        "scorers": {name: _moments_json(per_scorer.get(name)) for name in names},
        "subgroups": _subgroup_sizes(run, _subgroup_candidates(metrics)),
    }


def _subgroup_candidates(metrics: Iterable[str]) -> set[str]:
    """The metrics that may be computed on a subgroup: all but the mean-like ones and `stderr`."""
    return {m for m in metrics if m and m not in MEAN_METRICS and m != STDERR_METRIC}


def run_score_moments(run_ids: Iterable[int]) -> dict[int, stats.ClusterMoments]:
    """{run id: sufficient statistics of the per-sample ``score``}, aggregated by the database in
    one query that returns one row per run (no sample row reaches Python). Runs without any
    scored sample are absent. Epochs are clustered by sample id."""
    ids = sorted({int(i) for i in run_ids})
    if not ids:
        return {}
    table = connection.ops.quote_name(SampleResult._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    # Centre on each run's mean first, then square the per-sample sums of residuals: the
    # cluster-robust variance without one-pass cancellation (see stats.ClusterMoments). Sums in
    # NUMERIC: exact, so a run's figures do not depend on the order the database adds its rows
    # in, which changes with the other runs of the query (a page of runs, or one run).
    sql = f"""
        SELECT c.run_id, COUNT(*), SUM(c.n), SUM(c.total), SUM(c.resid * c.resid), SUM(c.other),
               MIN(c.low), MAX(c.high)
        FROM (
            SELECT s.run_id AS run_id, COUNT(*) AS n, SUM(CAST(s.score AS NUMERIC)) AS total,
                   SUM(CAST(s.score AS NUMERIC) - m.mean) AS resid,
                   MIN(s.score) AS low, MAX(s.score) AS high,
                   SUM(CASE WHEN s.score = 0 OR s.score = 1 THEN 0 ELSE 1 END) AS other
            FROM {table} s
            JOIN (
                SELECT run_id, AVG(CAST(score AS NUMERIC)) AS mean FROM {table}
                WHERE run_id IN ({marks}) AND score IS NOT NULL GROUP BY run_id
            ) m ON m.run_id = s.run_id
            WHERE s.run_id IN ({marks}) AND s.score IS NOT NULL
            GROUP BY s.run_id, s.sample_id
        ) c
        GROUP BY c.run_id
    """  # noqa: S608 - only the model's table name and %s placeholders are interpolated.
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *ids])
        fetched = cursor.fetchall()
    return {
        run_id: stats.ClusterMoments.from_aggregate(
            clusters=clusters,
            n=n,
            total=total,
            residual_sq=residual_sq,
            non_binary=other,
            low=low,
            high=high,
        )
        for run_id, clusters, n, total, residual_sq, other, low, high in fetched
    }


def run_score_summaries(
    runs: Sequence[int | EvaluationRun], *, confidence: float = stats.DEFAULT_CONFIDENCE
) -> dict[int, stats.MeanEstimate]:
    """{run id: mean, SE, CI, n} of the per-sample ``score`` of each run (runs or their ids): the
    headline estimate every surface shows.

    Same rules as :func:`evaluations.stats.score_summary`: epochs clustered by sample id; Wilson
    interval for scores in [0, 1] (at the effective n unless 0/1 with one epoch), t otherwise. Runs without any scored sample are absent. Ingested
    runs carry their moments (``EvaluationRun.score_moments``): those are read from the run
    objects given (no query), or in one query on the ids given; the database aggregates the
    samples of the others only, in one query. Not scoped: pass runs the user may see.
    """
    stored: dict[int, dict | None] = {}
    ids: set[int] = set()
    for run in runs:
        if isinstance(run, EvaluationRun):
            ids.add(run.pk)
            if "score_moments" in run.__dict__:  # loaded (not deferred): no query
                stored[run.pk] = run.score_moments
        else:
            ids.add(int(run))
    unknown = ids - stored.keys()
    if unknown:
        stored.update(
            EvaluationRun.objects.filter(pk__in=unknown).values_list("pk", "score_moments")
        )
    moments: dict[int, stats.ClusterMoments] = {}
    missing = []
    for run_id in ids:
        known = _stored_primary_moments(stored.get(run_id))
        if known is _NOT_STORED:
            missing.append(run_id)
        elif known is not None:
            moments[run_id] = known
    moments.update(run_score_moments(missing))
    return {
        run_id: stats.score_summary_from_moments(m, confidence=confidence)
        for run_id, m in moments.items()
    }


def _reported_ci95(
    value: float | None,
    stderr: float | None,
    n: int | None,
    bounded: bool,
) -> tuple[tuple[float, float] | None, str]:
    """95% interval of a metric from the standard error its scorer reported (metrics that are not
    a mean of the per-sample values), with how it was built. ``bounded``: the scorer's per-sample
    values all lie in [0, 1], so a value in [0, 1] gets the Wilson interval at the effective n of
    the reported SE (`stats.effective_wilson_interval`), inside [0, 1]; otherwise Student-t with
    n - 1 degrees of freedom (n = scored samples), normal when n is unknown. None without a
    standard error."""
    if value is None or stderr is None or not math.isfinite(stderr) or stderr < 0:
        return None, ""
    if bounded and 0.0 <= value <= 1.0 and n:
        return stats.effective_wilson_interval(value, stderr, clusters=n), REPORTED_SE_WILSON
    if n is not None and n >= 2:
        critical = stats.critical_value(0.95, method="t", df=n - 1)
    else:
        critical = stats.critical_value(0.95, method="normal")
    return (value - critical * stderr, value + critical * stderr), REPORTED_SE


REPORTED_SE = "t (reported SE)"
REPORTED_SE_WILSON = "wilson (reported SE)"
# Inspect reports a scorer's standard error as a metric of its own, next to the mean it measures:
# it is that row's SE, never a score row.
STDERR_METRIC = "stderr"


def interval(estimate: stats.MeanEstimate | None) -> tuple[tuple[float, float] | None, str]:
    """(the 95% interval, how it was built) of an estimate, as every surface prints them:
    (None, "") without an interval (no estimate, or a t interval on a single sample)."""
    if estimate is None or estimate.ci is None:
        return None, ""
    return estimate.ci, estimate.method


def score_table(run: EvaluationRun, primary: stats.MeanEstimate | None) -> list[dict]:
    """Every scorer/metric of the run (`run.scores`) but `stderr`, each as ``{"score": RunScore,
    "value": float | None, "primary": bool, "ci": (low, high) | None, "method": str, "stderr":
    float | None, "n": int | None}``. A mean-like row with an estimate shows the estimate's mean
    and standard error (those its interval is built from); other rows the figures the log
    reported.

    ``primary`` is the run's headline estimate (`run_score_summaries`): the headline metric's row
    shows exactly it, so the row and the headline never differ. Other mean-like metrics (accuracy,
    mean) get the interval of the scorer's per-sample values (`scorer_summaries`), none when the
    samples carry no number for it; other metrics with a reported standard error get an interval
    around it; the rest have none. A scorer's `stderr` metric is the SE of its mean-like row
    (``stderr``), not a row. ``n`` is the samples the figure is computed on: a metric computed
    on a subgroup of the samples (Inspect's grouped metrics, named after a value of a sample
    metadata field) counts that subgroup's samples, other metrics the scorer's scored samples."""
    run_scores = list(run.scores.all())
    reported_se = {s.scorer: s.value for s in run_scores if s.metric == STDERR_METRIC}
    shown = [s for s in run_scores if s.metric != STDERR_METRIC]
    summaries = scorer_summaries(
        run,
        {
            s.scorer
            for s in shown
            if (s.metric in MEAN_METRICS and not _is_primary(run, s.scorer, s.metric))
            or (s.metric not in MEAN_METRICS and s.stderr is not None)
        },
    )
    subgroups = _stored_subgroup_sizes(run, _subgroup_candidates(s.metric for s in shown))
    rows = []
    for score in shown:
        is_primary = _is_primary(run, score.scorer, score.metric)
        ci: tuple[float, float] | None
        value, stderr = score.value, score.stderr
        n = score.scored_samples
        if score.metric in MEAN_METRICS:
            estimate = primary if is_primary else summaries.get(score.scorer)
            ci, method = interval(estimate)
            if estimate is not None:  # the figures the interval is built from
                value, stderr = estimate.mean, estimate.stderr
            elif stderr is None:
                stderr = reported_se.get(score.scorer)
        else:
            summary = summaries.get(score.scorer)
            bounded = summary is not None and summary.method != "t"
            ci, method = _reported_ci95(score.value, score.stderr, n, bounded)
            n = subgroups.get(score.metric, n)
        rows.append(
            {
                "score": score,
                "value": value,
                "primary": is_primary,
                "ci": ci,
                "method": method,
                "stderr": stderr,
                "n": n,
            }
        )
    return rows


def _stored_subgroup_sizes(run: EvaluationRun, metrics: set[str]) -> dict[str, int]:
    """`_subgroup_sizes` as ingestion stored them on the run (no query); counted from the sample
    rows only for runs written otherwise."""
    stored = run.score_moments if "score_moments" in run.__dict__ else None
    known = stored.get("subgroups") if isinstance(stored, dict) else None
    if isinstance(known, dict):
        return {metric: int(n) for metric, n in known.items() if metric in metrics}
    return _subgroup_sizes(run, metrics)


def _subgroup_sizes(run: EvaluationRun, metrics: set[str]) -> dict[str, int]:
    """{metric: number of samples} for metrics named after the value of a sample metadata field
    (Inspect's ``grouped(accuracy(), "kind")`` reports one metric per kind: "benign", "harmful").
    One pass over the samples' metadata, each sample counted once whatever its epochs; metrics
    that name no metadata value are absent."""
    if not metrics:
        return {}
    counts: dict[str, set[str]] = {}
    rows = (
        SampleResult.objects.filter(run=run)
        .order_by()
        .values_list("sample_id", "metadata")
        .iterator(chunk_size=_CHUNK)
    )
    for sample_id, metadata in rows:
        if not isinstance(metadata, dict):
            continue
        for value in metadata.values():
            if isinstance(value, str | int) and not isinstance(value, bool):
                key = str(value)
                if key in metrics:
                    counts.setdefault(key, set()).add(sample_id)
    return {metric: len(ids) for metric, ids in counts.items()}


def _is_primary(run: EvaluationRun, scorer: str, metric: str) -> bool:
    return scorer == run.primary_scorer and metric == run.primary_metric
