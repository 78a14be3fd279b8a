"""evaluations.stats.agreement: Cohen's and Fleiss' kappa, raters, reviewers vs the scorer."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluations import stats
from tests.evaluations.stats.common import FAST, approx, bits

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


def test_perfect_agreement_keeps_an_interval_that_shrinks_with_the_items():
    # Two raters agree on every item: the large-sample variance is 0, and a Wald interval would
    # claim kappa is exactly 1 on ten items. The interval is Wilson's on the observed agreement,
    # carried through kappa with chance agreement fixed.
    z = 1.959963984540054
    widths = []
    for n in (10, 100):
        half = n // 2
        estimate = stats.cohen_kappa([1] * half + [0] * half, [1] * half + [0] * half)
        assert estimate.kappa == 1.0
        assert estimate.stderr == 0.0
        wilson_low = (1 + z * z / (2 * n) - z * math.sqrt(z * z / (4 * n * n))) / (1 + z * z / n)
        assert estimate.ci_low == pytest.approx((wilson_low - 0.5) / 0.5, abs=1e-12)
        assert estimate.ci_high == 1.0
        widths.append(1.0 - estimate.ci_low)
    assert widths[0] > widths[1] > 0
