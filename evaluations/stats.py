"""Statistics for evaluation results: the one place where Concord computes uncertainty.

Pure Python (standard library only), no Django. Every function validates its input and raises
``ValueError`` with a readable message rather than dividing by zero; quantities that are *undefined*
for valid input (a standard error from one observation, kappa when chance agreement is already
perfect) are returned as ``None`` so that pages can print "n/a" instead of a fake number.

Conventions
-----------
- ``n`` counts observations (one per sample and epoch), ``clusters`` counts independent units (the
  distinct sample ids). Without clustering every observation is its own cluster.
- The standard error of a mean is always the classical ``s / sqrt(n)`` with the ``n - 1`` sample
  variance (the same figure Inspect's ``stderr`` metric reports), or its cluster-robust version
  when observations are clustered; the two agree exactly when every cluster has one observation.
- Confidence intervals are two-sided at ``confidence`` (0.95 by default).

Which interval by default, and why
----------------------------------
The default for a mean is the Student-t interval ``mean ± t_{1-α/2, G-1} · SE`` (``G`` clusters).
Miller (2024) uses the normal (CLT) interval ``mean ± 1.96 · SE``, which is right for the hundreds
or thousands of samples of most benchmarks; but agentic and expert-written tasks often have 10-50
samples, where the normal interval is too narrow (with 10 samples the t critical value is 2.26, not
1.96: the normal interval would cover ~92% instead of 95%). The t interval is never narrower, and
converges to the normal one (within 0.3% at 500 samples), so it is a safe default at every size.
``method="normal"`` gives the CLT interval. For accuracy-like scores (every value 0 or 1, one epoch)
:func:`score_summary` uses the Wilson score interval instead, which stays sensible near 0% and 100%
where ``mean ± t · SE`` collapses to a zero-width interval.

References
----------
- E. Miller (2024), "Adding Error Bars to Evals: A Statistical Approach to Language Model
  Evaluations", arXiv:2411.00640 (CLT and clustered standard errors, paired differences).
- A. C. Cameron and D. L. Miller (2015), "A Practitioner's Guide to Cluster-Robust Inference",
  Journal of Human Resources 50(2): 317-372 (CR1 small-sample factor G/(G-1), G-1 degrees of freedom).
- E. B. Wilson (1927), "Probable inference, the law of succession, and statistical inference",
  JASA 22: 209-212; R. G. Newcombe (1998), "Two-sided confidence intervals for the single
  proportion: comparison of seven methods", Statistics in Medicine 17: 857-872.
- J. Cohen (1960), "A coefficient of agreement for nominal scales", Educational and Psychological
  Measurement 20: 37-46; J. L. Fleiss, J. Cohen and B. S. Everitt (1969), "Large sample standard
  errors of kappa and weighted kappa", Psychological Bulletin 72: 323-327.
- J. L. Fleiss (1971), "Measuring nominal scale agreement among many raters", Psychological
  Bulletin 76: 378-382.
- W. H. Press et al., "Numerical Recipes", 3rd ed., §6.4 (incomplete beta by continued fraction).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, pairwise
from statistics import NormalDist
from typing import Any, Literal

Method = Literal["t", "normal"]
DEFAULT_CONFIDENCE = 0.95

_STANDARD_NORMAL = NormalDist()


# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------


def normal_quantile(p: float) -> float:
    """The standard normal quantile Φ⁻¹(p), for 0 < p < 1 (Φ⁻¹(0.975) = 1.959963984540054)."""
    _check_open_unit(p, "p")
    return _STANDARD_NORMAL.inv_cdf(p)


def normal_two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic: 2 · (1 - Φ(|z|))."""
    _check_finite(z, "z")
    return 2.0 * _STANDARD_NORMAL.cdf(-abs(z))


