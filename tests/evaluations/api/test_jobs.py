from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from evaluations.models import AccessWindow, EvaluationJob, EvaluationTask
from tests.evaluations.factories import JobFactory
from tests.evaluations.runner import broker

Status = EvaluationJob.Status


@pytest.fixture(autouse=True)
def empty_broker():
    broker.purge()
    yield
    broker.purge()


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return client_for


@pytest.fixture
def job_body(project, qa_task, target_system):
    return {
        "project": project.slug,
        "task": qa_task.slug,
        "system": target_system.pk,
        "params": {"limit": 5, "temperature": 0.0},
    }


@pytest.fixture
def job(project, qa_task, target_system, institute_a, bob):
    return JobFactory(
        project=project, task=qa_task, system=target_system, institute=institute_a, requested_by=bob
    )


def test_an_evaluator_queues_a_job_through_the_api(
    api, bob, job_body, institute_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(bob).post("/api/v1/jobs/", job_body, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["institute"] == institute_a.code  # defaulted: bob's only participating institute
    assert body["params"] == {"limit": 5, "temperature": 0.0}
    assert body["task"]["slug"] == "concord-knowledge-qa"
    assert broker.sent("evals") == [
        {"task": "evaluations.run_job", "args": [body["id"]], "kwargs": {}}
    ]


def test_a_viewer_is_refused_with_the_reason(api, vera, job_body):
    response = api(vera).post("/api/v1/jobs/", job_body, format="json")
    assert response.status_code == 403
    assert "evaluator role" in response.json()["error"]["message"]
    assert not EvaluationJob.objects.exists()


def test_an_outsider_cannot_name_the_project(api, charlie, job_body):
    response = api(charlie).post("/api/v1/jobs/", job_body, format="json")
    assert response.status_code == 400
    assert "project" in response.json()["error"]["fields"]


def test_bad_params_are_reported_under_params(api, bob, job_body):
    job_body["params"] = {"epochs": 0, "colour": "red"}
    response = api(bob).post("/api/v1/jobs/", job_body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert any("epochs must be between 1" in m for m in error["fields"]["params"])
    assert any("Unknown parameter 'colour'" in m for m in error["fields"]["params"])


def test_a_closed_access_window_is_reported_under_system(api, bob, job_body, target_system):
    AccessWindow.objects.filter(system=target_system).update(
        starts_at=timezone.now() - timedelta(days=5), ends_at=timezone.now() - timedelta(days=1)
    )
    response = api(bob).post("/api/v1/jobs/", job_body, format="json")
    assert response.status_code == 400
    assert "closed" in response.json()["error"]["fields"]["system"][0]


def test_a_programme_manager_names_the_institute(api, pm, job_body, institute_b):
    response = api(pm).post("/api/v1/jobs/", job_body, format="json")
    assert response.status_code == 400
    assert "institute" in response.json()["error"]["fields"]
    job_body["institute"] = institute_b.code
    assert api(pm).post("/api/v1/jobs/", job_body, format="json").status_code == 201


def test_the_job_list_shows_only_jobs_of_projects_you_see(api, bob, charlie, job):
    assert [j["id"] for j in api(bob).get("/api/v1/jobs/").json()["results"]] == [job.pk]
    assert api(charlie).get("/api/v1/jobs/").json()["results"] == []


def test_the_job_list_runs_a_bounded_number_of_queries(
    api, bob, job, django_assert_max_num_queries
):
    for _ in range(15):
        JobFactory(project=job.project, task=job.task, system=job.system, institute=job.institute)
    client = api(bob)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/jobs/")
    assert response.json()["count"] == 16


def test_jobs_filter_by_status_and_project(api, bob, job):
    other = JobFactory(
        project=job.project, task=job.task, system=job.system, institute=job.institute
    )
    EvaluationJob.objects.filter(pk=other.pk).update(status=Status.FAILED)
    client = api(bob)
    failed = client.get("/api/v1/jobs/", {"status": "failed", "project": job.project.slug})
    assert [j["id"] for j in failed.json()["results"]] == [other.pk]


def test_an_outsider_gets_404_for_a_job(api, charlie, job):
    assert api(charlie).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert api(charlie).post(f"/api/v1/jobs/{job.pk}/cancel/").status_code == 404
    assert api(charlie).post(f"/api/v1/jobs/{job.pk}/retry/").status_code == 404


def test_a_job_detail_shows_progress_and_attempts(api, vera, job):
    EvaluationJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING, progress_done=3, progress_total=12, attempts=1
    )
    body = api(vera).get(f"/api/v1/jobs/{job.pk}/").json()
    assert (body["progress_done"], body["progress_total"], body["progress_percent"]) == (3, 12, 25)
    assert body["attempts"] == 1
    assert body["is_final"] is False


def test_cancel_through_the_api(api, bob, vera, job):
    assert api(vera).post(f"/api/v1/jobs/{job.pk}/cancel/").status_code == 403
    response = api(bob).post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = api(bob).post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert again.status_code == 400
    assert "already cancelled" in again.json()["error"]["message"]


def test_retry_through_the_api_queues_a_new_job(
    api, alice, job, django_capture_on_commit_callbacks
):
    EvaluationJob.objects.filter(pk=job.pk).update(status=Status.FAILED, error="worker lost")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).post(f"/api/v1/jobs/{job.pk}/retry/")
    assert response.status_code == 201
    body = response.json()
    assert body["retry_of"] == job.pk
    assert body["id"] != job.pk
    assert body["requested_by"] == "alice"
    assert [m["args"] for m in broker.sent()] == [[body["id"]]]


def test_anonymous_requests_get_401(api, job):
    assert api(None).get("/api/v1/jobs/").status_code == 401


def test_the_task_list_shows_the_shipped_suites(api, vera):
    slugs = {t["slug"] for t in api(vera).get("/api/v1/tasks/").json()["results"]}
    assert {
        "concord-safeguards-refusals",
        "concord-prompt-injection",
        "concord-knowledge-qa",
    } <= slugs


def test_a_programme_manager_registers_a_task_whose_reference_resolves(api, pm):
    """A reference that does not resolve here makes an import-only task, saying why; a
    malformed one is refused."""
    client = api(pm)
    bad = client.post("/api/v1/tasks/", {"name": "Bad", "inspect_ref": "a:b:c"}, format="json")
    assert bad.status_code == 400
    assert "is not a task reference" in bad.json()["error"]["fields"]["inspect_ref"][0]
    nope = client.post(
        "/api/v1/tasks/",
        {"name": "Nope", "inspect_ref": "evaluations.suites.knowledge_qa:nope"},
        format="json",
    )
    assert nope.status_code == 201
    assert nope.json()["runnable"] is False
    assert "has no function 'nope'" in nope.json()["runnable_note"]
    missing = client.post(
        "/api/v1/tasks/", {"name": "Gone", "inspect_ref": "no_such_package.tasks:x"}, format="json"
    )
    assert "cannot be imported" in missing.json()["runnable_note"]
    unregistered = client.post(
        "/api/v1/tasks/", {"name": "Hub", "inspect_ref": "inspect_evals/gpqa"}, format="json"
    )
    assert unregistered.status_code == 201
    assert "No Inspect task is registered" in unregistered.json()["runnable_note"]
    good = client.post(
        "/api/v1/tasks/",
        {
            "name": "Slow test task",
            "inspect_ref": "tests.evaluations.runner.inspect_tasks:slow_task",
            "default_params": {"limit": 2},
        },
        format="json",
    )
    assert good.status_code == 201, good.json()
    assert good.json()["runnable"] is True
    assert good.json()["project"] is None
    assert EvaluationTask.objects.get(slug="slow-test-task").default_params == {"limit": 2}


def test_a_function_that_is_not_an_inspect_task_is_refused(api, pm):
    response = api(pm).post(
        "/api/v1/tasks/",
        {"name": "Plain", "inspect_ref": "tests.evaluations.runner.inspect_tasks:not_a_task"},
        format="json",
    )
    assert "not an Inspect task" in response.json()["error"]["message"]


def test_only_programme_managers_register_tasks(api, alice):
    response = api(alice).post(
        "/api/v1/tasks/",
        {"name": "Mine", "inspect_ref": "evaluations.suites.knowledge_qa:concord_knowledge_qa"},
        format="json",
    )
    assert response.status_code == 403


def test_under_an_embargo_a_job_names_its_run_only_to_whoever_sees_the_run(
    api, project, target_system, qa_task, institute_a, bob, pm
):
    """The run is a result: a programme manager outside an embargoed project sees the job (the
    project is visible) but not which run it made, since that run answers 404 to them."""
    from tests.evaluations.factories import RunFactory

    run = RunFactory(project=project, system=target_system, task=qa_task, institute=institute_a)
    job = JobFactory(
        project=project,
        system=target_system,
        task=qa_task,
        institute=institute_a,
        status=Status.SUCCEEDED,
        run=run,
    )
    project.embargo_until = timezone.now() + timedelta(days=30)
    project.save()

    def shown(user):
        client = api(user)
        detail = client.get(f"/api/v1/jobs/{job.pk}/").json()
        [listed] = client.get("/api/v1/jobs/").json()["results"]
        return detail["run"], listed["run"], client.get(f"/api/v1/runs/{run.pk}/").status_code

    assert shown(pm) == (None, None, 404)
    assert shown(bob) == (run.pk, run.pk, 200)
    project.embargo_until = timezone.now() - timedelta(days=1)  # the embargo ends
    project.save()
    assert shown(pm) == (run.pk, run.pk, 200)
