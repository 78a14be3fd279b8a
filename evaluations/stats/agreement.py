"""Agreement: two raters (Cohen's kappa), many raters (Fleiss' kappa), reviewers against the
automatic scorer."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from evaluations.stats._validation import as_floats, check_confidence, check_same_length
from evaluations.stats.distributions import DEFAULT_CONFIDENCE, normal_quantile
from evaluations.stats.estimates import is_binary, wilson_interval
from evaluations.stats.paired import PairedDifference, paired_difference


def agreement_rate(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Share of positions where a and b hold the same value (observed agreement p_o)."""
    check_same_length(a, b, "a", "b")
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
    check_same_length(a, b, "a", "b")
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

    At perfect agreement (p_o = 1) that variance is 0 and the normal interval would be [1, 1]
    whatever the number of items, the failure of a Wald interval at the edge. There the interval
    is the Wilson interval [L, 1] of the observed agreement carried through kappa's formula with
    chance agreement held fixed: [(L - p_e) / (1 - p_e), 1].
    """
    check_confidence(confidence)
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
    low, high = max(-1.0, kappa - z * se), min(1.0, kappa + z * se)
    if observed >= 1.0 - 1e-12:
        agreement_low = wilson_interval(round(n), round(n), confidence=confidence)[0]
        low, high = max(-1.0, (agreement_low - expected) / (1.0 - expected)), 1.0
    return KappaEstimate(
        kappa,
        observed,
        expected,
        se,
        low,
        high,
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
    xm = as_floats(manual, "manual")
    xa = as_floats(automatic, "automatic")
    check_same_length(xm, xa, "manual", "automatic")
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
