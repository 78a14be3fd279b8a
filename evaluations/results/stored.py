"""What ingestion stores on a run once its samples are final, `EvaluationRun.score_moments`: the
sufficient statistics of its scores (`results.scores.moments_for_storage`) and its results by
slice of sample metadata under "slices" (`results.slices.summary_for_storage`). Pages read them
from the run row instead of aggregating its samples again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from evaluations.models import EvaluationRun
from evaluations.results import scores, slices


def run_summary_for_storage(
    run: EvaluationRun, scorers: Iterable[str], *, metrics: Iterable[str] = ()
) -> dict[str, Any]:
    """The whole `score_moments` of a run whose samples are written (see the module)."""
    return {
        **scores.moments_for_storage(run, scorers, metrics=metrics),
        "slices": slices.summary_for_storage(run),
    }
