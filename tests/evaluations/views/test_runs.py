"""The run page: scores with their intervals, provenance, deviations, reviews, the samples table
(filters, pages) and the log download."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from evaluations import stats
from evaluations.models import Deviation, SampleResult
from tests.evaluations.factories import (
    ReviewLabelFactory,
    SampleReviewFactory,
    add_samples,
)
from tests.evaluations.results_world import QA_A, build_results_world, make_run
from tests.factories import UserFactory


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    """The results world (tests/evaluations/results_world.py) with the conftest people."""
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


def run_url(run, **query) -> str:
    url = reverse("runs:detail", kwargs={"run_id": run.pk})
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def sample_ids_in(body: str) -> list[str]:
    return re.findall(r'/samples/\d+/">([^<]+)</a>', body)


def test_run_page_shows_the_headline_score_with_its_wilson_interval(client, rw, vera):
    client.force_login(vera)
    body = client.get(run_url(rw.run_a)).content.decode()
    expected = stats.score_summary([float(s) for s in QA_A])
    assert expected.method == "wilson"
    assert f"{expected.mean:.3f}" in body
    assert f"[{expected.ci_low:.3f}, {expected.ci_high:.3f}]" in body
    assert "Wilson interval" in body


def test_every_scorer_and_metric_is_listed_and_mean_metrics_get_a_sample_based_ci(client, rw, vera):
    run = rw.run_a
    samples = list(run.samples.order_by("sample_id"))
    for sample, value in zip(samples, ["C", "C", "I", "I", "C", "I"], strict=True):
        sample.scores = {"judge": {"value": value, "explanation": "graded"}}
        sample.save()
    run.scores.create(scorer="judge", metric="accuracy", value=0.5, stderr=0.22, scored_samples=6)
    run.scores.create(scorer="judge", metric="f1", value=0.4, stderr=0.1, scored_samples=6)
    client.force_login(vera)
    body = client.get(run_url(run)).content.decode()
    judge = stats.score_summary([1, 1, 0, 0, 1, 0])
    assert f"[{judge.ci_low:.3f}, {judge.ci_high:.3f}]" in body  # from the sample values
    # From the reported standard error: the judge's values are 0/1, so Wilson at the effective n.
    low, high = stats.effective_wilson_interval(0.4, 0.1, clusters=6)
    assert f"[{low:.3f}, {high:.3f}]" in body
    assert "wilson (reported SE)" in body
    assert body.count("<td>judge") == 2


def test_run_page_shows_tokens_source_job_and_deviations(client, rw, vera):
    rw.run_a.total_tokens, rw.run_a.input_tokens, rw.run_a.output_tokens = 12345, 10000, 2345
    rw.run_a.save()
    Deviation.objects.create(
        run=rw.run_a, description="Prompt translated to French", impact="major"
    )
    Deviation.objects.create(job=rw.job, description="Retry scaffold enabled", impact="minor")
    client.force_login(vera)
    body = client.get(run_url(rw.run_a)).content.decode()
    assert "12,345" in body
    assert "10,000 in, 2,345 out" in body
    assert reverse("jobs:detail", kwargs={"job_id": rw.job.pk}) in body
    assert "Prompt translated to French" in body
    assert "Retry scaffold enabled" in body


def test_run_page_shows_review_coverage_and_agreement(client, rw, vera, alice, bob):
    refusal = ReviewLabelFactory(slug="refusal", name="Refusal")
    correct = ReviewLabelFactory(slug="correct", name="Correct")
    first, second = rw.run_a.samples.order_by("sample_id")[:2]
    SampleReviewFactory(sample=first, reviewer=alice, label=refusal, manual_score=0.0)
    SampleReviewFactory(sample=first, reviewer=bob, label=refusal, manual_score=0.0)
    SampleReviewFactory(sample=second, reviewer=alice, label=correct, manual_score=1.0)
    SampleReviewFactory(sample=second, reviewer=bob, label=refusal)
    client.force_login(vera)
    body = client.get(run_url(rw.run_a)).content.decode()
    assert "2 / 6" in body
    assert "(33.3%)" in body
    assert "reviews by 2 reviewers" in body
    assert "Cohen" in body
    assert "Refusal</span> 3" in body


def test_samples_filter_by_score_and_error(client, rw, vera):
    SampleResult.objects.filter(run=rw.run_a, sample_id="2").update(error="Timeout in sandbox")
    client.force_login(vera)
    correct = sample_ids_in(client.get(run_url(rw.run_a, score="correct")).content.decode())
    assert correct == ["1", "2", "3", "5"]
    incorrect = sample_ids_in(client.get(run_url(rw.run_a, score="incorrect")).content.decode())
    assert incorrect == ["4", "6"]
    errored = client.get(run_url(rw.run_a, error="yes")).content.decode()
    assert sample_ids_in(errored) == ["2"]
    assert "Timeout in sandbox" in errored
    assert len(sample_ids_in(client.get(run_url(rw.run_a, error="no")).content.decode())) == 5


def test_samples_are_paginated_and_filters_survive_the_pages(client, rw, vera):
    run = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1] * 120)
    client.force_login(vera)
    first = client.get(run_url(run, score="correct")).content.decode()
    assert len(sample_ids_in(first)) == 50
    assert "Page 1 of 3" in first
    assert "score=correct&amp;page=2" in first
    third = client.get(run_url(run, score="correct", page=3)).content.decode()
    assert len(sample_ids_in(third)) == 20


def test_outsider_gets_404_for_a_run(client, rw, charlie):
    client.force_login(charlie)
    assert client.get(run_url(rw.run_a)).status_code == 404


def test_run_page_queries_are_bounded_whatever_the_number_of_samples_and_runs(
    client, rw, bob, django_assert_max_num_queries
):
    label = ReviewLabelFactory(slug="refusal")
    big = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0] * 300)
    for sample in big.samples.all()[:40]:
        SampleReviewFactory(sample=sample, reviewer=UserFactory(), label=label)
    for _ in range(15):
        make_run(rw.project, rw.qa, rw.reference, rw.institute_b, [1, 0, 1])
    client.force_login(bob)
    with django_assert_max_num_queries(20):
        assert client.get(run_url(big)).status_code == 200


# --- the log file ---------------------------------------------------------------------------


@pytest.fixture
def log_file(rw):
    folder = settings.CONCORD_LOG_DIR / "tests-results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{rw.run_a.pk}.eval"
    path.write_bytes(b"PK\x03\x04 pretend archive " * 1000)
    rw.run_a.log_file = f"tests-results/run-{rw.run_a.pk}.eval"
    rw.run_a.save(update_fields=["log_file"])
    yield path
    path.unlink(missing_ok=True)


def test_log_download_streams_the_file_as_an_attachment(client, rw, vera, log_file):
    client.force_login(vera)
    response = client.get(reverse("runs:log", kwargs={"run_id": rw.run_a.pk}))
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == log_file.read_bytes()
    assert f'filename="concord-run-{rw.run_a.pk}.eval"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")


def test_log_download_is_404_for_outsiders_and_when_the_file_is_gone(
    client, rw, vera, charlie, log_file
):

    url = reverse("runs:log", kwargs={"run_id": rw.run_a.pk})
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    log_file.unlink()
    client.force_login(vera)
    assert client.get(url).status_code == 404


def test_log_download_refuses_a_name_escaping_the_log_directory(client, rw, vera):
    rw.run_a.log_file = "../../etc/passwd"
    rw.run_a.save(update_fields=["log_file"])
    client.force_login(vera)
    response = client.get(reverse("runs:log", kwargs={"run_id": rw.run_a.pk}))
    assert response.status_code == 404


def test_run_with_samples_added_later_shows_them(client, rw, vera):
    add_samples(rw.run_cyber, {"extra-1": 1.0})
    client.force_login(vera)
    assert "extra-1" in client.get(run_url(rw.run_cyber)).content.decode()
