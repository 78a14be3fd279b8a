"""A binary judge against a reference (an LLM judge against the human majority): balanced
accuracy with its interval, and an interval for Fleiss' kappa.

Balanced accuracy is the average of the true-positive rate (TPR: the judge passes among the items
the reference passes) and the true-negative rate (TNR: the judge fails among the items the
reference fails): (TPR + TNR) / 2. It is not misled by a reference that passes almost everything,
as plain accuracy is. Its interval is the MOVER interval (Zou & Donner 2008, "Construction of
confidence limits about effect measures: a general approach", Statistics in Medicine 27:
1693-1702) for the average of two independent proportions, each with its Wilson interval
(l_1, u_1) and (l_0, u_0):

    low  = BA - sqrt((TPR - l_1)² + (TNR - l_0)²) / 2
    high = BA + sqrt((u_1 - TPR)² + (u_0 - TNR)²) / 2

It stays within [0, 1] (low >= (l_1 + l_0) / 2 >= 0) and, unlike the normal approximation, does
not collapse to a point when both rates are 0 or 1.

Fleiss' kappa has no closed-form interval for subjects with unequal numbers of ratings (the
large-sample variance of Fleiss, Nee & Landis (1979) assumes equal numbers and holds under
kappa = 0 only), so its interval here is a percentile bootstrap over subjects with a fixed seed:
the same table always gives the same interval.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from evaluations.stats._validation import check_confidence
from evaluations.stats.distributions import DEFAULT_CONFIDENCE
from evaluations.stats.estimates import wilson_interval

BOOTSTRAP_REPLICATES = 1000
BOOTSTRAP_SEED = 0


@dataclass(frozen=True, slots=True)
class BalancedAccuracy:
    """TPR, TNR and their average, each with its interval; ``None`` where a rate has no items
    (no reference pass, or no reference fail)."""

    tpr: float | None
    tpr_ci: tuple[float, float] | None
    tnr: float | None
    tnr_ci: tuple[float, float] | None
    value: float | None
    ci: tuple[float, float] | None
    positives: int
    negatives: int
    confidence: float = DEFAULT_CONFIDENCE


def balanced_accuracy(
    tp: int, fn: int, fp: int, tn: int, *, confidence: float = DEFAULT_CONFIDENCE
) -> BalancedAccuracy:
    """From a 2x2 table: ``tp`` judge pass & reference pass, ``fn`` judge fail & reference pass,
    ``fp`` judge pass & reference fail, ``tn`` judge fail & reference fail."""
    check_confidence(confidence)
    for name, v in (("tp", tp), ("fn", fn), ("fp", fp), ("tn", tn)):
        if isinstance(v, bool) or int(v) != v or v < 0:
            raise ValueError(f"{name} must be a non-negative whole number (got {v}).")
    positives, negatives = int(tp + fn), int(fp + tn)
    tpr = tp / positives if positives else None
    tnr = tn / negatives if negatives else None
    tpr_ci = wilson_interval(int(tp), positives, confidence=confidence) if positives else None
    tnr_ci = wilson_interval(int(tn), negatives, confidence=confidence) if negatives else None
    if tpr is None or tnr is None or tpr_ci is None or tnr_ci is None:
        return BalancedAccuracy(
            tpr, tpr_ci, tnr, tnr_ci, None, None, positives, negatives, confidence
        )
    value = (tpr + tnr) / 2.0
    low = value - math.hypot(tpr - tpr_ci[0], tnr - tnr_ci[0]) / 2.0
    high = value + math.hypot(tpr_ci[1] - tpr, tnr_ci[1] - tnr) / 2.0
    return BalancedAccuracy(
        tpr,
        tpr_ci,
        tnr,
        tnr_ci,
        value,
        (max(0.0, low), min(1.0, high)),
        positives,
        negatives,
        confidence,
    )


def _fleiss_from_parts(agreements: Sequence[float], columns: Sequence[int], total: int):
    observed = math.fsum(agreements) / len(agreements)
    expected = math.fsum((c / total) ** 2 for c in columns)
    if 1.0 - expected <= 1e-15:
        return None
    return (observed - expected) / (1.0 - expected)


def fleiss_kappa_interval(
    counts: Sequence[Sequence[int]],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of Fleiss' kappa (`agreement.fleiss_kappa`, same table):
    ``replicates`` resamples of the subjects with replacement (``random.Random(seed)``), kappa of
    each (resamples where it is undefined are skipped), and the α/2 and 1-α/2 quantiles of those
    kappas (linear interpolation between order statistics). ``None`` when no resample has a
    kappa. Each subject needs at least two ratings, as for the estimate."""
    check_confidence(confidence)
    if replicates < 1:
        raise ValueError("The bootstrap needs at least one replicate.")
    if not counts:
        raise ValueError("Fleiss' kappa of no subjects is undefined: the table is empty.")
    width = len(counts[0])
    if width == 0 or any(len(row) != width for row in counts):
        raise ValueError("Every subject needs a count for each category (a rectangular table).")
    rows: list[tuple[float, list[int], int]] = []
    for i, row in enumerate(counts):
        if any(isinstance(v, bool) or int(v) != v or v < 0 for v in row):
            raise ValueError(f"Subject {i}: counts must be non-negative whole numbers.")
        n_i = int(sum(row))
        if n_i < 2:
            raise ValueError(f"Subject {i} has {n_i} rating(s): each subject needs at least 2.")
        rows.append((sum(v * (v - 1) for v in row) / (n_i * (n_i - 1)), [int(v) for v in row], n_i))
    rng = random.Random(seed)  # noqa: S311 - a reproducible resample, not a secret
    size = len(rows)
    kappas: list[float] = []
    for _ in range(replicates):
        picked = [rows[rng.randrange(size)] for _ in range(size)]
        columns = [sum(r[1][j] for r in picked) for j in range(width)]
        k = _fleiss_from_parts([r[0] for r in picked], columns, sum(r[2] for r in picked))
        if k is not None:
            kappas.append(k)
    if not kappas:
        return None
    kappas.sort()
    alpha = 1.0 - confidence
    return _quantile(kappas, alpha / 2.0), _quantile(kappas, 1.0 - alpha / 2.0)


def _quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values, interpolating linearly between order statistics."""
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
