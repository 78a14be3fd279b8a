from datetime import timedelta

import pytest
from django.utils import timezone
from inspect_ai.log import read_eval_log
from rest_framework.test import APIClient

from evaluations.ingestion import run_ingest_log
from evaluations.models import EvaluationRun
from tests.evaluations.factories import RunFactory, SampleResultFactory
from tests.evaluations.runner.logs import run_qa


@pytest.fixture(scope="session")
def qa_log(tmp_path_factory):
    return run_qa(tmp_path_factory.mktemp("api-runs"), limit=6, epochs=2)


@pytest.fixture
def run(qa_log, project, institute_a, target_system, qa_task):
    return run_ingest_log(
        path=qa_log, project=project, institute=institute_a, source=EvaluationRun.Source.UPLOAD
    ).run


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient()
        client.force_login(user)
        return client

    return client_for


def test_a_run_shows_every_score_with_its_standard_error_and_interval(api, vera, run, qa_log):
    log = read_eval_log(str(qa_log), header_only=True)
    body = api(vera).get(f"/api/v1/runs/{run.pk}/").json()
    accuracy = log.results.scores[0].metrics["accuracy"]
    assert body["primary_metric"] == "accuracy"
    assert body["primary_value"] == pytest.approx(accuracy.value)
    scores = {(s["scorer"], s["metric"]): s for s in body["scores"]}
    # Every metric but `stderr`, which is the accuracy row's standard error.
    assert set(scores) == {
        (s.name, m) for s in log.results.scores for m in s.metrics if m != "stderr"
    }
    main = scores["pattern", "accuracy"]
    assert main["stderr"] == pytest.approx(log.results.scores[0].metrics["stderr"].value)
    low, high = main["ci95"]
    assert low < main["value"] < high
    assert (body["sample_count"], body["epochs"]) == (6, 2)
    assert body["total_tokens"] > 0


def test_an_outsider_gets_404_for_a_run_and_its_samples(api, charlie, run):
    assert api(charlie).get(f"/api/v1/runs/{run.pk}/").status_code == 404
    assert api(charlie).get(f"/api/v1/runs/{run.pk}/samples/").status_code == 404
    assert api(charlie).get("/api/v1/runs/").json()["results"] == []


def test_an_embargo_keeps_runs_from_a_non_participating_programme_manager(api, pm, bob, run):
    run.project.embargo_until = timezone.now() + timedelta(days=30)
    run.project.save()
    assert api(pm).get(f"/api/v1/runs/{run.pk}/").status_code == 404
    assert api(bob).get(f"/api/v1/runs/{run.pk}/").status_code == 200


def test_samples_are_cursor_paginated_in_a_stable_order(api, bob, run):
    client = api(bob)
    seen = []
    url = f"/api/v1/runs/{run.pk}/samples/?page_size=5"
    while url:
        page = client.get(url).json()
        assert "count" not in page  # a cursor, not page numbers
        seen.extend((s["sample_id"], s["epoch"]) for s in page["results"])
        url = page["next"]
    assert len(seen) == 12  # 6 samples x 2 epochs
    assert len(set(seen)) == 12


def test_samples_filter_by_score_error_and_epoch(api, bob, run):
    client = api(bob)
    url = f"/api/v1/runs/{run.pk}/samples/"
    correct = client.get(url, {"score": 1}).json()["results"]
    wrong = client.get(url, {"score_max": 0}).json()["results"]
    assert len(correct) + len(wrong) == 12
    assert {s["score"] for s in correct} == {1.0}
    # the scripted model answers even-numbered questions correctly
    assert all(int(s["sample_id"].split("-")[1]) % 2 == 0 for s in correct)
    assert len(client.get(url, {"epoch": 2}).json()["results"]) == 6
    assert client.get(url, {"has_error": "true"}).json()["results"] == []
    bad = client.get(url, {"epoch": "two"})
    assert bad.status_code == 400


def test_a_sample_with_an_error_is_found_by_the_error_filter(api, bob):
    run = RunFactory()
    ok = SampleResultFactory(run=run)
    broken = SampleResultFactory(run=run, error="Model API timed out", score=None)
    run.project.participations.create(institute=bob.memberships.get().institute)
    client = api(bob)
    url = f"/api/v1/runs/{run.pk}/samples/"
    assert [s["id"] for s in client.get(url, {"has_error": "true"}).json()["results"]] == [
        broken.pk
    ]
    assert [s["id"] for s in client.get(url, {"has_error": "false"}).json()["results"]] == [ok.pk]


def test_run_and_sample_lists_run_a_bounded_number_of_queries(
    api, bob, run, django_assert_max_num_queries
):
    for _ in range(10):
        RunFactory(project=run.project, institute=run.institute, task=run.task, system=run.system)
    client = api(bob)
    with django_assert_max_num_queries(9):  # one of them the page's scorers (prefetched)
        assert client.get("/api/v1/runs/").json()["count"] == 11
    with django_assert_max_num_queries(8):
        assert len(client.get(f"/api/v1/runs/{run.pk}/samples/").json()["results"]) == 12
    with django_assert_max_num_queries(9):  # one run: its scores, its job, whether it is pinned
        client.get(f"/api/v1/runs/{run.pk}/")


def test_runs_filter_by_project_status_and_system(api, bob, run):
    client = api(bob)
    ours = client.get("/api/v1/runs/", {"project": run.project.slug, "status": "success"})
    assert [r["id"] for r in ours.json()["results"]] == [run.pk]
    assert client.get("/api/v1/runs/", {"system": run.system.pk + 999}).json()["results"] == []


def test_runs_list_and_detail_name_the_job_that_produced_each_run(api, bob, run):
    from tests.evaluations.factories import JobFactory

    upload = RunFactory(
        project=run.project, institute=run.institute, task=run.task, system=run.system
    )
    job = JobFactory(
        project=run.project, institute=run.institute, task=run.task, system=run.system, run=run
    )
    client = api(bob)
    listed = {r["id"]: r["job"] for r in client.get("/api/v1/runs/").json()["results"]}
    assert listed == {run.pk: job.pk, upload.pk: None}
    assert client.get(f"/api/v1/runs/{run.pk}/").json()["job"] == job.pk
    assert client.get(f"/api/v1/runs/{upload.pk}/").json()["job"] is None


def test_filtering_runs_by_several_statuses_lists_each_run_once(api, bob, run):
    RunFactory(
        project=run.project,
        institute=run.institute,
        task=run.task,
        system=run.system,
        status=EvaluationRun.Status.ERROR,
    )
    body = api(bob).get("/api/v1/runs/", {"status": ["success", "error"]}).json()
    ids = [r["id"] for r in body["results"]]
    assert body["count"] == len(ids) == len(set(ids)) == 2
