"""Exports of the results matrix and of a run's samples, as CSV (formula-neutralised) and JSON,
streamed."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from evaluations import stats
from evaluations.models import SampleResult
from evaluations.results.exports import neutralise
from tests.evaluations.results_world import CYBER, build_results_world, make_run


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    """The results world (tests/evaluations/results_world.py) with the conftest people."""
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


def content(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (-0.5, -0.5),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise_prefixes_text_that_a_spreadsheet_would_evaluate(value, expected):
    assert neutralise(value) == expected


def test_samples_csv_neutralises_formulas_in_every_text_cell(client, rw, vera):
    SampleResult.objects.filter(run=rw.run_a, sample_id="1").update(
        input="=1+1", output="@cmd", target="+A1", error="-boom"
    )
    client.force_login(vera)
    response = client.get(reverse("runs:samples_csv", kwargs={"run_id": rw.run_a.pk}))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(content(response))))
    first = next(r for r in rows if r["sample_id"] == "1")
    assert (first["input"], first["output"], first["target"], first["error"]) == (
        "'=1+1",
        "'@cmd",
        "'+A1",
        "'-boom",
    )
    assert [r["sample_id"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert [r["score"] for r in rows] == ["1.0", "1.0", "1.0", "0.0", "1.0", "0.0"]


def test_a_sample_id_that_looks_like_a_formula_is_neutralised_too(client, rw, vera):
    SampleResult.objects.filter(run=rw.run_a, sample_id="1").update(sample_id="=evil()")
    client.force_login(vera)
    body = content(client.get(reverse("runs:samples_csv", kwargs={"run_id": rw.run_a.pk})))
    assert "'=evil()" in body
    assert "\n=evil()" not in body


def test_samples_json_keeps_values_as_they_are(client, rw, vera):
    SampleResult.objects.filter(run=rw.run_a, sample_id="1").update(input="=1+1")
    client.force_login(vera)
    response = client.get(reverse("runs:samples_json", kwargs={"run_id": rw.run_a.pk}))
    data = json.loads(content(response))
    assert data["run"] == rw.run_a.pk
    assert data["task"] == rw.qa.slug
    assert len(data["samples"]) == 6
    assert data["samples"][0]["input"] == "=1+1"
    assert data["samples"][0]["score"] == 1.0


def test_samples_export_streams_a_large_run_in_few_queries(
    client, rw, vera, django_assert_max_num_queries
):

    big = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0] * 2500)
    client.force_login(vera)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("runs:samples_csv", kwargs={"run_id": big.pk}))
        body = content(response)
    assert body.count("\n") == 5001  # header + 5,000 rows


def test_matrix_csv_has_a_row_per_cell_with_its_interval(client, rw, vera):
    client.force_login(vera)
    response = client.get(reverse("projects:results_csv", kwargs={"slug": rw.project.slug}))
    rows = list(csv.DictReader(io.StringIO(content(response))))
    assert len(rows) == 3  # QA x target, QA x reference, Cyber x target
    cyber = next(r for r in rows if r["task"] == rw.cyber.slug)
    expected = stats.score_summary([float(s) for s in CYBER])
    assert float(cyber["mean"]) == pytest.approx(expected.mean)
    assert float(cyber["ci_low"]) == pytest.approx(expected.ci_low)
    assert float(cyber["ci_high"]) == pytest.approx(expected.ci_high)
    assert cyber["ci_method"] == "wilson"
    assert cyber["system_role"] == "target"
    assert cyber["samples"] == "4"
    assert cyber["run_url"] == f"/runs/{rw.run_cyber.pk}/"


def test_matrix_csv_neutralises_a_task_name_starting_with_a_formula(client, rw, vera):
    rw.qa.name = "=cmd|' /C calc'!A0"
    rw.qa.save()
    client.force_login(vera)
    body = content(client.get(reverse("projects:results_csv", kwargs={"slug": rw.project.slug})))
    assert "'=cmd|" in body
    assert ",=cmd" not in body


def test_matrix_json_follows_the_institute_filter(client, rw, vera):
    client.force_login(vera)
    url = reverse("projects:results_json", kwargs={"slug": rw.project.slug})
    data = json.loads(content(client.get(url + f"?institute={rw.institute_b.code}")))
    assert data["institute"] == rw.institute_b.code
    assert [(c["task"], c["institute"]) for c in data["cells"]] == [(rw.qa.slug, "inst-b")]


def test_exports_are_404_for_outsiders(client, rw, charlie):
    client.force_login(charlie)
    for url in (
        reverse("projects:results_csv", kwargs={"slug": rw.project.slug}),
        reverse("runs:samples_csv", kwargs={"run_id": rw.run_a.pk}),
        reverse("runs:samples_json", kwargs={"run_id": rw.run_a.pk}),
    ):
        assert client.get(url).status_code == 404
