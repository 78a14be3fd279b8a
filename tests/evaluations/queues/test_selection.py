"""The seeded, stratified draw of a review queue's items (pure: no database)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from evaluations.services.queue_selection import (
    Candidate,
    natural_key,
    slice_value_of,
    stratified_selection,
)


def candidates(sizes: dict[str, int], *, runs: int = 1) -> list[Candidate]:
    rows = []
    pk = 0
    for run_id in range(1, runs + 1):
        for value, size in sizes.items():
            for i in range(size):
                pk += 1
                rows.append(Candidate(pk, run_id, f"{value}-{i}", 1, value))
    return rows


SIZES = {"en": 50, "fr": 20, "de": 6, "": 4}


def test_same_seed_same_items_whatever_the_input_order():
    rows = candidates(SIZES)
    shuffled = rows[:]
    random.Random(99).shuffle(shuffled)
    first = stratified_selection(rows, count=5, seed=7)
    again = stratified_selection(shuffled, count=5, seed=7)
    assert [c.pk for c in first] == [c.pk for c in again]


def test_another_seed_draws_other_items():
    rows = candidates(SIZES)
    a = {c.pk for c in stratified_selection(rows, count=5, seed=1)}
    b = {c.pk for c in stratified_selection(rows, count=5, seed=2)}
    assert a != b


def test_count_takes_n_of_each_value_and_all_of_a_smaller_one():
    picked = Counter(
        c.slice_value for c in stratified_selection(candidates(SIZES), count=5, seed=3)
    )
    assert picked == {"en": 5, "fr": 5, "de": 5, "": 4}


def test_percent_takes_a_share_of_each_value_rounded_up():
    picked = Counter(
        c.slice_value for c in stratified_selection(candidates(SIZES), percent=10, seed=3)
    )
    assert picked == {"en": 5, "fr": 2, "de": 1, "": 1}


def test_percent_of_a_hundred_and_no_quota_take_everything():
    rows = candidates(SIZES)
    assert len(stratified_selection(rows, percent=100, seed=0)) == len(rows)
    everything = stratified_selection(rows, seed=0)
    assert sorted(c.pk for c in everything) == sorted(c.pk for c in rows)


def test_the_empty_value_is_a_stratum_of_its_own():
    rows = candidates({"": 3})
    assert len(stratified_selection(rows, count=2, seed=5)) == 2
    assert stratified_selection([], count=2, seed=5) == []


def test_positions_spread_every_value_over_the_queue():
    order = stratified_selection(candidates({"en": 30, "fr": 30, "de": 30}), seed=11)
    first_third = Counter(c.slice_value for c in order[:30])
    assert all(8 <= first_third[v] <= 12 for v in ("en", "fr", "de")), first_third


def test_a_selection_never_repeats_an_item():
    order = stratified_selection(candidates(SIZES, runs=3), count=7, seed=4)
    assert len({c.pk for c in order}) == len(order)


@pytest.mark.parametrize("bad", [{"count": 0}, {"percent": 0}, {"percent": 101}])
def test_quotas_out_of_range_are_refused(bad):
    with pytest.raises(ValueError):
        stratified_selection(candidates(SIZES), seed=1, **bad)


def test_sample_ids_sort_in_natural_order():
    assert sorted(["q10", "q9", "q1"], key=natural_key) == ["q1", "q9", "q10"]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"language": " fr "}, "fr"),
        ({"language": 3}, "3"),
        ({"language": True}, "true"),
        ({"language": None}, ""),
        ({}, ""),
        ("not a dict", ""),
        ({"language": ["a", "b"]}, '["a", "b"]'),
    ],
)
def test_slice_values_as_text(metadata, expected):
    assert slice_value_of(metadata, "language") == expected
