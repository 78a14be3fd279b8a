"""Every interval of a score bounded in [0, 1] lies in [0, 1], and every surface serves the same
one: the API (the run and its headline score row), the run page, the results matrix (its page, its
cells and its charts) and the project's CSV and JSON exports.

Walked over every run of the seeded demo (real Inspect runs, ingested with their stored moments)
and over runs with 1, 2 and 5 epochs and 3 to 2,000 samples, of 0/1 and of fractional scores,
with moments aggregated from the sample rows, stored by ingestion, or stored before the smallest
and largest values were recorded.
"""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from rest_framework.test import APIClient

from evaluations import stats
from evaluations.models import EvaluationProject, EvaluationRun
from evaluations.results import scores
from evaluations.results.matrix import build_matrix
from tests.evaluations.factories import (
    AISystemFactory,
    ProjectSystemFactory,
    RunFactory,
    RunScoreFactory,
    TaskFactory,
    add_samples,
)
from tests.evaluations.results.test_one_interval import (
    interval_text,
    page_headline_interval,
    page_primary_row_interval,
    streamed,
)

EPOCHS = (1, 2, 5)
SIZES = (3, 10, 30, 200, 2000)


def _is_bounded(run: EvaluationRun) -> bool:
    return not run.samples.filter(score__isnull=False).exclude(score__gte=0, score__lte=1).exists()


def check_every_surface(project: EvaluationProject, runs: list[EvaluationRun], user) -> int:
    """Assert the same headline interval on every surface for `runs`; returns how many runs the
    matrix shows (the others are older runs of a cell, or replications)."""
    api = APIClient()
    api.force_login(user)
    page = APIClient()
    page.force_login(user)
    served: dict[int, list[float] | None] = {}
    for run in runs:
        detail = api.get(f"/api/v1/runs/{run.pk}/")
        assert detail.status_code == 200, run
        body = detail.json()
        ci = body["primary_ci95"]
        served[run.pk] = ci
        rows = [
            s
            for s in body["scores"]
            if (s["scorer"], s["metric"]) == (run.primary_scorer, run.primary_metric)
        ]
        assert all(s["metric"] != "stderr" for s in body["scores"])
        for row in rows:
            assert row["ci95"] == ci
        html = page.get(f"/runs/{run.pk}/").content.decode()
        if ci is None:
            continue
        if _is_bounded(run):
            assert 0.0 <= ci[0] <= ci[1] <= 1.0, (run, body["primary_ci_method"], ci)
            assert body["primary_ci_method"] != "t"
            for row in body["scores"]:
                if row["ci95"] is not None and row["value"] is not None and 0 <= row["value"] <= 1:
                    assert 0.0 <= row["ci95"][0] <= row["ci95"][1] <= 1.0, row
        assert page_headline_interval(html) == interval_text(*ci)
        if rows:
            assert page_primary_row_interval(html) == interval_text(*ci)

    matrix = build_matrix(project)
    cells = {c.run.pk: c for g in matrix.groups for r in g.rows for c in r.cells if c.run}
    points = {p["run"]: p for chart in matrix.charts() for p in chart["points"]}
    results_page = page.get(f"/projects/{project.slug}/results/").content.decode()
    csv_rows = {
        int(r["run_id"]): r
        for r in csv.DictReader(
            io.StringIO(streamed(page.get(f"/projects/{project.slug}/results.csv")))
        )
        if r["run_id"]
    }
    json_cells = {
        c["run_id"]: c
        for c in json.loads(streamed(page.get(f"/projects/{project.slug}/results.json")))["cells"]
        if c.get("run_id")
    }
    shown = 0
    for run_id, cell in cells.items():
        if run_id not in served:
            continue
        shown += 1
        ci = served[run_id]
        assert (list(cell.ci) if cell.ci else None) == ci
        row, exported = csv_rows[run_id], json_cells[run_id]
        if ci is None:
            assert (row["ci_low"], exported["ci_low"]) == ("", None)
            continue
        assert [float(row["ci_low"]), float(row["ci_high"])] == ci
        assert [exported["ci_low"], exported["ci_high"]] == ci
        assert row["ci_method"] == exported["ci_method"] == cell.ci_method
        assert [points[run_id]["low"], points[run_id]["high"]] == ci
        assert interval_text(*ci, digits=2) in results_page
    return shown


def _samples(rng: random.Random, n: int, epochs: int, fractional: bool) -> dict[str, list[float]]:
    """n samples of `epochs` epochs, correlated within a sample (each has its own chance)."""
    out = {}
    for i in range(n):
        chance = rng.betavariate(1.5, 0.6)
        if fractional:
            out[f"s{i}"] = [
                round(min(1.0, max(0.0, rng.gauss(chance, 0.1))), 3) for _ in range(epochs)
            ]
        else:
            out[f"s{i}"] = [float(rng.random() < chance) for _ in range(epochs)]
    return out


@pytest.fixture
def project(institute_a):
    from evaluations.models import Participation
    from tests.evaluations.factories import ParticipationFactory, ProjectFactory

    project = ProjectFactory(slug="bounded-everywhere")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    return project


def test_every_size_and_epoch_count_gives_one_interval_inside_the_unit_interval(
    project, institute_a, vera
):
    rng = random.Random(14)
    runs = []
    for index, (epochs, n, fractional) in enumerate(
        (e, n, f) for e in EPOCHS for n in SIZES for f in (False, True)
    ):
        samples = _samples(rng, n, epochs, fractional)
        values = [v for per_epoch in samples.values() for v in per_epoch]
        mean = sum(values) / len(values)
        system = AISystemFactory(name=f"System {index}")
        ProjectSystemFactory(project=project, system=system)
        run = RunFactory(
            project=project,
            task=TaskFactory(name=f"Task {index}"),
            system=system,
            institute=institute_a,
            primary_scorer="match",
            primary_metric="accuracy",
            primary_value=mean,
            primary_stderr=0.3,
            sample_count=n,
            epochs=epochs,
        )
        add_samples(run, samples)
        RunScoreFactory(run=run, value=mean, stderr=0.3, scored_samples=n)
        RunScoreFactory(run=run, metric="stderr", value=0.3, stderr=None, scored_samples=n)
        kept = index % 3  # 0: aggregated from the rows; 1: stored; 2: stored without bounds
        if kept:
            run.score_moments = scores.moments_for_storage(run, ["match"])
            if kept == 2:
                stored = [run.score_moments["score"], *run.score_moments["scorers"].values()]
                for moments in filter(None, stored):
                    del moments["low"], moments["high"]
            run.save(update_fields=["score_moments"])
        runs.append(run)
        summary = scores.run_score_summaries([run.pk])[run.pk]
        assert summary.method == (
            "wilson" if epochs == 1 and not fractional else stats.EFFECTIVE_WILSON
        )
    assert check_every_surface(project, runs, vera) == len(runs)


@pytest.fixture
def demo(db, settings, tmp_path):
    from evaluations.seed import seed_project
    from evaluations.seed_runs import seed_demo_runs
    from institutes.seed import seed_institutes

    settings.CONCORD_LOG_DIR = tmp_path
    people = seed_institutes()
    project = seed_project(people)
    seed_demo_runs(people, project)
    return people, project


def test_every_run_of_the_seeded_demo_gives_one_interval_inside_the_unit_interval(demo):
    people, project = demo
    runs = list(EvaluationRun.objects.filter(project=project).order_by("pk"))
    assert runs
    assert all(run.score_moments for run in runs)  # ingestion stored them
    assert check_every_surface(project, runs, people.users["bob"]) > 0
