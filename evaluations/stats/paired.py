"""Paired comparisons of two runs on the same samples (clustered by sample)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from evaluations.stats._validation import as_floats, check_same_length
from evaluations.stats.distributions import (
    DEFAULT_CONFIDENCE,
    Method,
    normal_two_sided_p,
    t_two_sided_p,
)
from evaluations.stats.estimates import mean, mean_estimate


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
    xa = as_floats(a, "a")
    xb = as_floats(b, "b")
    check_same_length(xa, xb, "a", "b")
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