def _continued_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (Numerical Recipes §6.4, modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = tiny if abs(d) < tiny else d
    d = 1.0 / d
    h = d
    # Converges in O(sqrt(max(a, b))) steps; the cap is far above what df < 10^8 needs.
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def regularized_incomplete_beta(a: float, b: float, x: float, y: float | None = None) -> float:
    """I_x(a, b) = B(x; a, b) / B(a, b), for a, b > 0 and 0 <= x <= 1.

    ``y`` may pass ``1 - x`` computed without cancellation (e.g. ``t² / (df + t²)``).
    """
    if a <= 0 or b <= 0:
        raise ValueError(f"incomplete beta needs a > 0 and b > 0 (got a={a}, b={b}).")
    if y is None:
        y = 1.0 - x
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"incomplete beta needs 0 <= x <= 1 (got {x}).")
    if x == 0.0:
        return 0.0
    if y == 0.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _continued_fraction(a, b, x) / a
    return 1.0 - front * _continued_fraction(b, a, y) / b


def _t_upper_tail_both(t: float, df: float) -> float:
    """P(|T| > |t|) for Student's t with ``df`` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2)."""
    t2 = t * t
    if math.isinf(t2):
        return 0.0
    return regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2))


def t_cdf(t: float, df: float) -> float:
    """Student's t cumulative distribution function F_df(t), for df > 0."""
    _check_finite(t, "t")
    _check_df(df)
    tail = 0.5 * _t_upper_tail_both(t, df)
    return 1.0 - tail if t > 0 else tail


def t_two_sided_p(t: float, df: float) -> float:
    """Two-sided p-value of a t statistic: P(|T_df| >= |t|)."""
    _check_finite(t, "t")
    _check_df(df)
    return min(1.0, _t_upper_tail_both(t, df))


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """Student's t quantile F_df⁻¹(p), for 0 < p < 1 and df > 0.

    Bisection on the CDF (the CDF is monotone, so this cannot fail to converge), to full double
    precision of the CDF: about 60 evaluations, cached.
    """
    _check_open_unit(p, "p")
    _check_df(df)
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    # Find t > 0 with P(|T| > t) = 2(1 - p); the tail decreases with t.
    target = 2.0 * (1.0 - p)
    lo, hi = 0.0, max(1.0, normal_quantile(p))
    while _t_upper_tail_both(hi, df) > target:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if _t_upper_tail_both(mid, df) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def critical_value(
    confidence: float = DEFAULT_CONFIDENCE, *, method: Method = "t", df: float | None = None
) -> float:
    """The two-sided critical value: z_{1-α/2} for ``normal``, t_{1-α/2, df} for ``t``."""
    _check_confidence(confidence)
    p = 0.5 + confidence / 2.0
    if method == "normal":
        return normal_quantile(p)
    if method == "t":
        if df is None:
            raise ValueError("A t critical value needs the degrees of freedom (df).")
        return t_quantile(p, df)
    raise ValueError(f"Unknown interval method {method!r}: use 't' or 'normal'.")


# --------------------------------------------------------------------------------------------
# Means, proportions, clustered standard errors
# --------------------------------------------------------------------------------------------


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
    xs = _floats(values, "values")
    if not xs:
        raise ValueError("The mean of no values is undefined: values is empty.")
    return math.fsum(xs) / len(xs)


