"""One interval per run: the API, the run page, the results matrix (cells and charts), the dashboard
and the project's CSV and JSON exports give the same headline estimate and 95% interval for the
same run, because they all read it from `evaluations.results.scores`.

Four runs cover the rules: 9 of 10 correct on one epoch (Wilson), two epochs of 0/1 scores and a
fractional score in [0, 1] (Wilson at the effective n of the clustered SE), and a score outside
[0, 1] (t). Each run also reports a standard error of its
own (as Inspect does) whose mean ± t·SE interval differs: no surface may show that one. Pages are
compared at the precision they print; the API, the JSON, the CSV, the matrix and the charts give
the raw numbers, which must be equal.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rest_framework.test import APIClient

from evaluations import stats
from evaluations.models import EvaluationRun, Participation
from evaluations.results import scores
from evaluations.results.matrix import build_matrix
from evaluations.selectors.dashboard import recent_runs
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    RunFactory,
    RunScoreFactory,
    TaskFactory,
    add_samples,
)

NINE_OF_TEN = [1.0] * 9 + [0.0]
TWO_EPOCHS = {
    "1": [1.0, 0.0],
    "2": [1.0, 1.0],
    "3": [0.0, 0.0],
    "4": [1.0, 0.0],
    "5": [1.0, 1.0],
    "6": [0.0, 1.0],
    "7": [1.0, 1.0],
}
CONTINUOUS = [0.2, 0.55, 0.9, 0.35, 0.7, 0.1, 0.65, 0.8]
UNBOUNDED = [2.0, 5.5, 9.0, 3.5, 7.0, 1.0, 6.5, 8.0]

CASES = {
    "nine_of_ten": (NINE_OF_TEN, "wilson"),
    "two_epochs": (TWO_EPOCHS, stats.EFFECTIVE_WILSON),
    "continuous": (CONTINUOUS, stats.EFFECTIVE_WILSON),
    "unbounded": (UNBOUNDED, "t"),
}


def _values(samples) -> list[float]:
    if isinstance(samples, dict):
        return [v for per_epoch in samples.values() for v in per_epoch]
    return list(samples)


@pytest.fixture
def project(institute_a):
    project = ProjectFactory(slug="one-interval")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    return project


def make_run(project, institute, name: str, samples, *, stored: bool) -> EvaluationRun:
    """A successful run of its own task (its own matrix row) holding `samples`, reporting a
    standard error whose interval is not the samples' one. `stored`: with the moments ingestion
    stores, or without (aggregated from the sample rows)."""
    values = _values(samples)
    mean = sum(values) / len(values)
    system = AISystemFactory(name=f"System {name}")
    ProjectSystemFactory(project=project, system=system)
    run = RunFactory(
        project=project,
        task=TaskFactory(name=f"Task {name}"),
        system=system,
        institute=institute,
        primary_scorer="match",
        primary_metric="accuracy",
        primary_value=mean,
        primary_stderr=0.2,
        sample_count=len(samples),
        epochs=2 if isinstance(samples, dict) else 1,
    )
    add_samples(run, samples)
    RunScoreFactory(run=run, value=mean, stderr=0.2, scored_samples=len(samples))
    if stored:
        run.score_moments = scores.moments_for_storage(run, ["match"])
        run.save(update_fields=["score_moments"])
    return run


def interval_text(low: float, high: float, digits: int = 3) -> str:
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


def streamed(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def page_headline_interval(body: str) -> str:
    """The interval printed next to the run page's headline score."""
    match = re.search(r'class="estimate-ci"[^>]*>\s*(\[[^\]]*\])', body)
    assert match, "the run page prints no headline interval"
    return match.group(1)


def page_primary_row_interval(body: str) -> str:
    """The interval printed in the score table's headline row."""
    row = re.search(r'<tr class="primary-row">(.*?)</tr>', body, re.S)
    assert row, "the run page lists no headline row"
    match = re.search(r"(\[-?\d+\.\d+, -?\d+\.\d+\])", row.group(1))
    assert match, "the headline row prints no interval"
    return match.group(1)


