"""evaluations.stats.paired: two runs compared on the same samples."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from evaluations import stats
from tests.evaluations.stats.common import FAST, approx, scores

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
