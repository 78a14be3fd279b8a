"""evaluations.stats: worked examples with known answers (to 1e-9) and properties (hypothesis).

Expected figures are computed independently of the code under test: by hand in the comments, from
closed forms of the t distribution for 1, 2, 3 and 4 degrees of freedom, or from published tables.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evaluations import stats

TOL = 1e-9
Z975 = 1.959963984540054  # Φ⁻¹(0.975), to double precision.

FAST = settings(max_examples=120, deadline=None)

scores = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)
bits = st.integers(min_value=0, max_value=1)


def approx(x: float) -> object:
    return pytest.approx(x, abs=TOL, rel=0)


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
# Means and standard errors
# ---------------------------------------------------------------------------------------------


def test_mean_estimate_worked_example():
    # 1..5: mean 3, s² = (4+1+0+1+4)/4 = 2.5, SE = sqrt(2.5/5) = sqrt(0.5); df = 4.
    est = stats.mean_estimate([1, 2, 3, 4, 5])
    se = math.sqrt(0.5)
    alpha = 4 * 0.975 * 0.025
    t4 = 2 * math.sqrt(math.cos(math.acos(math.sqrt(alpha)) / 3) / math.sqrt(alpha) - 1)
    assert est.mean == approx(3.0)
    assert est.stderr == approx(se)
    assert est.df == 4
    assert est.ci == (approx(3 - t4 * se), approx(3 + t4 * se))
    normal = stats.mean_estimate([1, 2, 3, 4, 5], method="normal")
    assert normal.ci == (approx(3 - Z975 * se), approx(3 + Z975 * se))


def test_clustered_standard_error_balanced_worked_example():
    # Samples s1: [1, 0], s2: [1, 1], s3: [0, 0]. x̄ = 3/6 = 0.5. Residual sums per sample:
    # s1: 0.5 - 0.5 = 0, s2: 1, s3: -1 -> Σ² = 2. SE² = G/(G-1) · 2 / n² = 1.5 · 2 / 36 = 1/12.
    values = [1, 0, 1, 1, 0, 0]
    clusters = ["s1", "s1", "s2", "s2", "s3", "s3"]
    assert stats.clustered_standard_error(values, clusters) == approx(math.sqrt(1 / 12))
    # Equal epochs: the same as the SE of the per-sample means [0.5, 1, 0]: sqrt(0.25 / 3).
    assert stats.standard_error([0.5, 1, 0]) == approx(math.sqrt(1 / 12))
    est = stats.mean_estimate(values, clusters=clusters)
    assert (est.n, est.clusters, est.df) == (6, 3, 2)


def test_clustered_standard_error_unbalanced_worked_example():
    # s1: [1, 1, 0], s2: [0], s3: [1, 0]. x̄ = 0.5. Residual sums: s1: 0.5+0.5-0.5 = 0.5,
    # s2: -0.5, s3: 0 -> Σ² = 0.5. SE² = 1.5 · 0.5 / 36 = 1/48.
    values = [1, 1, 0, 0, 1, 0]
    clusters = ["s1", "s1", "s1", "s2", "s3", "s3"]
    assert stats.clustered_standard_error(values, clusters) == approx(math.sqrt(1 / 48))


def test_clustering_that_matters_widens_the_interval():
    # Epochs that agree within a sample carry less information than independent samples.
    values = [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0]
    clusters = [i // 3 for i in range(12)]
    assert stats.clustered_standard_error(values, clusters) > stats.standard_error(values)


def test_one_observation_has_a_mean_but_no_interval():
    est = stats.mean_estimate([0.7])
    assert est.mean == 0.7
    assert (est.stderr, est.ci, est.df) == (None, None, None)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: stats.mean([]), "values is empty"),
        (lambda: stats.mean_estimate([]), "values is empty"),
        (lambda: stats.standard_error([1.0]), "at least 2 values"),
        (lambda: stats.clustered_standard_error([1, 0], ["a", "a"]), "at least 2 clusters"),
        (lambda: stats.clustered_standard_error([1, 0], ["a"]), "same length"),
        (lambda: stats.mean_estimate([1, float("nan")]), "finite number"),
        (lambda: stats.mean_estimate(["1"]), "expected a number"),
        (lambda: stats.mean_estimate([1, 2], confidence=1.0), "confidence"),
        (lambda: stats.t_quantile(0.975, 0), "Degrees of freedom"),
        (lambda: stats.t_quantile(1.0, 3), "strictly between 0 and 1"),
        (lambda: stats.critical_value(0.95, method="t"), "degrees of freedom"),
        (lambda: stats.critical_value(0.95, method="bootstrap"), "Unknown interval method"),
        (lambda: stats.paired_difference([1, 0], [1]), "same length"),
        (lambda: stats.paired_difference([], []), "empty"),
        (lambda: stats.wilson_interval(3, 0), "at least one trial"),
        (lambda: stats.wilson_interval(5, 4), "between 0 and n"),
        (lambda: stats.wilson_interval(1.5, 4), "whole numbers"),
        (lambda: stats.agreement_rate([], []), "empty"),
        (lambda: stats.cohen_kappa([1], [1, 0]), "same length"),
        (lambda: stats.cohen_kappa([], []), "empty"),
        (lambda: stats.cohen_kappa_from_table([[0, 0], [0, 0]]), "empty"),
        (lambda: stats.cohen_kappa_from_table([[1, 2]]), "square"),
        (lambda: stats.fleiss_kappa([]), "empty"),
        (lambda: stats.fleiss_kappa([[1, 0]]), "at least 2"),
        (lambda: stats.fleiss_kappa([[1, 1], [2]]), "rectangular"),
        (lambda: stats.score_agreement([], []), "No reviewed samples"),
        (lambda: stats.score_summary([]), "empty"),
    ],
)
def test_invalid_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# Proportions: Wilson interval
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17: 857-872, Table II, method 3 (score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe_published_values(k, n, low, high):
    got = stats.wilson_interval(k, n)
    assert got == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_interval_at_zero_successes_is_z2_over_n_plus_z2():
    # At k = 0 the quadratic (p̂ - p)² = z² p (1-p) / n has roots 0 and z² / (n + z²).
    assert stats.wilson_interval(0, 20) == (0.0, approx(Z975**2 / (20 + Z975**2)))
    # And symmetrically at k = n.
    assert stats.wilson_interval(20, 20) == (approx(20 / (20 + Z975**2)), 1.0)


def test_wilson_interval_hand_computed():
    # k = 5, n = 10: p̂ = 0.5, centre = (0.5 + z²/20) / (1 + z²/10) = 0.5,
    # half = z / (1 + z²/10) · sqrt(0.025 + z²/400).
    z2 = Z975**2
    half = Z975 / (1 + z2 / 10) * math.sqrt(0.025 + z2 / 400)
    assert stats.wilson_interval(5, 10) == (approx(0.5 - half), approx(0.5 + half))


@given(n=st.integers(min_value=1, max_value=5000), data=st.data())
@FAST
def test_wilson_bounds_are_roots_of_the_score_quadratic(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    low, high = stats.wilson_interval(k, n)
    p_hat = k / n
    assert 0.0 <= low <= p_hat <= high <= 1.0
    for bound in (low, high):
        # (p̂ - p)² - z² p (1 - p) / n = 0 at both bounds.
        assert (p_hat - bound) ** 2 - Z975**2 * bound * (1 - bound) / n == pytest.approx(
            0, abs=1e-12
        )


@given(k=st.integers(min_value=0, max_value=50), n=st.integers(min_value=1, max_value=50))
@FAST
def test_wilson_interval_narrows_with_more_trials_at_the_same_proportion(k, n):
    assume(k <= n)
    low1, high1 = stats.wilson_interval(k, n)
    low4, high4 = stats.wilson_interval(4 * k, 4 * n)
    assert high4 - low4 < high1 - low1


def test_proportion_estimate_stderr_matches_standard_error_of_the_bits():
    # 7 of 10: s² = 10 · 0.7 · 0.3 / 9, SE = sqrt(0.21 / 9).
    est = stats.proportion_estimate(7, 10)
    assert est.stderr == approx(math.sqrt(0.21 / 9))
    assert est.stderr == approx(stats.standard_error([1] * 7 + [0] * 3))
    assert est.method == "wilson"


def test_score_summary_picks_wilson_for_binary_and_t_otherwise():
    assert stats.score_summary([1, 0, 1, 1]).method == "wilson"
    assert stats.score_summary([1, 0.5, 1, 1]).method == "t"
    # Binary with several epochs per sample: clustered t interval.
    clustered = stats.score_summary([1, 0, 1, 1], clusters=["a", "a", "b", "b"])
    assert (clustered.method, clustered.clusters) == ("t", 2)
    # All correct: Wilson still gives an interval below 1, where mean ± t·SE would be [1, 1].
    perfect = stats.score_summary([1] * 30)
    assert perfect.ci_low == approx(30 / (30 + Z975**2))
    assert perfect.ci_high == 1.0


@given(
    values=st.lists(scores, min_size=1, max_size=40),
    epochs=st.integers(min_value=1, max_value=3),
    binary=st.booleans(),
)
@FAST
def test_summary_from_moments_matches_summary_from_values(values, epochs, binary):
    if binary:
        values = [round(v) for v in values]
    clusters = [i // epochs for i in range(len(values))]
    direct = stats.score_summary(values, clusters=clusters)
    moments = stats.ClusterMoments.from_values(values, clusters)
    via = stats.score_summary_from_moments(moments)
    assert via.method == direct.method
    assert (via.n, via.clusters, via.df) == (direct.n, direct.clusters, direct.df)
    assert via.mean == pytest.approx(direct.mean, abs=1e-12)
    for got, want in [
        (via.stderr, direct.stderr),
        (via.ci_low, direct.ci_low),
        (via.ci_high, direct.ci_high),
    ]:
        if want is None:
            assert got is None
        else:
            assert got == pytest.approx(want, abs=1e-9)


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=30), data=st.data()
)
@FAST
def test_moments_of_values_grouped_by_cluster_equal_those_keyed_per_value(sizes, data):
    values = data.draw(st.lists(scores, min_size=sum(sizes), max_size=sum(sizes)))
    clusters = [k for k, size in enumerate(sizes) for _ in range(size)]
    ends = [sum(sizes[: k + 1]) for k in range(len(sizes))]
    assert stats.ClusterMoments.from_clustered(values, ends) == stats.ClusterMoments.from_values(
        values, clusters
    )


@pytest.mark.parametrize("ends", [[], [2], [0, 3], [2, 2, 3], [1, 4]])
def test_cluster_ends_must_rise_and_end_at_the_last_value(ends):
    with pytest.raises(ValueError):
        stats.ClusterMoments.from_clustered([0.0, 1.0, 1.0], ends)


# ---------------------------------------------------------------------------------------------
# Paired differences
# ---------------------------------------------------------------------------------------------


def test_paired_difference_worked_example():
    # a = [1,1,0,1,0], b = [1,0,0,0,0]: d = [0,1,0,1,0], d̄ = 0.4,
    # s² = (3·0.16 + 2·0.36) / 4 = 0.3, SE = sqrt(0.3 / 5) = sqrt(0.06), T = 0.4 / sqrt(0.06).
    # p from the df = 4 closed form: F(t) = 1/2 + (3/8) x (1 - x²/12), x = t / sqrt(1 + t²/4).
    res = stats.paired_difference([1, 1, 0, 1, 0], [1, 0, 0, 0, 0])
    t = 0.4 / math.sqrt(0.06)
    x = t / math.sqrt(1 + t * t / 4)
    assert (res.mean_a, res.mean_b) == (approx(0.6), approx(0.2))
    assert res.difference == approx(0.4)
    assert res.stderr == approx(math.sqrt(0.06))
    assert res.statistic == approx(t)
    assert res.p_value == approx(2 * (1 - (0.5 + 3 / 8 * x * (1 - x * x / 12))))
    assert res.significant is False


def test_paired_difference_with_epochs_clusters_by_sample():
    # Two samples x two epochs. a = [1,1 | 1,0], b = [0,0 | 1,1] -> d = [1,1 | 0,-1].
    # d̄ = 1/4. Residual sums: s1: 0.75 + 0.75 = 1.5, s2: -0.25 - 1.25 = -1.5. Σ² = 4.5.
    # SE² = G/(G-1) · 4.5 / 16 = 2 · 4.5 / 16 = 0.5625, SE = 0.75; df = 1: t = 1/3,
    # p = 1 - 2·atan(1/3)/π (Cauchy).
    res = stats.paired_difference([1, 1, 1, 0], [0, 0, 1, 1], clusters=["s1", "s1", "s2", "s2"])
    assert res.difference == approx(0.25)
    assert res.stderr == approx(0.75)
    assert res.df == 1
    assert res.p_value == approx(1 - 2 * math.atan(1 / 3) / math.pi)
    t1 = math.tan(0.475 * math.pi)  # t_{0.975, 1}, the Cauchy quantile
    assert res.ci == (approx(0.25 - 0.75 * t1), approx(0.25 + 0.75 * t1))


def test_a_constant_nonzero_difference_is_significant():
    res = stats.paired_difference([1] * 20, [0] * 20)
    assert (res.difference, res.stderr, res.p_value, res.significant) == (1.0, 0.0, 0.0, True)
    assert res.statistic is None


def test_a_single_pair_has_a_difference_but_no_test():
    res = stats.paired_difference([1.0], [0.0])
    assert res.difference == 1.0
    assert (res.stderr, res.p_value, res.significant) == (None, None, False)


@given(values=st.lists(scores, min_size=2, max_size=60), epochs=st.integers(1, 3))
@FAST
def test_a_run_compared_with_itself_differs_by_zero_with_zero_error(values, epochs):
    clusters = [i // epochs for i in range(len(values))]
    assume(len(set(clusters)) >= 2)
    res = stats.paired_difference(values, values, clusters=clusters)
    assert res.difference == 0.0
    assert res.stderr == 0.0
    assert res.p_value == 1.0
    assert res.significant is False


@given(pairs=st.lists(st.tuples(scores, scores), min_size=2, max_size=60), epochs=st.integers(1, 3))
@FAST
def test_swapping_the_runs_negates_the_difference(pairs, epochs):
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    clusters = [i // epochs for i in range(len(pairs))]
    assume(len(set(clusters)) >= 2)
    ab = stats.paired_difference(a, b, clusters=clusters)
    ba = stats.paired_difference(b, a, clusters=clusters)
    assert ba.difference == pytest.approx(-ab.difference, abs=1e-12)
    assert ba.stderr == pytest.approx(ab.stderr, abs=1e-12)
    assert ba.ci_low == pytest.approx(-ab.ci_high, abs=1e-12)
    assert ba.ci_high == pytest.approx(-ab.ci_low, abs=1e-12)
    if ab.stderr > 1e-9:
        assert ba.p_value == pytest.approx(ab.p_value, abs=1e-12)
        assert ab.significant == ba.significant


@given(pairs=st.lists(st.tuples(scores, scores), min_size=3, max_size=60))
@FAST
def test_significance_is_the_interval_excluding_zero(pairs):
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    res = stats.paired_difference(a, b)
    assume(res.stderr and res.stderr > 1e-9)
    excludes_zero = res.ci_low > 0 or res.ci_high < 0
    # Away from the boundary (where rounding decides), the test and the interval agree.
    assume(abs(res.p_value - 0.05) > 1e-9)
    assert res.significant == excludes_zero


@given(pairs=st.lists(st.tuples(scores, scores), min_size=2, max_size=40))
@FAST
def test_paired_difference_equals_difference_of_means_and_is_order_free(pairs):
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    res = stats.paired_difference(a, b)
    assert res.difference == pytest.approx(res.mean_a - res.mean_b, abs=1e-12)
    shuffled = pairs[:]
    random.Random(len(pairs)).shuffle(shuffled)
    again = stats.paired_difference([x for x, _ in shuffled], [y for _, y in shuffled])
    assert again.stderr == pytest.approx(res.stderr, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# Properties of means and intervals
# ---------------------------------------------------------------------------------------------


@given(values=st.lists(scores, min_size=2, max_size=60), method=st.sampled_from(["t", "normal"]))
@FAST
def test_the_interval_contains_the_mean(values, method):
    est = stats.mean_estimate(values, method=method)
    assert est.ci_low <= est.mean <= est.ci_high


@given(values=st.lists(scores, min_size=2, max_size=30))
@FAST
def test_the_interval_narrows_as_the_same_data_repeats(values):
    assume(stats.standard_error(values) > 1e-6)
    one = stats.mean_estimate(values)
    three = stats.mean_estimate(values * 3)
    assert three.ci_high - three.ci_low < one.ci_high - one.ci_low


@given(values=st.lists(scores, min_size=2, max_size=40))
@FAST
def test_singleton_clusters_give_the_classical_standard_error(values):
    clustered = stats.clustered_standard_error(values, list(range(len(values))))
    assert clustered == pytest.approx(stats.standard_error(values), abs=1e-12)


@given(
    per_sample=st.lists(st.lists(scores, min_size=3, max_size=3), min_size=2, max_size=20),
)
@FAST
def test_balanced_clustered_standard_error_is_that_of_sample_means(per_sample):
    values = [v for epochs in per_sample for v in epochs]
    clusters = [i for i, epochs in enumerate(per_sample) for _ in epochs]
    means = [sum(e) / 3 for e in per_sample]
    got = stats.clustered_standard_error(values, clusters)
    assert got == pytest.approx(stats.standard_error(means), abs=1e-12)


@given(
    values=st.lists(scores, min_size=2, max_size=30),
    shift=st.floats(min_value=-5, max_value=5),
)
@FAST
def test_shifting_every_score_shifts_the_mean_and_keeps_the_error(values, shift):
    base = stats.mean_estimate(values)
    moved = stats.mean_estimate([v + shift for v in values])
    assert moved.mean == pytest.approx(base.mean + shift, abs=1e-9)
    assert moved.stderr == pytest.approx(base.stderr, abs=1e-9)


# ---------------------------------------------------------------------------------------------
# Agreement: Cohen, Fleiss, raters, manual vs automatic
# ---------------------------------------------------------------------------------------------


def test_cohen_kappa_textbook_example():
    # 50 items; both yes 20, A yes / B no 5, A no / B yes 10, both no 15.
    # p_o = 35/50 = 0.7; A yes 25/50, B yes 30/50: p_e = 0.5·0.6 + 0.5·0.4 = 0.5; κ = 0.2/0.5 = 0.4.
    a = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    est = stats.cohen_kappa(a, b)
    assert (est.observed, est.expected, est.kappa) == (approx(0.7), approx(0.5), approx(0.4))
    # Fleiss-Cohen-Everitt (1969) variance, by hand with p11=.4 p10=.1 p01=.2 p00=.3,
    # rows (A) yes/no .5/.5, columns (B) yes/no .6/.4, 1-κ = .6 (index 0 = "no", 1 = "yes"):
    #   diagonal: .4·(1 - 1.1·.6)² + .3·(1 - .9·.6)² = .4·.1156 + .3·.2116 = .10972
    #   off-diagonal: .36·(.1·(.6+.5)² + .2·(.4+.5)²) = .36·(.121 + .162) = .10188
    #   minus (κ - p_e(1-κ))² = (.4 - .3)² = .01  -> .2016 / (50 · .25) = .016128.
    assert est.stderr == approx(math.sqrt(0.016128))
    assert stats.agreement_rate(a, b) == approx(0.7)


def test_cohen_kappa_three_categories_hand_computed():
    # Table (rows A, columns B): [[10, 2, 3], [1, 8, 1], [2, 1, 12]], n = 40.
    # p_o = 30/40 = 0.75. Rows: 15, 10, 15; columns: 13, 11, 16.
    # p_e = (15·13 + 10·11 + 15·16) / 1600 = (195 + 110 + 240) / 1600 = 545/1600.
    # κ = (0.75 - 545/1600) / (1 - 545/1600) = (1200 - 545) / (1600 - 545) = 655/1055.
    est = stats.cohen_kappa_from_table([[10, 2, 3], [1, 8, 1], [2, 1, 12]])
    assert est.kappa == approx(655 / 1055)
    assert est.categories == 3


def test_kappa_degenerate_cases():
    # Both raters always say "1": agreement is perfect, kappa is 0/0 and reported as undefined.
    same = stats.cohen_kappa([1, 1, 1], [1, 1, 1])
    assert (same.kappa, same.observed, same.expected, same.stderr) == (None, 1.0, 1.0, None)
    # Each rater uses one class, but not the same one: p_o = 0, p_e = 0, κ = 0.
    opposite = stats.cohen_kappa([1, 1, 1], [0, 0, 0])
    assert (opposite.kappa, opposite.observed) == (0.0, 0.0)
    # Perfect disagreement on balanced classes: p_o = 0, p_e = 0.5, κ = -1.
    assert stats.cohen_kappa([1, 0, 1, 0], [0, 1, 0, 1]).kappa == approx(-1.0)


def test_fleiss_kappa_published_example():
    # Fleiss (1971) / Wikipedia "Fleiss' kappa" example: 10 subjects, 14 raters, 5 categories,
    # κ = 0.210 (published, 3 decimals). By hand: column totals 20, 28, 39, 21, 32 of 140, so
    # P̄_e = (400+784+1521+441+1024)/19600 = 4170/19600; Σ_ij n_ij² = 828, so
    # P̄ = (828 - 140) / (10·14·13) = 688/1820; κ = (688/1820 - 4170/19600)/(1 - 4170/19600)
    # = (96320 - 54210)/(254800 - 54210) = 42110/200590 = 4211/20059.
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    fk = stats.fleiss_kappa(table)
    assert fk.kappa == approx(4211 / 20059)
    assert fk.kappa == pytest.approx(0.210, abs=5e-4)
    assert fk.observed == approx(688 / 1820)
    assert fk.expected == approx(4170 / 19600)
    assert (fk.subjects, fk.ratings, fk.categories) == (10, 140, 5)


def test_fleiss_kappa_with_one_category_is_undefined():
    assert stats.fleiss_kappa([[3, 0], [3, 0]]).kappa is None


def test_rater_agreement_two_reviewers_uses_cohen():
    ratings = {
        1: {"ann": "refusal", "ben": "refusal"},
        2: {"ann": "correct", "ben": "correct"},
        3: {"ann": "refusal", "ben": "correct"},
        4: {"ann": "correct", "ben": "correct"},
        5: {"ann": "correct"},  # one label: no information on agreement
    }
    got = stats.rater_agreement(ratings)
    # Items 1-4: p_o = 3/4. ann: refusal 2, correct 2; ben: refusal 1, correct 3.
    # p_e = (2·1 + 2·3)/16 = 0.5; κ = 0.25 / 0.5 = 0.5.
    assert (got.method, got.subjects, got.raters, got.ratings) == ("cohen", 4, 2, 8)
    assert got.observed == approx(0.75)
    assert got.kappa == approx(0.5)


def test_rater_agreement_three_reviewers_uses_fleiss():
    ratings = {
        1: {"ann": "a", "ben": "a", "cat": "a"},
        2: {"ann": "b", "ben": "b", "cat": "a"},
        3: {"ann": "b", "ben": "b", "cat": "b"},
    }
    got = stats.rater_agreement(ratings)
    # Counts (a, b): [3,0], [1,2], [0,3]. P_i = 1, 1/3, 1; P̄ = 7/9. p_a = 4/9, p_b = 5/9,
    # P̄_e = 41/81; κ = (63/81 - 41/81) / (40/81) = 22/40 = 0.55. Pairs agreeing: 3+1+3 of 9.
    assert (got.method, got.subjects, got.raters) == ("fleiss", 3, 3)
    assert got.kappa == approx(0.55)
    assert got.observed == approx(7 / 9)


def test_rater_agreement_without_double_reviews_is_empty_not_an_error():
    got = stats.rater_agreement({1: {"ann": "a"}, 2: {"ben": "b"}})
    assert (got.method, got.kappa, got.observed, got.subjects) == ("none", None, None, 0)


def test_score_agreement_manual_vs_automatic():
    # manual [1,0,1,1], automatic [1,0,0,1]: agreement 3/4, diff mean 0.25, |diff| mean 0.25.
    # Manual: 1 ×3, 0 ×1; auto: 1 ×2, 0 ×2 -> p_e = (3·2 + 1·2)/16 = 0.5, κ = 0.25/0.5 = 0.5.
    got = stats.score_agreement([1, 0, 1, 1], [1, 0, 0, 1])
    assert got.binary is True
    assert got.agreement_rate == approx(0.75)
    assert got.kappa.kappa == approx(0.5)
    assert got.difference.difference == approx(0.25)
    assert got.mean_abs_difference == approx(0.25)
    partial = stats.score_agreement([0.5, 1.0], [1.0, 1.0])
    assert (partial.binary, partial.kappa, partial.agreement_rate) == (False, None, None)
    assert partial.mean_abs_difference == approx(0.25)


@given(labels=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=60))
@FAST
def test_kappa_of_a_run_with_itself_is_one_where_defined(labels):
    est = stats.cohen_kappa(labels, labels)
    if len(set(labels)) == 1:
        assert est.kappa is None
    else:
        assert est.kappa == pytest.approx(1.0, abs=1e-12)
        assert est.stderr == pytest.approx(0.0, abs=1e-7)
    assert est.observed == 1.0


@given(pairs=st.lists(st.tuples(bits, bits), min_size=1, max_size=60))
@FAST
def test_kappa_is_symmetric_and_ignores_label_names(pairs):
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    ab = stats.cohen_kappa(a, b)
    ba = stats.cohen_kappa(b, a)
    renamed = stats.cohen_kappa(
        ["yes" if x else "no" for x in a], ["yes" if y else "no" for y in b]
    )
    flipped = stats.cohen_kappa([1 - x for x in a], [1 - y for y in b])
    for other in (ba, renamed, flipped):
        if ab.kappa is None:
            assert other.kappa is None
        else:
            assert other.kappa == pytest.approx(ab.kappa, abs=1e-12)
            assert other.stderr == pytest.approx(ab.stderr, abs=1e-12)
    assert ab.kappa is None or -1.0 - 1e-12 <= ab.kappa <= 1.0 + 1e-12


@given(
    table=st.lists(
        st.lists(st.integers(min_value=0, max_value=5), min_size=3, max_size=3),
        min_size=1,
        max_size=15,
    ).filter(lambda rows: all(sum(r) >= 2 for r in rows))
)
@FAST
def test_fleiss_kappa_ignores_subject_order_and_category_order(table):
    base = stats.fleiss_kappa(table)
    again = stats.fleiss_kappa([list(reversed(row)) for row in reversed(table)])
    if base.kappa is None:
        assert again.kappa is None
    else:
        assert again.kappa == pytest.approx(base.kappa, abs=1e-12)
        assert base.kappa <= 1.0 + 1e-12


# ---------------------------------------------------------------------------------------------
# Cross-checks against scipy, when it happens to be installed (it is not a dependency)
# ---------------------------------------------------------------------------------------------


def test_figures_agree_with_scipy_when_available():
    scipy_stats = pytest.importorskip("scipy.stats")
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