@pytest.mark.parametrize("stored", [False, True], ids=["aggregated", "stored-moments"])
@pytest.mark.parametrize("case", list(CASES))
def test_every_surface_gives_the_same_interval_for_the_same_run(
    client, project, institute_a, vera, case, stored
):
    samples, method = CASES[case]
    run = make_run(project, institute_a, case, samples, stored=stored)
    values = _values(samples)
    clusters = list(samples) if isinstance(samples, dict) else None
    if clusters is not None:
        clusters = [sid for sid, per_epoch in samples.items() for _ in per_epoch]
    expected = stats.score_summary(values, clusters=clusters)
    assert expected.method == method
    low, high = expected.ci
    t = stats.critical_value(0.95, method="t", df=run.sample_count - 1)
    reported = (run.primary_value - t * 0.2, run.primary_value + t * 0.2)
    assert interval_text(*reported) != interval_text(low, high)

    # The API: the run, its headline score row, and the runs list.
    api = APIClient()
    api.force_login(vera)
    detail = api.get(f"/api/v1/runs/{run.pk}/").json()
    assert detail["primary_ci95"] == pytest.approx([low, high], abs=1e-12)
    assert detail["primary_ci_method"] == method
    [row] = [s for s in detail["scores"] if (s["scorer"], s["metric"]) == ("match", "accuracy")]
    assert row["ci95"] == detail["primary_ci95"]
    assert row["ci_method"] == method
    listed = {r["id"]: r for r in api.get("/api/v1/runs/").json()["results"]}
    assert listed[run.pk]["primary_ci95"] == detail["primary_ci95"]

    # The run page: the headline and the headline row of the score table, at 3 decimals.
    client.force_login(vera)
    body = client.get(f"/runs/{run.pk}/").content.decode()
    assert page_headline_interval(body) == interval_text(*detail["primary_ci95"])
    assert page_primary_row_interval(body) == interval_text(*detail["primary_ci95"])

    # The results matrix, its charts and the dashboard: the same numbers.
    matrix = build_matrix(project)
    [cell] = [c for g in matrix.groups for r in g.rows for c in r.cells if c.run == run]
    assert list(cell.ci) == detail["primary_ci95"]
    assert cell.ci_method == method
    [point] = [p for chart in matrix.charts() for p in chart["points"] if p["run"] == run.pk]
    assert [point["low"], point["high"]] == detail["primary_ci95"]
    [dashboard] = [r for r in recent_runs(vera) if r["run"].pk == run.pk]
    assert list(dashboard["estimate"].ci) == detail["primary_ci95"]

    # The project's exports: CSV (as printed) and JSON (raw).
    csv_rows = list(
        csv.DictReader(io.StringIO(streamed(client.get(f"/projects/{project.slug}/results.csv"))))
    )
    [csv_row] = [r for r in csv_rows if r["run_id"] == str(run.pk)]
    assert [float(csv_row["ci_low"]), float(csv_row["ci_high"])] == detail["primary_ci95"]
    assert csv_row["ci_method"] == method
    cells = json.loads(streamed(client.get(f"/projects/{project.slug}/results.json")))["cells"]
    [json_cell] = [c for c in cells if c["run_id"] == run.pk]
    assert [json_cell["ci_low"], json_cell["ci_high"]] == detail["primary_ci95"]
    assert json_cell["ci_method"] == method

    # The mean and standard error the interval is built from: the same on every surface, and
    # never the standard error the log reported.
    figures = [detail["primary_value"], detail["primary_stderr"]]
    assert figures == pytest.approx([expected.mean, expected.stderr], abs=1e-12)
    assert detail["primary_stderr"] != pytest.approx(0.2)
    assert [row["value"], row["stderr"]] == figures
    assert [cell.mean, cell.stderr] == figures
    assert [float(csv_row["mean"]), float(csv_row["stderr"])] == figures
    assert [json_cell["mean"], json_cell["stderr"]] == figures
    primary_row = re.search(r'<tr class="primary-row">(.*?)</tr>', body, re.S).group(1)
    printed = re.findall(r'<td class="num">(-?\d+\.\d+)</td>', primary_row)
    assert printed[:2] == [f"{figures[0]:.3f}", f"{figures[1]:.3f}"]


def test_a_run_without_sample_scores_has_no_interval_anywhere(client, project, institute_a, vera):
    """Only the reported figures: no surface builds an interval of its own from them."""
    run = make_run(project, institute_a, "no-samples", NINE_OF_TEN, stored=False)
    run.samples.update(score=None, scores={})  # rows kept, nothing scored
    api = APIClient()
    api.force_login(vera)
    detail = api.get(f"/api/v1/runs/{run.pk}/").json()
    assert (detail["primary_ci95"], detail["primary_ci_method"]) == (None, "")
    assert [s["ci95"] for s in detail["scores"]] == [None]
    [cell] = [c for g in build_matrix(project).groups for r in g.rows for c in r.cells if c.run]
    assert (cell.ci, cell.mean) == (None, run.primary_value)
    client.force_login(vera)
    [csv_row] = csv.DictReader(
        io.StringIO(streamed(client.get(f"/projects/{project.slug}/results.csv")))
    )
    assert (csv_row["ci_low"], csv_row["ci_high"], csv_row["ci_method"]) == ("", "", "")


def test_the_runs_list_reads_every_interval_without_a_query_per_run(
    project, institute_a, vera, django_assert_max_num_queries
):
    api = APIClient()
    api.force_login(vera)

    made = iter(range(100))

    def grow(n: int, *, stored: bool) -> None:
        for _ in range(n):
            make_run(project, institute_a, f"list-{next(made)}", CONTINUOUS, stored=stored)

    grow(2, stored=False)
    grow(2, stored=True)
    with django_assert_max_num_queries(20) as small:
        first = api.get("/api/v1/runs/").json()
    assert all(r["primary_ci95"] is not None for r in first["results"])
    grow(6, stored=False)
    grow(6, stored=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = api.get("/api/v1/runs/").json()
    assert len(page["results"]) == 16
    assert all(r["primary_ci95"] is not None for r in page["results"])
