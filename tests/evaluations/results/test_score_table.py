"""The run's score table (run page and API `scores`): `stderr` is the SE of the accuracy row, never
a row; a metric computed on a subgroup of the samples shows that subgroup's n; charts of
proportions keep a fixed 0-1 axis and every whisker in range."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from evaluations.models import Participation
from evaluations.results import scores
from evaluations.results.matrix import _chart_axis, build_matrix
from tests.evaluations.factories import (
    ParticipationFactory,
    ProjectFactory,
    RunFactory,
    RunScoreFactory,
    add_samples,
)


@pytest.fixture
def run(institute_a):
    """A run of 30 samples: 20 harmful, 10 benign, reported as Inspect's safeguards scorer does
    (accuracy, stderr, and accuracy grouped by the sample's `kind`)."""
    project = ProjectFactory(slug="score-table")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    run = RunFactory(
        project=project,
        institute=institute_a,
        primary_scorer="refusal",
        primary_metric="accuracy",
        primary_value=0.8,
        primary_stderr=0.074,
        sample_count=30,
    )
    for i in range(30):
        kind = "harmful" if i < 20 else "benign"
        add_samples(run, {f"s{i}": float(i % 5 != 0)}, metadata={"kind": kind, "index": i})
    for metric, value, stderr in (
        ("accuracy", 0.8, 0.074),
        ("stderr", 0.074, None),
        ("harmful", 0.8, None),
        ("benign", 0.8, None),
    ):
        RunScoreFactory(
            run=run, scorer="refusal", metric=metric, value=value, stderr=stderr, scored_samples=30
        )
    return run


def test_stderr_is_the_accuracy_rows_se_not_a_row(run):
    primary = scores.run_score_summaries([run])[run.pk]
    rows = scores.score_table(run, primary)
    assert [r["score"].metric for r in rows] == ["accuracy", "benign", "harmful"]
    [accuracy] = [r for r in rows if r["primary"]]
    # With per-sample values, the row's SE is the one its interval is built from.
    assert accuracy["stderr"] == primary.stderr


def test_stderr_folds_into_the_accuracy_row_when_the_row_has_none(run):
    run.scores.filter(metric="accuracy").update(stderr=None)
    rows = scores.score_table(run, None)
    assert {r["score"].metric: r["stderr"] for r in rows}["accuracy"] == 0.074


def test_grouped_metrics_show_their_subgroups_n(run):
    rows = {r["score"].metric: r["n"] for r in scores.score_table(run, None)}
    assert rows == {"accuracy": 30, "harmful": 20, "benign": 10}


def test_the_api_and_the_run_page_show_the_subgroup_n_and_no_stderr_row(client, run, vera):
    api = APIClient()
    api.force_login(vera)
    listed = api.get(f"/api/v1/runs/{run.pk}/").json()["scores"]
    assert {s["metric"]: s["scored_samples"] for s in listed} == {
        "accuracy": 30,
        "benign": 10,
        "harmful": 20,
    }
    headline = scores.run_score_summaries([run])[run.pk]
    assert {s["metric"]: s["stderr"] for s in listed}["accuracy"] == headline.stderr
    client.force_login(vera)
    body = client.get(f"/runs/{run.pk}/").content.decode()
    table = body[body.index('id="h-scores"') : body.index("</table>", body.index('id="h-scores"'))]
    cells = re.findall(r"<tr[^>]*>\s*<td>refusal.*?</tr>", table, re.S)
    metrics = [
        next(m for m in re.findall(r"<td>([^<]*)</td>", row) if m != "refusal") for row in cells
    ]
    assert metrics == ["accuracy", "benign", "harmful"]
    assert ">10</td>" in cells[1]
    assert ">20</td>" in cells[2]


def test_proportion_charts_have_a_fixed_unit_axis_holding_every_whisker(run):
    [chart] = build_matrix(run.project).charts()
    assert chart["y"] == {"unit": True, "min": 0.0, "max": 1.0}
    [point] = chart["points"]
    assert 0.0 <= point["low"] <= point["high"] <= 1.0


def test_other_charts_reach_the_highest_whisker():
    axis = _chart_axis(
        [{"mean": 0.9, "low": 0.4, "high": 1.6}, {"mean": 2.0, "low": None, "high": None}]
    )
    assert axis["unit"] is False
    assert axis["min"] == 0.0
    assert axis["max"] >= 2.0
    below = _chart_axis([{"mean": -0.5, "low": -1.2, "high": 0.2}])
    assert below["min"] < -1.2
    assert below["max"] >= 0.2


def test_ingestion_stores_the_subgroup_sizes_so_the_run_page_reads_no_metadata(
    run, django_assert_num_queries
):
    computed = {r["score"].metric: r["n"] for r in scores.score_table(run, None)}
    metrics = set(run.scores.values_list("metric", flat=True))
    run.score_moments = scores.moments_for_storage(run, {"refusal"}, metrics=metrics)
    assert run.score_moments["subgroups"] == {"benign": 10, "harmful": 20}
    run.save(update_fields=["score_moments"])
    fresh = type(run).objects.get(pk=run.pk)
    with django_assert_num_queries(1):  # the run's score rows; no sample row is read
        stored = {r["score"].metric: r["n"] for r in scores.score_table(fresh, None)}
    assert stored == computed
