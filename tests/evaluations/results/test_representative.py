"""A cell's representative run: a smoke run on a `limit` never replaces a complete result in the
results page, its charts, the dashboard or the exports; a lead may pin another run (shown with
who and when); partial runs say so everywhere.

Real Inspect logs of the shipped knowledge-QA suite (30 samples) made with a scripted mockllm:
the whole dataset, and `limit=5`. People: alice (lead at A), bob (evaluator at A), vera (viewer
at A), charlie (outsider, lead at C), pm."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.ingestion import run_ingest_log
from evaluations.models import EvaluationRun, PinnedRun
from evaluations.results import comparisons, representative
from evaluations.results.matrix import build_matrix
from evaluations.services.jobs import job_queue
from institutes.models import AuditEvent
from tests.evaluations.factories import RunFactory, add_samples
from tests.evaluations.runner.logs import run_qa

QA_SAMPLES = 30


@pytest.fixture(scope="session")
def qa_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("representative-logs")
    return {"full": run_qa(root / "full", limit=None), "smoke": run_qa(root / "smoke", limit=5)}


@pytest.fixture(autouse=True)
def log_dir(tmp_path, settings):
    settings.CONCORD_LOG_DIR = tmp_path / "logs"
    settings.CONCORD_LOG_DIR.mkdir()


@pytest.fixture
def cell(project, institute_a, target_system, qa_task, qa_runs, alice):
    """The QA task on the target system: a complete run, then a `limit=5` job's run after it."""
    full = run_ingest_log(
        path=qa_runs["full"],
        project=project,
        institute=institute_a,
        source=EvaluationRun.Source.UPLOAD,
        uploaded_by=alice,
    ).run
    job = job_queue(
        project=project,
        task=qa_task,
        system=target_system,
        institute=institute_a,
        requested_by=alice,
        params={"limit": 5},
    )
    smoke = run_ingest_log(
        path=qa_runs["smoke"],
        project=project,
        institute=institute_a,
        source=EvaluationRun.Source.JOB,
        job=job,
    ).run
    # The smoke run finished last: by recency alone it would be the headline.
    EvaluationRun.objects.filter(pk=smoke.pk).update(
        completed_at=full.completed_at + timedelta(minutes=5)
    )
    full.refresh_from_db()
    smoke.refresh_from_db()
    return full, smoke


def _headline(client, project):
    """The cell's run in the page, the charts data and both exports."""
    page = client.get(reverse("projects:results", kwargs={"slug": project.slug}))
    assert page.status_code == 200
    [chart] = page.context["charts"]
    [point] = chart["points"]
    body = b"".join(
        client.get(reverse("projects:results_csv", kwargs={"slug": project.slug})).streaming_content
    ).decode("utf-8-sig")
    [csv_row] = list(csv.DictReader(io.StringIO(body)))
    data = json.loads(
        b"".join(
            client.get(
                reverse("projects:results_json", kwargs={"slug": project.slug})
            ).streaming_content
        )
    )
    [json_cell] = data["cells"]
    [row] = [r for group in page.context["matrix"].groups for r in group.rows]
    [matrix_cell] = [c for c in row.cells if c.run is not None]
    return {
        "page": matrix_cell.run.pk,
        "chart": point["run"],
        "csv": int(csv_row["run_id"]),
        "json": json_cell["run_id"],
        "html": page.content.decode(),
        "csv_row": csv_row,
        "json_cell": json_cell,
    }


def test_ingestion_records_whether_a_run_covers_its_dataset(cell):
    full, smoke = cell
    assert (full.complete, full.dataset_samples, full.sample_count) == (True, QA_SAMPLES, 30)
    assert (smoke.complete, smoke.dataset_samples, smoke.sample_count) == (False, QA_SAMPLES, 5)
    assert smoke.partial_label == "partial: 5 of 30"


def test_a_limit_job_leaves_the_complete_run_as_the_headline_everywhere(
    cell, project, client, alice
):
    full, _smoke = cell
    client.force_login(alice)
    shown = _headline(client, project)
    assert [shown[k] for k in ("page", "chart", "csv", "json")] == [full.pk] * 4
    assert shown["csv_row"]["complete"] == "True"
    assert shown["csv_row"]["pinned"] == "False"
    assert shown["json_cell"]["complete"] is True
    assert shown["json_cell"]["pinned"] is False
    assert shown["json_cell"]["dataset_samples"] == QA_SAMPLES
    assert "data-partial" not in shown["html"]


