"""Distributions: normal and Student-t quantiles, CDFs and p-values, critical values.

Student's t is computed from the regularized incomplete beta function (Numerical Recipes §6.4), so
no third-party package is needed; scipy checks it in the tests.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

from evaluations.stats._validation import (
    check_confidence,
    check_df,
    check_finite,
    check_open_unit,
)

Method = Literal["t", "normal"]
DEFAULT_CONFIDENCE = 0.95

_STANDARD_NORMAL = NormalDist()


def normal_quantile(p: float) -> float:
    """The standard normal quantile Φ⁻¹(p), for 0 < p < 1 (Φ⁻¹(0.975) = 1.959963984540054)."""
    check_open_unit(p, "p")
    return _STANDARD_NORMAL.inv_cdf(p)


def normal_two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic: 2 · (1 - Φ(|z|))."""
    check_finite(z, "z")
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
    check_finite(t, "t")
    check_df(df)
    tail = 0.5 * _t_upper_tail_both(t, df)
    return 1.0 - tail if t > 0 else tail


def t_two_sided_p(t: float, df: float) -> float:
    """Two-sided p-value of a t statistic: P(|T_df| >= |t|)."""
    check_finite(t, "t")
    check_df(df)
    return min(1.0, _t_upper_tail_both(t, df))


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """Student's t quantile F_df⁻¹(p), for 0 < p < 1 and df > 0.

    Bisection on the CDF (the CDF is monotone, so this cannot fail to converge), to full double
    precision of the CDF: about 60 evaluations, cached.
    """
    check_open_unit(p, "p")
    check_df(df)
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
    check_confidence(confidence)
    p = 0.5 + confidence / 2.0
    if method == "normal":
        return normal_quantile(p)
    if method == "t":
        if df is None:
            raise ValueError("A t critical value needs the degrees of freedom (df).")
        return t_quantile(p, df)
    raise ValueError(f"Unknown interval method {method!r}: use 't' or 'normal'.")
