"""Scores bounded in [0, 1] (0/1 or fractional, one or several epochs) get intervals inside
[0, 1]: Wilson at the effective sample size of the clustered standard error. Unbounded scores keep
the t interval."""

from __future__ import annotations

import dataclasses
import math

from hypothesis import given
from hypothesis import strategies as st

from evaluations import stats
from tests.evaluations.stats.common import FAST, Z975, approx, scores


def test_two_epochs_at_nine_in_ten_stay_below_one():
    # 10 samples, two epochs: 8 solved twice, 2 solved once -> mean 0.9. Cluster residuals
    # 0.2 (x8) and -0.8 (x2): SE = sqrt(1.6 · 10/9) / 20 = 0.0667, and the clustered t interval
    # 0.900 ± 2.262 · 0.0667 = [0.749, 1.051] goes above 1.
    values = [1.0, 1.0] * 8 + [1.0, 0.0] * 2
    clusters = [i // 2 for i in range(20)]
    est = stats.score_summary(values, clusters=clusters)
    assert est.method == stats.EFFECTIVE_WILSON
    assert est.mean == approx(0.9)
    se = math.sqrt((8 * 0.2**2 + 2 * 0.8**2) * 10 / 9) / 20
    assert est.stderr == approx(se)
    assert 0.9 + stats.critical_value(0.95, method="t", df=9) * se > 1.0
    n_eff = min(0.9 * 0.1 / se**2, 20)  # 20.25, capped at the 20 observations
    assert est.ci == approx_pair(wilson_at(0.9, n_eff))
    assert 0.0 <= est.ci_low < 0.9 < est.ci_high < 1.0


def approx_pair(pair):
    return tuple(approx(x) for x in pair)


def wilson_at(p: float, n: float) -> tuple[float, float]:
    """Wilson (1927) at a real-valued n: the roots q of (p - q)² = z² q (1 - q) / n."""
    a = 1 + Z975**2 / n
    b = -(2 * p + Z975**2 / n)
    c = p * p
    root = math.sqrt(b * b - 4 * a * c)
    return ((-b - root) / (2 * a), (-b + root) / (2 * a))


def test_effective_wilson_is_wilson_when_the_se_is_binomial():
    # SE² = p(1-p)/n gives n_eff = n: the plain Wilson interval of 12 of 40.
    p, n = 12 / 40, 40
    low, high = stats.effective_wilson_interval(p, math.sqrt(p * (1 - p) / n), clusters=n)
    assert (low, high) == approx_pair(stats.wilson_interval(12, 40))


def test_all_equal_values_use_one_draw_per_sample():
    # Every epoch of every sample correct: the data cannot tell how epochs correlate, so the
    # interval is Wilson's for 10 of 10 (not for 20 of 20).
    est = stats.score_summary([1.0] * 20, clusters=[i // 2 for i in range(20)])
    assert est.ci == approx_pair((10 / (10 + Z975**2), 1.0))
    nothing = stats.score_summary([0.0] * 20, clusters=[i // 2 for i in range(20)])
    assert nothing.ci == approx_pair((0.0, Z975**2 / (10 + Z975**2)))


def test_epochs_never_count_for_more_than_independent_draws():
    # Epochs that disagree more than chance would (every sample 1 then 0) give a clustered SE of
    # 0: for 0/1 values n_eff is capped at the number of observations.
    est = stats.score_summary([1.0, 0.0] * 10, clusters=[i // 2 for i in range(20)])
    assert est.stderr == approx(0.0)
    assert est.ci == approx_pair(stats.wilson_interval(10, 20))


def test_unbounded_scores_keep_the_t_interval():
    est = stats.score_summary([0.5, 1.5, 2.0, 3.5])
    assert est.method == "t"
    q = stats.critical_value(0.95, method="t", df=3)
    assert est.ci == approx_pair((est.mean - q * est.stderr, est.mean + q * est.stderr))


def test_moments_stored_without_bounds_do_not_claim_to_be_bounded():
    moments = stats.ClusterMoments.from_values([0.2, 0.4, 0.9])
    old = {k: v for k, v in dataclasses.asdict(moments).items() if k not in ("low", "high")}
    assert stats.ClusterMoments(**old).bounded is None
    assert moments.bounded is True
    binary = stats.ClusterMoments.from_values([0.0, 1.0])
    old_binary = {k: v for k, v in dataclasses.asdict(binary).items() if k not in ("low", "high")}
    assert stats.ClusterMoments(**old_binary).bounded is True
    assert stats.ClusterMoments.from_values([0.2, 1.4]).bounded is False


@given(
    values=st.lists(scores, min_size=2, max_size=40),
    epochs=st.integers(min_value=1, max_value=5),
    binary=st.booleans(),
)
@FAST
def test_every_bounded_interval_lies_in_the_unit_interval_and_holds_the_mean(
    values, epochs, binary
):
    if binary:
        values = [float(round(v)) for v in values]
    clusters = [i // epochs for i in range(len(values))]
    est = stats.score_summary(values, clusters=clusters)
    if est.ci is None:
        assert len(set(clusters)) < 2
        return
    low, high = est.ci
    assert 0.0 <= low <= est.mean + 1e-12
    assert est.mean - 1e-12 <= high <= 1.0
    via = stats.score_summary_from_moments(stats.ClusterMoments.from_values(values, clusters))
    assert via == est
