"""Balanced accuracy with its MOVER-Wilson interval, and the bootstrap interval of Fleiss'
kappa (evaluations.stats.judging), against values computed by hand."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from evaluations import stats

Z = NormalDist().inv_cdf(0.975)

FLEISS_1971 = [
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


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


def test_balanced_accuracy_hand_computed():
    # TPR = 8/10, TNR = 7/10, BA = 0.75. Wilson 95%: 8/10 -> [0.4902, 0.9433],
    # 7/10 -> [0.3968, 0.8922]. MOVER: 0.75 - sqrt(0.3098² + 0.3032²)/2 = 0.5332,
    # 0.75 + sqrt(0.1433² + 0.1922²)/2 = 0.8699.
    ba = stats.balanced_accuracy(8, 2, 3, 7)
    assert ba.tpr == 0.8
    assert ba.tnr == 0.7
    assert ba.value == pytest.approx(0.75, abs=1e-12)
    assert ba.tpr_ci == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert ba.tnr_ci == pytest.approx((0.3968, 0.8922), abs=1e-4)
    assert ba.ci == pytest.approx((0.5332, 0.8699), abs=1e-4)
    (l1, u1), (l0, u0) = wilson(8, 10), wilson(7, 10)
    assert ba.ci[0] == pytest.approx(0.75 - math.sqrt((0.8 - l1) ** 2 + (0.7 - l0) ** 2) / 2)
    assert ba.ci[1] == pytest.approx(0.75 + math.sqrt((u1 - 0.8) ** 2 + (u0 - 0.7) ** 2) / 2)
    assert (ba.positives, ba.negatives) == (10, 10)


def test_balanced_accuracy_of_a_perfect_judge_keeps_a_real_interval():
    ba = stats.balanced_accuracy(5, 0, 0, 5)
    assert ba.value == 1.0
    low, high = ba.ci
    assert high == 1.0
    # 5/5: Wilson lower bound 5/(5+z²); MOVER: 1 - sqrt(2)·(1 - 5/(5+z²))/2
    assert low == pytest.approx(1 - math.sqrt(2) * (1 - 5 / (5 + Z * Z)) / 2)
    assert 0.0 < low < 1.0


def test_balanced_accuracy_without_one_class_is_undefined():
    ba = stats.balanced_accuracy(4, 1, 0, 0)
    assert ba.tpr == 0.8
    assert ba.tnr is None
    assert ba.value is None
    assert ba.ci is None
    with pytest.raises(ValueError, match="non-negative"):
        stats.balanced_accuracy(-1, 0, 0, 0)


def test_fleiss_interval_is_reproducible_and_holds_the_estimate():
    first = stats.fleiss_kappa_interval(FLEISS_1971)
    assert first == stats.fleiss_kappa_interval(FLEISS_1971)  # the fixed seed
    assert first != stats.fleiss_kappa_interval(FLEISS_1971, seed=1)
    assert first[0] < 4211 / 20059 < first[1]
    narrower = stats.fleiss_kappa_interval(FLEISS_1971, confidence=0.5)
    assert first[0] < narrower[0] < narrower[1] < first[1]


def test_fleiss_interval_of_perfect_agreement_is_a_point():
    # Every resample that holds both categories has kappa 1; the others are undefined, skipped.
    table = [[3, 0], [0, 3], [3, 0], [0, 3]]
    assert stats.fleiss_kappa_interval(table) == (1.0, 1.0)


def test_fleiss_interval_undefined_and_bad_input():
    assert stats.fleiss_kappa_interval([[2, 0], [3, 0]]) is None  # one category only
    with pytest.raises(ValueError, match="at least 2"):
        stats.fleiss_kappa_interval([[1, 0]])
    with pytest.raises(ValueError, match="empty"):
        stats.fleiss_kappa_interval([])
