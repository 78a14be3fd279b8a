"""evaluations.stats.distributions: Student's t and the normal against closed forms,
published tables and scipy."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from evaluations import stats
from tests.evaluations.stats.common import FAST, TOL, Z975, approx

# ---------------------------------------------------------------------------------------------
# Distributions: closed forms of Student's t (Johnson, Kotz & Balakrishnan; Wikipedia lists them)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.6, 0.9, 0.95, 0.975, 0.995, 0.9995])
def test_t_quantile_with_one_df_is_the_cauchy_quantile(p):
    # df = 1 is the Cauchy distribution: F⁻¹(p) = tan(π (p - 1/2)).
    assert stats.t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-12)


@pytest.mark.parametrize("p", [0.6, 0.9, 0.95, 0.975, 0.995])
def test_t_quantile_with_two_df_matches_closed_form(p):
    # df = 2: F⁻¹(p) = (2p - 1) / sqrt(2 p (1 - p)).
    assert stats.t_quantile(p, 2) == approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)))


@pytest.mark.parametrize("p", [0.6, 0.9, 0.95, 0.975, 0.995])
def test_t_quantile_with_four_df_matches_closed_form(p):
    # df = 4: F⁻¹(p) = 2 sqrt(q - 1), q = cos(arccos(sqrt(α)) / 3) / sqrt(α), α = 4p(1 - p).
    alpha = 4 * p * (1 - p)
    q = math.cos(math.acos(math.sqrt(alpha)) / 3) / math.sqrt(alpha)
    assert stats.t_quantile(p, 4) == approx(2 * math.sqrt(q - 1))


@pytest.mark.parametrize("t", [-7.5, -2.0, -0.3, 0.0, 0.4, 1.0, 2.5, 12.0])
def test_t_cdf_matches_closed_forms_for_small_df(t):
    # df = 1: 1/2 + atan(t)/π;  df = 2: 1/2 + t / (2 sqrt(2 + t²));
    # df = 3: 1/2 + (atan(t/√3) + √3 t / (3 + t²)) / π.
    assert stats.t_cdf(t, 1) == approx(0.5 + math.atan(t) / math.pi)
    assert stats.t_cdf(t, 2) == approx(0.5 + t / (2 * math.sqrt(2 + t * t)))
    s3 = math.sqrt(3)
    assert stats.t_cdf(t, 3) == approx(0.5 + (math.atan(t / s3) + s3 * t / (3 + t * t)) / math.pi)


def test_t_quantile_matches_the_published_table():
    # Student's t table, two-sided 95%: 12.706, 4.303, 2.571, 2.228, 2.042, 1.984 (df 1, 2, 5,
    # 10, 30, 100), and 2.228138852 for df = 10 to nine decimals.
    table = {1: 12.706, 2: 4.303, 5: 2.571, 10: 2.228, 30: 2.042, 100: 1.984}
    for df, value in table.items():
        assert stats.t_quantile(0.975, df) == pytest.approx(value, abs=5e-4)
    assert stats.t_quantile(0.975, 10) == pytest.approx(2.228138852, abs=5e-10)


def test_normal_quantile_and_p_value():
    assert stats.normal_quantile(0.975) == approx(Z975)
    assert stats.normal_two_sided_p(Z975) == approx(0.05)
    assert stats.critical_value(0.95, method="normal") == approx(Z975)


@given(p=st.floats(min_value=0.001, max_value=0.999), df=st.integers(min_value=1, max_value=2000))
@FAST
def test_t_cdf_inverts_t_quantile(p, df):
    assert stats.t_cdf(stats.t_quantile(p, df), df) == pytest.approx(p, abs=1e-12)


def test_t_approaches_normal_as_df_grows():
    previous = math.inf
    for df in (1, 3, 10, 100, 1_000, 100_000):
        q = stats.t_quantile(0.975, df)
        assert Z975 < q < previous
        previous = q
    assert stats.t_quantile(0.975, 10_000_000) == pytest.approx(Z975, abs=1e-6)


def test_t_p_value_matches_the_df4_closed_form():
    # df = 4: F(t) = 1/2 + (3/8) x (1 - x²/12), x = t / sqrt(1 + t²/4).
    t = 1.7
    x = t / math.sqrt(1 + t * t / 4)
    assert stats.t_two_sided_p(t, 4) == approx(2 * (1 - (0.5 + 3 / 8 * x * (1 - x * x / 12))))


# ---------------------------------------------------------------------------------------------
# Cross-checks against scipy (a test oracle in the dev extras; the product keeps its own)
# ---------------------------------------------------------------------------------------------


def test_figures_agree_with_scipy():
    for df in (1, 3, 7, 25, 120, 5000):
        assert stats.t_quantile(0.975, df) == pytest.approx(scipy_stats.t.ppf(0.975, df), abs=TOL)
        assert stats.t_two_sided_p(1.3, df) == pytest.approx(2 * scipy_stats.t.sf(1.3, df), abs=TOL)
    a = [0.2, 0.9, 0.4, 0.8, 0.5, 0.1, 1.0]
    b = [0.1, 0.7, 0.5, 0.4, 0.5, 0.0, 0.6]
    ours = stats.paired_difference(a, b)
    theirs = scipy_stats.ttest_rel(a, b)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=TOL)
    assert ours.p_value == pytest.approx(theirs.pvalue, abs=TOL)
    ci = scipy_stats.binomtest(15, 148).proportion_ci(method="wilson")
    assert stats.wilson_interval(15, 148) == (
        pytest.approx(ci.low, abs=TOL),
        pytest.approx(ci.high, abs=TOL),
    )