def test_pinning_through_the_page_changes_the_headline_and_shows_who(cell, project, client, alice):
    _full, smoke = cell
    client.force_login(alice)
    run_page = client.get(reverse("runs:detail", kwargs={"run_id": smoke.pk})).content.decode()
    assert reverse("runs:pin", kwargs={"run_id": smoke.pk}) in run_page
    assert "partial: 5 of 30" in run_page

    response = client.post(reverse("runs:pin", kwargs={"run_id": smoke.pk}))
    assert response.status_code == 302

    shown = _headline(client, project)
    assert [shown[k] for k in ("page", "chart", "csv", "json")] == [smoke.pk] * 4
    assert f"pinned by {alice.display_name}" in shown["html"]
    assert "partial: 5 of 30" in shown["html"]
    assert shown["csv_row"]["pinned"] == "True"
    assert shown["csv_row"]["complete"] == "False"
    assert shown["csv_row"]["pinned_by"] == alice.username
    assert shown["json_cell"]["pinned"] is True
    assert shown["json_cell"]["complete"] is False
    run_page = client.get(reverse("runs:detail", kwargs={"run_id": smoke.pk})).content.decode()
    assert "pinned as the results headline by " + alice.display_name in run_page
    pin = PinnedRun.objects.get()
    assert AuditEvent.objects.filter(table=PinnedRun._meta.db_table, object_id=pin.pk).exists()

    client.post(reverse("runs:unpin", kwargs={"run_id": smoke.pk}))
    assert _headline(client, project)["page"] == _full.pk
    trail = client.get(reverse("project_audit", kwargs={"slug": project.slug})).content.decode()
    assert f"pinned run {smoke.pk} as the headline of its results cell" in trail
    assert f"unpinned run {smoke.pk}" in trail


def test_an_outsider_cannot_pin_and_a_viewer_or_evaluator_is_refused(
    cell, client, charlie, vera, bob
):
    _full, smoke = cell
    url = reverse("runs:pin", kwargs={"run_id": smoke.pk})
    client.force_login(charlie)
    assert client.post(url).status_code == 404
    for person in (vera, bob):
        client.force_login(person)
        assert client.post(url).status_code == 403
    assert not PinnedRun.objects.exists()


def test_a_programme_manager_may_pin(cell, client, pm):
    _full, smoke = cell
    client.force_login(pm)
    assert client.post(reverse("runs:pin", kwargs={"run_id": smoke.pk})).status_code == 302
    assert PinnedRun.objects.get().pinned_by == pm


def test_the_api_says_whether_a_run_is_complete_and_pinned(cell, client, alice):
    full, smoke = cell
    client.force_login(alice)
    client.post(reverse("runs:pin", kwargs={"run_id": full.pk}))
    listed = {r["id"]: r for r in client.get("/api/v1/runs/").json()["results"]}
    assert (listed[full.pk]["complete"], listed[full.pk]["pinned"]) == (True, True)
    assert listed[smoke.pk]["complete"] is False
    assert listed[smoke.pk]["pinned"] is False
    assert listed[smoke.pk]["dataset_samples"] == QA_SAMPLES
    detail = client.get(f"/api/v1/runs/{smoke.pk}/").json()
    assert (detail["complete"], detail["pinned"], detail["dataset_samples"]) == (
        False,
        False,
        QA_SAMPLES,
    )


# --- the rule, without logs ---------------------------------------------------------------


def _run(project, task, system, institute, *, complete=True, minutes=0, n=4, dataset=4):
    run = RunFactory(
        project=project,
        task=task,
        system=system,
        institute=institute,
        complete=complete,
        sample_count=n,
        dataset_samples=dataset,
        completed_at=timezone.now() + timedelta(minutes=minutes),
    )
    add_samples(run, [1.0, 0.0, 1.0, 0.0][:n])
    return run


def test_a_cell_with_only_partial_runs_shows_the_latest_partial_one_marked(
    project, institute_a, target_system, qa_task, client, alice
):
    _run(project, qa_task, target_system, institute_a, complete=False, n=2, minutes=1)
    latest = _run(project, qa_task, target_system, institute_a, complete=False, n=3, minutes=2)
    [rep] = representative.representative_runs(project).values()
    assert rep.run == latest
    assert not rep.pinned
    client.force_login(alice)
    page = client.get(reverse("projects:results", kwargs={"slug": project.slug}))
    assert "partial: 3 of 4" in page.content.decode()
    [chart] = page.context["charts"]
    assert chart["points"][0]["partial"] == "partial: 3 of 4"


def test_a_replication_says_which_side_is_partial(
    project, institute_a, institute_b, target_system, qa_task, alice
):
    _run(project, qa_task, target_system, institute_a)
    newer_smoke = _run(project, qa_task, target_system, institute_a, complete=False, n=2, minutes=3)
    partial_b = _run(project, qa_task, target_system, institute_b, complete=False, n=3)
    [replication] = comparisons.replications_for_project(project, alice)
    assert newer_smoke not in (replication.run_a, replication.run_b)
    assert replication.partial
    assert replication.partial_note == f"B's run {partial_b.pk} is partial: 3 of 4".replace(
        "B", partial_b.institute.code
    )


def test_the_institute_filter_ignores_a_pin_of_another_institutes_run(
    project, institute_a, institute_b, target_system, qa_task, alice
):
    run_a = _run(project, qa_task, target_system, institute_a)
    run_b = _run(project, qa_task, target_system, institute_b)
    PinnedRun.objects.create(
        project=project,
        task=qa_task,
        system=target_system,
        run=run_b,
        pinned_by=alice,
        pinned_at=timezone.now(),
    )
    assert build_matrix(project).groups[0].rows[0].cells[0].run == run_b
    filtered = build_matrix(project, institute=institute_a)
    assert filtered.groups[0].rows[0].cells[0].run == run_a
