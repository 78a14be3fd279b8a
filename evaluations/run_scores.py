"""Every scorer of a run with its 95% CI, computed by `evaluations.stats` from the run's samples.

Inspect reports each scorer's metrics and, for mean-like metrics, a standard error; an interval
built from that standard error alone (mean ± t·SE) can leave [0, 1] for a proportion on a few
samples. The run page instead summarises each scorer's per-sample values with
`stats.score_summary`, the same rule as the results matrix (Wilson interval for 0/1 values with
one epoch, a t interval clustered by sample otherwise). One query reads only the sample id and
each scorer's value (extracted from the `scores` JSON by the database), never the transcripts.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.fields.json import KeyTextTransform, KeyTransform

from evaluations import stats
from evaluations.ingestion.rows import score_as_float
from evaluations.models import EvaluationRun, SampleResult

# The metrics whose figure is the mean of the per-sample values (what the summary estimates).
MEAN_METRICS = frozenset({"accuracy", "mean"})
_CHUNK = 5000


def scorer_summaries(run: EvaluationRun, scorers: Iterable[str]) -> dict[str, stats.MeanEstimate]:
    """{scorer: mean with its CI} over the run's sample rows, for scorers with numeric values."""
    names = sorted({s for s in scorers if s})
    if not names:
        return {}
    aliases = {f"v{i}": name for i, name in enumerate(names)}
    rows = (
        SampleResult.objects.filter(run=run)
        .order_by()
        .annotate(
            **{
                alias: KeyTextTransform("value", KeyTransform(name, "scores"))
                for alias, name in aliases.items()
            }
        )
        .values_list("sample_id", *aliases)
        .iterator(chunk_size=_CHUNK)
    )
    values: dict[str, list[float]] = {name: [] for name in names}
    clusters: dict[str, list[str]] = {name: [] for name in names}
    for sample_id, *raw in rows:
        for name, value in zip(names, raw, strict=True):
            if value is None or value.startswith(("{", "[")):
                continue  # no score, or a dict/list value: no single number (as in ingestion)
            number = score_as_float(value)
            if number is not None:
                values[name].append(number)
                clusters[name].append(sample_id)
    return {
        name: stats.score_summary(values[name], clusters=clusters[name])
        for name in names
        if values[name]
    }
