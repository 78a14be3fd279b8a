"""Every scorer of a run with its 95% CI, computed by `evaluations.stats` from the run's samples.

Inspect reports each scorer's metrics and, for mean-like metrics, a standard error; an interval
built from that standard error alone (mean ± t·SE) can leave [0, 1] for a proportion on a few
samples. The run page instead summarises each scorer's per-sample values with
`stats.score_summary`, the same rule as the results matrix (Wilson interval for 0/1 values with
one epoch, a t interval clustered by sample otherwise). One query reads only the sample id and
each scorer's value (extracted from the `scores` JSON by the database), never the transcripts.

Precomputed: a run's samples never change once ingested, so ingestion stores their sufficient
statistics (`stats.ClusterMoments`) on the run, `EvaluationRun.score_moments`:
`{"score": <moments of the score column> | null, "scorers": {name: <moments> | null}}`
(`moments_for_storage`). The summaries below read them and aggregate sample rows only for runs
without them (written by other means, e.g. test factories). Measured on a 10^5-sample run: the
run page went from seconds to milliseconds (benchmarks/README.md).
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Iterable
from typing import Any

from django.db.models.fields.json import KeyTextTransform, KeyTransform

from evaluations import stats
from evaluations.ingestion.rows import score_as_float
from evaluations.models import EvaluationRun, SampleResult

# The metrics whose figure is the mean of the per-sample values (what the summary estimates).
MEAN_METRICS = frozenset({"accuracy", "mean"})
_CHUNK = 5000
NOT_STORED: Any = object()  # `score_moments` absent, or without the part asked for


def _moments_json(moments: stats.ClusterMoments | None) -> dict[str, Any] | None:
    return dataclasses.asdict(moments) if moments is not None else None


def _moments(value: dict[str, Any] | None) -> stats.ClusterMoments | None:
    return stats.ClusterMoments(**value) if value is not None else None


def stored_primary_moments(stored: dict | None) -> stats.ClusterMoments | None:
    """The moments of the `score` column from a run's `score_moments`: None when the run has
    no scored sample, NOT_STORED when they were not stored."""
    if not isinstance(stored, dict) or "score" not in stored:
        return NOT_STORED
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
    if isinstance(known, dict) and names <= known.keys():
        moments = {name: _moments(known[name]) for name in names}
    else:
        moments = dict(scorer_moments(run, names))
    return {
        name: stats.score_summary_from_moments(m) for name, m in moments.items() if m is not None
    }


def moments_for_storage(run: EvaluationRun, scorers: Iterable[str]) -> dict[str, Any]:
    """What ingestion stores in `run.score_moments` once the run's samples are written: the
    moments of the `score` column and of each named (mean-like) scorer, None where no sample
    has a number."""
    from evaluations.comparisons import run_score_moments

    names = sorted({s for s in scorers if s})
    per_scorer = scorer_moments(run, names)
    return {
        "score": _moments_json(run_score_moments([run.pk]).get(run.pk)),
        "scorers": {name: _moments_json(per_scorer.get(name)) for name in names},
    }
