"""The run page's samples table counts each sample's reviews (a correlated subquery, so the page
is read in index order and its count needs no join: see `evaluations.selectors.runs.run_sample_rows`)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.evaluations.factories import ReviewLabelFactory, SampleReviewFactory
from tests.evaluations.results_world import build_results_world


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


def review_counts(body: str) -> dict[str, int]:
    rows = re.findall(r'/samples/\d+/">([^<]+)</a></td>(.*?)</tr>', body, flags=re.S)
    return {sid: int(re.findall(r'<td class="num">(\d+)</td>', cells)[-1]) for sid, cells in rows}


def test_each_sample_row_shows_how_many_reviews_it_has(client, rw, vera, alice, bob):
    label = ReviewLabelFactory(slug="refusal", name="Refusal")
    first, second, *others = rw.run_a.samples.order_by("sample_id", "epoch")
    SampleReviewFactory(sample=first, reviewer=alice, label=label)
    SampleReviewFactory(sample=first, reviewer=bob, label=label)
    SampleReviewFactory(sample=second, reviewer=alice, label=label)
    client.force_login(vera)
    body = client.get(reverse("runs:detail", kwargs={"run_id": rw.run_a.pk})).content
    counts = review_counts(body.decode())
    assert counts[first.sample_id] == 2
    assert counts[second.sample_id] == 1
    assert all(counts[s.sample_id] == 0 for s in others)
    assert len(counts) == 2 + len(others)  # each sample once, whatever its reviews
