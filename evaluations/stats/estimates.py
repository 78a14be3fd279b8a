"""Means, proportions and clustered standard errors: what a run's score is reported with.

See the package docstring for which interval is used by default and why.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from evaluations.stats._validation import as_floats, check_confidence, check_same_length
from evaluations.stats.distributions import (
    DEFAULT_CONFIDENCE,
    Method,
    critical_value,
    normal_quantile,
)


@dataclass(frozen=True, slots=True)
class MeanEstimate:
    """A mean with its uncertainty: what a results-matrix cell shows.

    ``stderr``, ``ci_low``/``ci_high`` and ``df`` are ``None`` when they are undefined (fewer than
    two clusters). ``method`` says how the interval was built: ``t``, ``normal`` or ``wilson``.
    """

    mean: float
    stderr: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    clusters: int
    df: float | None
    method: str
    confidence: float = DEFAULT_CONFIDENCE

    @property
    def ci(self) -> tuple[float, float] | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_low, self.ci_high)

    @property
    def half_width(self) -> float | None:
        """Half the interval's width (for ``±`` display); asymmetric for Wilson."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2.0


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean (``math.fsum`` for accuracy). Raises ValueError when empty."""
    xs = as_floats(values, "values")
    if not xs:
        raise ValueError("The mean of no values is undefined: values is empty.")
    return math.fsum(xs) / len(xs)


def standard_error(values: Sequence[float]) -> float:
    """SE = s / sqrt(n), with s² = Σ(x - x̄)² / (n - 1). Needs at least two values."""
    xs = as_floats(values, "values")
    if len(xs) < 2:
        raise ValueError(f"A standard error needs at least 2 values (got {len(xs)}).")
    m = math.fsum(xs) / len(xs)
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1) / len(xs))


def clustered_standard_error(values: Sequence[float], clusters: Sequence[Hashable]) -> float:
    """Cluster-robust standard error of a mean (CR1), clustering e.g. the epochs of one sample.

    With n observations x_i in G clusters c and x̄ = Σx_i / n:

        SE² = G / (G - 1) · Σ_c ( Σ_{i∈c} (x_i - x̄) )² / n²

    This is Miller (2024, §"clustered standard errors") with Cameron & Miller's (2015) CR1 factor
    G/(G-1) (also what Stata's ``mean x, vce(cluster c)`` reports). Two checks that follow:
    with one observation per cluster it equals ``standard_error`` exactly; with the same number of
    epochs per sample it equals the standard error of the per-sample means. Needs G >= 2.
    """
    xs = as_floats(values, "values")
    check_same_length(xs, clusters, "values", "clusters")
    sums: dict[Hashable, list[float]] = defaultdict(list)
    m = mean(xs)
    for x, c in zip(xs, clusters, strict=True):
        sums[c].append(x - m)
    g = len(sums)
    if g < 2:
        raise ValueError(f"A clustered standard error needs at least 2 clusters (got {g}).")
    total = math.fsum(math.fsum(residuals) ** 2 for residuals in sums.values())
    return math.sqrt(g / (g - 1) * total) / len(xs)


def mean_estimate(
    values: Sequence[float],
    *,
    clusters: Sequence[Hashable] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    method: Method = "t",
) -> MeanEstimate:
    """Mean, (clustered) standard error and confidence interval.

    CI = x̄ ± q · SE, with q = t_{1-α/2, G-1} (default, see the module docstring) or z_{1-α/2}.
    Degrees of freedom are G - 1 (clusters minus one; n - 1 without clustering).
    """
    check_confidence(confidence)
    xs = as_floats(values, "values")
    if not xs:
        raise ValueError("Cannot estimate the mean of no values: values is empty.")
    m = mean(xs)
    if clusters is None:
        g = len(xs)
        se = standard_error(xs) if g >= 2 else None
    else:
        check_same_length(xs, clusters, "values", "clusters")
        g = len(set(clusters))
        se = clustered_standard_error(xs, clusters) if g >= 2 else None
    return _estimate(m, se, n=len(xs), clusters=g, confidence=confidence, method=method)


def _estimate(
    m: float, se: float | None, *, n: int, clusters: int, confidence: float, method: Method
) -> MeanEstimate:
    if se is None:
        return MeanEstimate(m, None, None, None, n, clusters, None, method, confidence)
    df = float(clusters - 1)
    q = critical_value(confidence, method=method, df=df)
    return MeanEstimate(m, se, m - q * se, m + q * se, n, clusters, df, method, confidence)


def wilson_interval(
    successes: int, n: int, *, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """Wilson (1927) score interval for a binomial proportion p̂ = k / n.

    With z = z_{1-α/2}:

        centre = (p̂ + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · sqrt( p̂(1-p̂)/n + z²/4n² )

    The bounds are the two roots p of (p̂ - p)² = z² p (1 - p) / n. They stay within [0, 1] and do
    not collapse at k = 0 or k = n (upper bound at k = 0 is z² / (n + z²)). Newcombe (1998) shows
    it keeps close to nominal coverage where the Wald interval fails.
    """
    check_confidence(confidence)
    if isinstance(successes, bool) or isinstance(n, bool):
        raise ValueError("successes and n must be integers, not booleans.")
    if int(successes) != successes or int(n) != n:
        raise ValueError(f"successes and n must be whole numbers (got {successes}, {n}).")
    if n <= 0:
        raise ValueError(f"A proportion needs at least one trial (got n={n}).")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n} (got {successes}).")
    z = normal_quantile(0.5 + confidence / 2.0)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    low, high = centre - half, centre + half
    # Exact at the edges (rounding could otherwise give -1e-17 or a bound above p̂ = 1).
    low = 0.0 if successes == 0 else max(0.0, low)
    high = 1.0 if successes == n else min(1.0, high)
    return (low, high)


def proportion_estimate(
    successes: int, n: int, *, confidence: float = DEFAULT_CONFIDENCE
) -> MeanEstimate:
    """A proportion with the Wilson interval; ``stderr`` is s/sqrt(n) = sqrt(p̂(1-p̂)/(n-1)), the
    same figure ``standard_error`` gives on the 0/1 values (and Inspect's stderr metric)."""
    low, high = wilson_interval(successes, n, confidence=confidence)
    p = successes / n
    se = math.sqrt(p * (1.0 - p) / (n - 1)) if n >= 2 else None
    df = float(n - 1) if n >= 2 else None
    return MeanEstimate(p, se, low, high, n, n, df, "wilson", confidence)


def is_binary(values: Iterable[float]) -> bool:
    """True when every value is 0 or 1 (accuracy-like scores). False for an empty input."""
    seen = False
    for v in values:
        seen = True
        if v not in (0, 1):
            return False
    return seen


def score_summary(
    values: Sequence[float],
    *,
    clusters: Sequence[Hashable] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> MeanEstimate:
    """What a results-matrix cell needs for a run's per-sample scores.

    Binary scores with one observation per sample: Wilson interval (:func:`proportion_estimate`).
    Other scores bounded in [0, 1] (several epochs, or fractional values): Wilson interval at the
    effective sample size of the (clustered) standard error (:func:`effective_wilson_interval`).
    Unbounded scores: t interval with the (clustered, when ``clusters`` repeat) standard error.
    """
    return score_summary_from_moments(
        ClusterMoments.from_values(values, clusters), confidence=confidence
    )


@dataclass(frozen=True, slots=True)
class ClusterMoments:
    """Sufficient statistics for :func:`score_summary`, computable by SQL without loading rows.

    With observations x_i in clusters c and x̄ = Σx_i / n: ``n`` observations, ``clusters`` G,
    ``total`` Σx_i, ``residual_sq`` = Σ_c (Σ_{i∈c} (x_i - x̄))² (the centred cluster totals,
    squared: centring first avoids the cancellation of the one-pass Σ S_c² - ... formula),
    ``binary`` = every x in {0, 1}, ``low``/``high`` the smallest and largest x (None in moments
    stored before they were recorded: such moments cannot say whether the values are bounded).
    """

    n: int
    clusters: int
    total: float
    residual_sq: float
    binary: bool
    low: float | None = None
    high: float | None = None

    @property
    def bounded(self) -> bool | None:
        """Every value in [0, 1] (a proportion or a fractional score): True or False, None when
        unknown (older moments without ``low``/``high`` and not all 0/1)."""
        if self.binary:
            return True
        if self.low is None or self.high is None:
            return None
        return self.low >= 0.0 and self.high <= 1.0

    @classmethod
    def from_values(
        cls, values: Sequence[float], clusters: Sequence[Hashable] | None = None
    ) -> ClusterMoments:
        xs = as_floats(values, "values")
        if not xs:
            raise ValueError("Cannot summarise no scores: values is empty.")
        keys: Sequence[Hashable] = list(range(len(xs))) if clusters is None else clusters
        check_same_length(xs, keys, "values", "clusters")
        m = math.fsum(xs) / len(xs)
        residuals: dict[Hashable, list[float]] = defaultdict(list)
        for x, c in zip(xs, keys, strict=True):
            residuals[c].append(x - m)
        return cls(
            n=len(xs),
            clusters=len(residuals),
            total=math.fsum(xs),
            residual_sq=math.fsum(math.fsum(r) ** 2 for r in residuals.values()),
            binary=is_binary(xs),
            low=min(xs),
            high=max(xs),
        )

    @classmethod
    def from_aggregate(
        cls, *, clusters, n, total, residual_sq, non_binary, low, high
    ) -> ClusterMoments:
        """The moments a database aggregated (counts and NUMERIC sums, as SQL returns them):
        ``non_binary`` counts the values other than 0 and 1; a residual sum below 0 is rounding."""
        return cls(
            n=int(n),
            clusters=int(clusters),
            total=float(total),
            residual_sq=max(0.0, float(residual_sq)),
            binary=int(non_binary) == 0,
            low=float(low),
            high=float(high),
        )

    @classmethod
    def from_clustered(cls, values: Sequence[float], ends: Sequence[int]) -> ClusterMoments:
        """:meth:`from_values` for values already grouped by cluster: cluster k is
        ``values[ends[k-1]:ends[k]]``. The same figures, without a key or a list per value."""
        xs = values
        if not xs:
            raise ValueError("Cannot summarise no scores: values is empty.")
        bounds = [0, *ends]
        if bounds[-1] != len(xs) or any(b <= a for a, b in pairwise(bounds)):
            raise ValueError("ends must rise strictly and end at len(values).")
        m = math.fsum(xs) / len(xs)

        def centred_squares():
            for a, b in pairwise(bounds):
                yield math.fsum(x - m for x in xs[a:b]) ** 2

        return cls(
            n=len(xs),
            clusters=len(ends),
            total=math.fsum(xs),
            residual_sq=math.fsum(centred_squares()),
            binary=is_binary(xs),
            low=min(xs),
            high=max(xs),
        )


def score_summary_from_moments(
    moments: ClusterMoments, *, confidence: float = DEFAULT_CONFIDENCE
) -> MeanEstimate:
    """:func:`score_summary` from :class:`ClusterMoments` (same rules, same figures)."""
    mo = moments
    if mo.n <= 0:
        raise ValueError("Cannot summarise no scores: n is 0.")
    if not 0 < mo.clusters <= mo.n:
        raise ValueError(f"clusters must be between 1 and n={mo.n} (got {mo.clusters}).")
    if mo.residual_sq < 0 or not math.isfinite(mo.residual_sq):
        raise ValueError(f"residual_sq must be finite and >= 0 (got {mo.residual_sq!r}).")
    if mo.clusters == mo.n and mo.binary:
        return proportion_estimate(round(mo.total), mo.n, confidence=confidence)
    g = mo.clusters
    se = math.sqrt(mo.residual_sq * g / (g - 1)) / mo.n if g >= 2 else None
    m = mo.total / mo.n
    if mo.bounded and se is not None:
        # Rounding can put the mean of values in [0, 1] a hair outside it.
        m = min(1.0, max(0.0, m))
        low, high = effective_wilson_interval(
            m, se, clusters=g, max_n=mo.n if mo.binary else None, confidence=confidence
        )
        return MeanEstimate(m, se, low, high, mo.n, g, float(g - 1), EFFECTIVE_WILSON, confidence)
    return _estimate(m, se, n=mo.n, clusters=g, confidence=confidence, method="t")


EFFECTIVE_WILSON = "wilson (effective n)"


def effective_wilson_interval(
    p: float,
    stderr: float,
    *,
    clusters: int,
    max_n: float | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[float, float]:
    """Wilson interval for a mean ``p`` of values in [0, 1] whose standard error ``stderr`` is not
    the binomial one (epochs clustered by sample, or fractional scores).

    The effective sample size is the number of independent 0/1 draws that would give the same
    standard error: n_eff = p(1-p) / SE² (Kish's n / deff, with deff = clustered variance / iid
    binomial variance; Korn & Graubard 1998 use it the same way for survey proportions). The
    interval is ``wilson_interval`` at n_eff with p̂ = p, so it keeps Wilson's properties: inside
    [0, 1], asymmetric near the edges, close to nominal coverage. For 0/1 values ``max_n`` (the
    number of observations) caps n_eff: epochs never count for more than independent draws.
    When every value is equal (p = 0 or 1, SE = 0), the data say nothing about the correlation
    between epochs: n_eff = ``clusters`` (one draw per sample, the cautious choice). A fractional
    score whose values are all equal (0 < p < 1, SE = 0) gets the degenerate interval (p, p), as
    the t interval would.
    """
    check_confidence(confidence)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a mean of values in [0, 1] (got {p}).")
    if stderr < 0 or not math.isfinite(stderr):
        raise ValueError(f"stderr must be finite and >= 0 (got {stderr!r}).")
    if clusters < 1:
        raise ValueError(f"clusters must be at least 1 (got {clusters}).")
    variance = p * (1.0 - p)
    if variance == 0.0:
        n_eff = float(clusters)
    elif stderr == 0.0:
        n_eff = math.inf
    else:
        n_eff = variance / (stderr * stderr)
    if max_n is not None:
        n_eff = min(n_eff, float(max_n))
    if math.isinf(n_eff):
        return (p, p)
    z = normal_quantile(0.5 + confidence / 2.0)
    z2 = z * z
    denominator = 1.0 + z2 / n_eff
    centre = (p + z2 / (2.0 * n_eff)) / denominator
    half = z / denominator * math.sqrt(variance / n_eff + z2 / (4.0 * n_eff * n_eff))
    low = 0.0 if p == 0.0 else min(p, max(0.0, centre - half))
    high = 1.0 if p == 1.0 else max(p, min(1.0, centre + half))
    return (low, high)
