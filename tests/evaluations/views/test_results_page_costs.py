"""What the run page and the results matrix read per request: the run's sample rows counted once
(and not again once its statistics are stored), a judge's flags looked up only for headlines a
judge scored, and bounded queries; the figures stay those of the stored rows."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import EvaluationRun, RunScorer
from evaluations.results import stored
from evaluations.views import runs as run_views
from tests.evaluations.factories import ReviewLabelFactory, SampleReviewFactory, add_samples
from tests.evaluations.results_world import build_results_world, make_run


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


def run_url(run, **query) -> str:
    url = reverse("runs:detail", kwargs={"run_id": run.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def store_statistics(run: EvaluationRun) -> None:
    """What ingestion stores once the run's samples are written."""
    run.score_moments = stored.run_summary_for_storage(run, {"match"}, metrics={"accuracy"})
    run.save(update_fields=["score_moments"])


def row_counts(sql: list[str]) -> int:
    count = 'SELECT COUNT(*) AS "__count" FROM "evaluations_sampleresult"'
    return sum(1 for q in sql if q.startswith(count))


def shown_of(body: str) -> tuple[str, str]:
    """("shown", "of") of the samples card's "120 shown of 120"."""
    match = re.search(r"([\d,]+) shown of ([\d,]+)", body)
    assert match, body
    return match.group(1), match.group(2)


def test_the_run_page_counts_its_sample_rows_once(client, rw, vera):
    run = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0] * 60)
    client.force_login(vera)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(run_url(run)).content.decode()
    assert row_counts([q["sql"] for q in queries.captured_queries]) == 1
    assert shown_of(body) == ("120", "120")
    assert "0 / 120" in body
    assert "Page 1 of 3" in body


def test_a_filtered_page_counts_what_it_shows_and_reviews_count_every_row(client, rw, vera):
    run = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0, 0] * 40)
    store_statistics(run)
    client.force_login(vera)
    body = client.get(run_url(run, score="correct")).content.decode()
    assert shown_of(body) == ("40", "120")
    assert "0 / 120" in body


def test_a_run_with_stored_statistics_is_not_counted_again(client, rw, vera, bob):
    run = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0] * 60)
    store_statistics(run)
    label = ReviewLabelFactory(slug="refusal")
    for sample in run.samples.order_by("pk")[:3]:
        SampleReviewFactory(sample=sample, reviewer=bob, label=label)
    client.force_login(vera)
    first = client.get(run_url(run)).content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get(run_url(run)).content.decode()
    assert row_counts([q["sql"] for q in queries.captured_queries]) == 0
    for body in (first, again):
        assert shown_of(body) == ("120", "120")
        assert "3 / 120" in body
        assert "Page 1 of 3" in body


def test_a_run_without_stored_statistics_shows_rows_added_later(client, rw, vera):
    run = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0, 1])
    client.force_login(vera)
    assert shown_of(client.get(run_url(run)).content.decode()) == ("3", "3")
    add_samples(run, {"extra-1": 1.0, "extra-2": 0.0})
    assert shown_of(client.get(run_url(run)).content.decode()) == ("5", "5")


def test_the_cached_count_belongs_to_one_run_row(rw):
    run = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0, 1])
    store_statistics(run)
    assert run_views.sample_rows(run) == 3
    # Another run under the same id (a database restored beside the cache) is counted afresh.
    other = EvaluationRun.objects.get(pk=run.pk)
    other.created_at = other.created_at.replace(
        microsecond=(other.created_at.microsecond + 1) % 10**6
    )
    add_samples(run, {"x": 1.0})
    assert run_views.sample_rows(other) == 4
    assert run_views.sample_rows(run) == 3  # the stored run's rows are final: kept
    cache.clear()


def test_sample_links_lead_to_each_sample(client, rw, vera):
    run = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0, 1])
    client.force_login(vera)
    body = client.get(run_url(run)).content.decode()
    for sample in run.samples.all():
        url = reverse("runs:sample_detail", kwargs={"run_id": run.pk, "sample_pk": sample.pk})
        assert f'href="{url}">{sample.sample_id}</a>' in body
        assert client.get(url).status_code == 200


def test_a_judge_headline_is_looked_up_only_when_a_judge_scored_it(client, rw, vera):
    run = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0, 1])
    RunScorer.objects.create(run=run, name="match", judge=False)
    client.force_login(vera)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(run_url(run)).status_code == 200
    judge_lookups = [
        q for q in queries.captured_queries if '"evaluations_runscorer"."judge"' in q["sql"]
    ]
    assert len(judge_lookups) == 1  # the scorers of the score table, read once


def test_run_page_queries(client, rw, bob, django_assert_max_num_queries):
    big = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0] * 300)
    store_statistics(big)
    client.force_login(bob)
    client.get(run_url(big))
    with django_assert_max_num_queries(14):
        assert client.get(run_url(big)).status_code == 200


def test_results_matrix_queries(client, rw, vera, django_assert_max_num_queries):
    for run in EvaluationRun.objects.filter(project=rw.project):
        store_statistics(run)
    client.force_login(vera)
    client.get(reverse("projects:results", kwargs={"slug": rw.project.slug}))
    with django_assert_max_num_queries(13):
        response = client.get(reverse("projects:results", kwargs={"slug": rw.project.slug}))
    assert response.status_code == 200