def standard_error(values: Sequence[float]) -> float:
    """SE = s / sqrt(n), with s² = Σ(x - x̄)² / (n - 1). Needs at least two values."""
    xs = _floats(values, "values")
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
    xs = _floats(values, "values")
    _same_length(xs, clusters, "values", "clusters")
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
    _check_confidence(confidence)
    xs = _floats(values, "values")
    if not xs:
        raise ValueError("Cannot estimate the mean of no values: values is empty.")
    m = mean(xs)
    if clusters is None:
        g = len(xs)
        se = standard_error(xs) if g >= 2 else None
    else:
        _same_length(xs, clusters, "values", "clusters")
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
    _check_confidence(confidence)
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
    Otherwise: t interval with the (clustered, when ``clusters`` repeat) standard error.
    """
    xs = _floats(values, "values")
    if not xs:
        raise ValueError("Cannot summarise no scores: values is empty.")
    single = clusters is None or len(set(clusters)) == len(xs)
    if clusters is not None:
        _same_length(xs, clusters, "values", "clusters")
    if single and is_binary(xs):
        return proportion_estimate(int(sum(xs)), len(xs), confidence=confidence)
    return mean_estimate(xs, clusters=None if single else clusters, confidence=confidence)


@dataclass(frozen=True, slots=True)
class ClusterMoments:
    """Sufficient statistics for :func:`score_summary`, computable by SQL without loading rows.

    With observations x_i in clusters c and x̄ = Σx_i / n: ``n`` observations, ``clusters`` G,
    ``total`` Σx_i, ``residual_sq`` = Σ_c (Σ_{i∈c} (x_i - x̄))² (the centred cluster totals,
    squared: centring first avoids the cancellation of the one-pass Σ S_c² - ... formula),
    ``binary`` = every x in {0, 1}.
    """

    n: int
    clusters: int
    total: float
    residual_sq: float
    binary: bool

    @classmethod
    def from_values(
        cls, values: Sequence[float], clusters: Sequence[Hashable] | None = None
    ) -> ClusterMoments:
        xs = _floats(values, "values")
        if not xs:
            raise ValueError("Cannot summarise no scores: values is empty.")
        keys: Sequence[Hashable] = list(range(len(xs))) if clusters is None else clusters
        _same_length(xs, keys, "values", "clusters")
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
    return _estimate(mo.total / mo.n, se, n=mo.n, clusters=g, confidence=confidence, method="t")


# --------------------------------------------------------------------------------------------
# Paired comparisons
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairedDifference:
    """Mean of a - b over paired observations, with a paired (clustered) standard error.

    ``statistic`` is difference / stderr (t or z); ``p_value`` two-sided against "no difference";
    ``significant`` is p < 1 - confidence, which is the same as the CI excluding 0. All of
    ``stderr``, ``ci_*``, ``df``, ``statistic``, ``p_value`` are ``None`` below two clusters.
    """

    mean_a: float
    mean_b: float
    difference: float
    stderr: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    clusters: int
    df: float | None
    statistic: float | None
    p_value: float | None
    significant: bool
    method: str
    confidence: float = DEFAULT_CONFIDENCE

    @property
    def ci(self) -> tuple[float, float] | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_low, self.ci_high)


def paired_difference(
    a: Sequence[float],
    b: Sequence[float],
    *,
    clusters: Sequence[Hashable] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    method: Method = "t",
) -> PairedDifference:
    """Paired comparison of two runs on the same samples (Miller 2024, "paired differences").

    With d_i = a_i - b_i for each pair (same sample, same epoch), the difference is d̄ and its
    standard error is that of the mean of d, i.e. sqrt((Var a + Var b - 2 Cov(a, b)) / n): the
    correlation between runs on the same questions is removed from the error, which is why a
    paired comparison is much tighter than comparing two independent intervals. With several
    epochs, pass the sample ids as ``clusters``: SE is then :func:`clustered_standard_error` of d.

    Test: T = d̄ / SE, two-sided p from t with G - 1 df (or normal). When SE = 0 (every pair
    differs by the same amount) p is 1 if d̄ = 0 and 0 otherwise.
    """
    xa = _floats(a, "a")
    xb = _floats(b, "b")
    _same_length(xa, xb, "a", "b")
    if not xa:
        raise ValueError("Cannot compare runs with no paired observations: a and b are empty.")
    diffs = [x - y for x, y in zip(xa, xb, strict=True)]
    est = mean_estimate(diffs, clusters=clusters, confidence=confidence, method=method)
    statistic: float | None = None
    p: float | None = None
    if est.stderr is not None and est.df is not None:
        if est.stderr == 0.0:
            # Every pair differs by the same amount: no noise at all. (No infinite statistic:
            # it would not survive JSON.)
            p = 1.0 if est.mean == 0.0 else 0.0
            statistic = 0.0 if est.mean == 0.0 else None
        else:
            statistic = est.mean / est.stderr
            p = t_two_sided_p(statistic, est.df) if method == "t" else normal_two_sided_p(statistic)
    return PairedDifference(
        mean_a=mean(xa),
        mean_b=mean(xb),
        difference=est.mean,
        stderr=est.stderr,
        ci_low=est.ci_low,
        ci_high=est.ci_high,
        n=est.n,
        clusters=est.clusters,
        df=est.df,
        statistic=statistic,
        p_value=p,
        significant=p is not None and p < 1.0 - confidence,
        method=method,
        confidence=confidence,
    )


# --------------------------------------------------------------------------------------------
# Agreement: two raters (Cohen), many raters (Fleiss), reviewers vs the automatic scorer
# --------------------------------------------------------------------------------------------


def agreement_rate(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Share of positions where a and b hold the same value (observed agreement p_o)."""
    _same_length(a, b, "a", "b")
    if not a:
        raise ValueError("Agreement of no pairs is undefined: a and b are empty.")
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


