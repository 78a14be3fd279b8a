"""Comparing two runs: agreement, Cohen's kappa, the paired difference and the disagreements."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from evaluations import stats
from tests.evaluations.factories import RunFactory
from tests.evaluations.results_world import QA_A, QA_B, build_results_world, make_run


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    """The results world (tests/evaluations/results_world.py) with the conftest people."""
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


def compare_url(a, b, **query) -> str:
    url = reverse("runs:compare") + f"?a={a.pk}&b={b.pk}"
    return url + "".join(f"&{k}={v}" for k, v in query.items())


def test_comparison_shows_agreement_kappa_and_the_paired_difference(client, rw, vera):
    client.force_login(vera)
    response = client.get(compare_url(rw.run_a, rw.run_b))
    assert response.status_code == 200
    body = response.content.decode()
    a = [float(x) for x in QA_A]
    b = [float(x) for x in QA_B]
    kappa = stats.cohen_kappa(a, b)
    diff = stats.paired_difference(a, b)
    assert "66.7%" in body  # 4 of 6 pairs agree
    assert f"κ = {kappa.kappa:.3f}" in body
    assert f"paired SE {diff.stderr:.3f}" in body
    assert f"[{diff.ci_low:.3f}, {diff.ci_high:.3f}]" in body
    assert "Difference within error" in body


def test_disagreements_link_to_both_transcripts(client, rw, vera):
    client.force_login(vera)
    body = client.get(compare_url(rw.run_a, rw.run_b)).content.decode()
    rows = re.findall(r"<tr><td>(\w+)</td><td class=\"num\">1</td>", body)
    assert rows == ["2", "6"]  # QA_A and QA_B differ on samples 2 and 6
    a2 = rw.run_a.samples.get(sample_id="2")
    b2 = rw.run_b.samples.get(sample_id="2")
    assert reverse("runs:sample_detail", kwargs={"run_id": rw.run_a.pk, "sample_pk": a2.pk}) in body
    assert reverse("runs:sample_detail", kwargs={"run_id": rw.run_b.pk, "sample_pk": b2.pk}) in body


def test_disagreements_are_paged(client, rw, vera):
    a = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1] * 120)
    b = make_run(rw.project, rw.qa, rw.target, rw.institute_b, [0] * 120)
    client.force_login(vera)
    first = client.get(compare_url(a, b)).content.decode()
    assert "Page 1 of 3" in first
    assert first.count("A’s transcript") == 50
    last = client.get(compare_url(a, b, page=3)).content.decode()
    assert last.count("A’s transcript") == 20
    assert "The runs differ significantly" in first


def test_runs_of_different_tasks_are_refused_with_a_reason(client, rw, vera):
    client.force_login(vera)
    response = client.get(compare_url(rw.run_a, rw.run_cyber))
    assert response.status_code == 400
    assert "only runs of the same task can be compared" in response.content.decode()


def test_comparison_without_runs_shows_the_picker(client, rw, vera):
    client.force_login(vera)
    response = client.get(reverse("runs:compare"))
    assert response.status_code == 200
    assert 'name="a"' in response.content.decode()


def test_comparison_with_a_run_the_user_may_not_see_is_404(client, rw, charlie, vera):
    client.force_login(charlie)
    assert client.get(compare_url(rw.run_a, rw.run_b)).status_code == 404
    client.force_login(vera)
    assert client.get(reverse("runs:compare") + "?a=999999&b=1").status_code == 404


def test_a_run_number_that_is_not_a_number_is_a_form_error(client, rw, vera):
    client.force_login(vera)
    response = client.get(reverse("runs:compare") + f"?a=abc&b={rw.run_b.pk}")
    assert response.status_code == 400
    assert "Give run A as a run number, such as 12." in response.content.decode()


def test_a_run_compared_with_itself_is_refused(client, rw, vera):
    client.force_login(vera)
    response = client.get(compare_url(rw.run_a, rw.run_a))
    assert response.status_code == 400
    body = response.content.decode()
    assert f"Pick another run than run {rw.run_a.pk}: a run is not compared with itself." in body


def test_the_picker_keeps_the_run_already_chosen(client, rw, vera):
    client.force_login(vera)
    response = client.get(reverse("runs:compare") + f"?a={rw.run_a.pk}")
    assert response.status_code == 200
    assert f'name="a" value="{rw.run_a.pk}"' in response.content.decode()


def test_runs_sharing_no_sample_say_only_that_there_is_nothing_to_compare(client, rw, vera):
    empty = RunFactory(
        project=rw.project, task=rw.run_a.task, system=rw.target, institute=rw.institute_b
    )
    client.force_login(vera)
    body = client.get(compare_url(rw.run_a, empty)).content.decode()
    assert "nothing to compare" in body
    assert "score every paired sample the same" not in body


def test_comparison_queries_are_bounded_whatever_the_number_of_samples(
    client, rw, vera, django_assert_max_num_queries
):

    a = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0, 1] * 400)
    b = make_run(rw.project, rw.qa, rw.target, rw.institute_b, [1, 1, 0] * 400)
    client.force_login(vera)
    with django_assert_max_num_queries(14):
        assert client.get(compare_url(a, b)).status_code == 200
