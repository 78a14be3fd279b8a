"""evaluations.stats.estimates: means, clustered standard errors, Wilson intervals and a run's
score summary, by worked examples (to 1e-9) and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from evaluations import stats
from tests.evaluations.stats.common import FAST, Z975, approx, scores

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


def test_score_summary_picks_wilson_for_bounded_scores_and_t_otherwise():
    assert stats.score_summary([1, 0, 1, 1]).method == "wilson"
    # Fractional scores in [0, 1]: Wilson at the effective n of their standard error.
    assert stats.score_summary([1, 0.5, 1, 1]).method == stats.EFFECTIVE_WILSON
    # Binary with several epochs per sample: the same, with the SE clustered by sample.
    clustered = stats.score_summary([1, 0, 1, 1], clusters=["a", "a", "b", "b"])
    assert (clustered.method, clustered.clusters) == (stats.EFFECTIVE_WILSON, 2)
    # Scores outside [0, 1]: t interval.
    assert stats.score_summary([1, 2.5, 0, 4]).method == "t"
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