@dataclass(frozen=True, slots=True)
class KappaEstimate:
    """Cohen's kappa with observed and chance agreement and a large-sample standard error.

    ``kappa`` is ``None`` when undefined: chance agreement p_e = 1, i.e. both raters used one and
    the same category for everything (agreement is then perfect but carries no information).
    """

    kappa: float | None
    observed: float
    expected: float
    stderr: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    categories: int
    confidence: float = DEFAULT_CONFIDENCE


def cohen_kappa(
    a: Sequence[Hashable], b: Sequence[Hashable], *, confidence: float = DEFAULT_CONFIDENCE
) -> KappaEstimate:
    """Cohen's (1960) kappa between two raters' labels (any hashable categories, e.g. 0/1 scores).

    κ = (p_o - p_e) / (1 - p_e), p_o = share of agreeing items, p_e = Σ_k p_{k·} p_{·k} (products of
    the two raters' marginal shares). See :func:`cohen_kappa_from_table` for the standard error.
    """
    _same_length(a, b, "a", "b")
    if not a:
        raise ValueError("Cohen's kappa of no items is undefined: a and b are empty.")
    categories = sorted(set(a) | set(b), key=repr)
    index = {c: i for i, c in enumerate(categories)}
    table = [[0] * len(categories) for _ in categories]
    for x, y in zip(a, b, strict=True):
        table[index[x]][index[y]] += 1
    return cohen_kappa_from_table(table, confidence=confidence)


def cohen_kappa_from_table(
    table: Sequence[Sequence[float]], *, confidence: float = DEFAULT_CONFIDENCE
) -> KappaEstimate:
    """Cohen's kappa from a k x k contingency table (rows: rater A, columns: rater B).

    Standard error: the large-sample (non-null) variance of Fleiss, Cohen & Everitt (1969), with
    p_ij = n_ij / n, row shares p_i·, column shares p_·j:

        Var κ = [ Σ_i p_ii (1 - (p_i· + p_·i)(1 - κ))²
                  + (1 - κ)² Σ_{i≠j} p_ij (p_·i + p_j·)²
                  - (κ - p_e (1 - κ))² ] / ( n (1 - p_e)² )

    and a normal interval κ ± z·SE clipped to [-1, 1]. ``None`` when kappa is undefined.
    """
    _check_confidence(confidence)
    k = len(table)
    if k == 0 or any(len(row) != k for row in table):
        raise ValueError("A kappa table must be square with at least one category.")
    cells = [[float(v) for v in row] for row in table]
    if any(v < 0 or not math.isfinite(v) for row in cells for v in row):
        raise ValueError("A kappa table holds counts: finite and non-negative.")
    n = math.fsum(v for row in cells for v in row)
    if n <= 0:
        raise ValueError("Cohen's kappa of no items is undefined: the table is empty.")
    p = [[v / n for v in row] for row in cells]
    rows = [math.fsum(row) for row in p]
    cols = [math.fsum(p[i][j] for i in range(k)) for j in range(k)]
    observed = math.fsum(p[i][i] for i in range(k))
    expected = math.fsum(rows[i] * cols[i] for i in range(k))
    used = sum(1 for i in range(k) if rows[i] > 0 or cols[i] > 0)
    if 1.0 - expected <= 1e-15:
        return KappaEstimate(None, observed, expected, None, None, None, round(n), used, confidence)
    kappa = (observed - expected) / (1.0 - expected)
    term_a = math.fsum(p[i][i] * (1.0 - (rows[i] + cols[i]) * (1.0 - kappa)) ** 2 for i in range(k))
    term_b = (1.0 - kappa) ** 2 * math.fsum(
        p[i][j] * (cols[i] + rows[j]) ** 2 for i in range(k) for j in range(k) if i != j
    )
    term_c = (kappa - expected * (1.0 - kappa)) ** 2
    variance = max(0.0, (term_a + term_b - term_c) / (n * (1.0 - expected) ** 2))
    se = math.sqrt(variance)
    z = normal_quantile(0.5 + confidence / 2.0)
    return KappaEstimate(
        kappa,
        observed,
        expected,
        se,
        max(-1.0, kappa - z * se),
        min(1.0, kappa + z * se),
        round(n),
        used,
        confidence,
    )


@dataclass(frozen=True, slots=True)
class FleissKappa:
    kappa: float | None
    observed: float
    expected: float
    subjects: int
    ratings: int
    categories: int


def fleiss_kappa(counts: Sequence[Sequence[int]]) -> FleissKappa:
    """Fleiss' (1971) kappa from a subjects x categories table of counts n_ij.

    Subject i has n_i = Σ_j n_ij >= 2 ratings. With N subjects:

        P_i = Σ_j n_ij (n_ij - 1) / (n_i (n_i - 1))     (agreeing pairs among the subject's pairs)
        P̄   = Σ_i P_i / N
        p_j = Σ_i n_ij / Σ_i n_i,   P̄_e = Σ_j p_j²
        κ   = (P̄ - P̄_e) / (1 - P̄_e)

    With the same n for every subject this is exactly Fleiss (1971). Reviews seldom come in
    equal numbers, so a subject may have its own n_i: each subject's agreement uses its own pairs
    and the category shares pool every rating (the usual generalisation; with unequal n_i it is
    an approximation and should be read as such). Raters are interchangeable: it does not matter
    who gave which rating. ``kappa`` is ``None`` when P̄_e = 1 (a single category used).
    """
    if not counts:
        raise ValueError("Fleiss' kappa of no subjects is undefined: the table is empty.")
    width = len(counts[0])
    if width == 0 or any(len(row) != width for row in counts):
        raise ValueError("Every subject needs a count for each category (a rectangular table).")
    agreements: list[float] = []
    column_totals = [0] * width
    total = 0
    for i, row in enumerate(counts):
        if any(isinstance(v, bool) or int(v) != v or v < 0 for v in row):
            raise ValueError(f"Subject {i}: counts must be non-negative whole numbers.")
        n_i = int(sum(row))
        if n_i < 2:
            raise ValueError(f"Subject {i} has {n_i} rating(s): each subject needs at least 2.")
        agreements.append(sum(v * (v - 1) for v in row) / (n_i * (n_i - 1)))
        for j, v in enumerate(row):
            column_totals[j] += int(v)
        total += n_i
    observed = math.fsum(agreements) / len(agreements)
    expected = math.fsum((c / total) ** 2 for c in column_totals)
    used = sum(1 for c in column_totals if c > 0)
    kappa = None if 1.0 - expected <= 1e-15 else (observed - expected) / (1.0 - expected)
    return FleissKappa(kappa, observed, expected, len(counts), total, used)


@dataclass(frozen=True, slots=True)
class RaterAgreement:
    """Agreement between people labelling the same items.

    ``method`` is ``cohen`` (exactly two raters: Cohen's kappa on the items both labelled) or
    ``fleiss`` (three or more: Fleiss' kappa on items with two or more labels), ``none`` when no
    item has two labels. ``observed`` is the share of agreeing pairs of labels on the same item.
    """

    method: str
    kappa: float | None
    observed: float | None
    subjects: int
    raters: int
    ratings: int
    stderr: float | None = None


def rater_agreement(ratings: Mapping[Any, Mapping[Any, Hashable]]) -> RaterAgreement:
    """Agreement between raters from ``{item: {rater: label}}``.

    Items with fewer than two labels carry no information about agreement and are skipped. If
    exactly two raters remain, Cohen's kappa (it respects each rater's own label distribution,
    and gives a standard error); with more, Fleiss' kappa (raters interchangeable).
    """
    multi = {item: labels for item, labels in ratings.items() if len(labels) >= 2}
    raters = {rater for labels in multi.values() for rater in labels}
    if not multi:
        return RaterAgreement("none", None, None, 0, len(raters), 0)
    pairs = agreeing = 0
    for labels in multi.values():
        for x, y in combinations(labels.values(), 2):
            pairs += 1
            agreeing += x == y
    observed = agreeing / pairs
    n_ratings = sum(len(labels) for labels in multi.values())
    if len(raters) == 2:
        first, second = sorted(raters, key=repr)
        items = list(multi.values())
        est = cohen_kappa([lab[first] for lab in items], [lab[second] for lab in items])
        return RaterAgreement(
            "cohen", est.kappa, observed, len(multi), 2, n_ratings, stderr=est.stderr
        )
    categories = sorted({lab for labels in multi.values() for lab in labels.values()}, key=repr)
    column = {c: j for j, c in enumerate(categories)}
    table = []
    for labels in multi.values():
        row = [0] * len(categories)
        for lab in labels.values():
            row[column[lab]] += 1
        table.append(row)
    fk = fleiss_kappa(table)
    return RaterAgreement("fleiss", fk.kappa, observed, len(multi), len(raters), n_ratings)


@dataclass(frozen=True, slots=True)
class ScoreAgreement:
    """How reviewers' manual scores compare with the automatic scorer on the same samples.

    ``difference`` is manual - automatic (paired, clustered by sample); ``mean_abs_difference`` the
    average gap; for 0/1 scores on both sides also ``agreement_rate`` and Cohen's ``kappa``.
    """

    n: int
    mean_abs_difference: float
    difference: PairedDifference
    binary: bool
    agreement_rate: float | None
    kappa: KappaEstimate | None


def score_agreement(
    manual: Sequence[float],
    automatic: Sequence[float],
    *,
    clusters: Sequence[Hashable] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> ScoreAgreement:
    """Compare manual scores with automatic ones, pair by pair (one pair per review)."""
    xm = _floats(manual, "manual")
    xa = _floats(automatic, "automatic")
    _same_length(xm, xa, "manual", "automatic")
    if not xm:
        raise ValueError("No reviewed samples carry both a manual and an automatic score.")
    diff = paired_difference(xm, xa, clusters=clusters, confidence=confidence)
    binary = is_binary(xm) and is_binary(xa)
    return ScoreAgreement(
        n=len(xm),
        mean_abs_difference=math.fsum(abs(x - y) for x, y in zip(xm, xa, strict=True)) / len(xm),
        difference=diff,
        binary=binary,
        agreement_rate=agreement_rate(xm, xa) if binary else None,
        kappa=cohen_kappa(xm, xa, confidence=confidence) if binary else None,
    )


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _floats(values: Iterable[float], name: str) -> list[float]:
    out: list[float] = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{name}[{i}] is {v!r}: expected a number.")
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(f"{name}[{i}] is {v!r}: expected a finite number.")
        out.append(f)
    return out


def _same_length(a: Sequence[object], b: Sequence[object], name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same length (got {len(a)} and {len(b)})."
        )


def _check_finite(x: float, name: str) -> None:
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number (got {x!r}).")


def _check_open_unit(p: float, name: str) -> None:
    if not 0.0 < p < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1 (got {p!r}).")


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1 (got {confidence!r}).")


def _check_df(df: float) -> None:
    if not (df > 0 and math.isfinite(df)):
        raise ValueError(f"Degrees of freedom must be a positive number (got {df!r}).")
