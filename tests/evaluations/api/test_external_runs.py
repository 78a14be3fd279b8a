"""/api/v1/external-runs/ as concord-client's Inspect hook uses it (the contract with the client):
bearer tokens, JSON, the one error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluations.models import ExternalRun
from tests.api_clients import bearer, error_of
from tests.evaluations.factories import ProjectFactory, RunFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/external-runs/"
FIELDS = {
    "id",
    "url",
    "project",
    "institute",
    "eval_id",
    "run_id",
    "task",
    "model",
    "status",
    "samples_done",
    "samples_total",
    "host",
    "inspect_version",
    "reported_by",
    "started_at",
    "heartbeat_at",
    "finished_at",
    "error",
    "is_stale",
    "run",
}


@pytest.fixture
def body(project, institute_a):
    return {
        "project": project.slug,
        "institute": institute_a.code,
        "eval_id": "Xk3TzQ9bZ2",
        "run_id": "run-7",
        "task": "inspect_evals/arith",
        "model": "mockllm/model",
        "samples_total": 20,
        "host": "gpu-node-3",
        "inspect_version": "0.3.140",
    }


def test_a_report_answers_201_with_the_external_run_then_200_when_retried(bob, body):
    client = bearer(bob)
    created = client.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert set(data) == FIELDS
    assert data["url"] == f"http://testserver/external-runs/{data['id']}/"
    assert (data["project"], data["institute"], data["reported_by"]) == ("joint", "inst-a", "bob")
    assert (data["task"], data["model"], data["run_id"]) == (
        "inspect_evals/arith",
        "mockllm/model",
        "run-7",
    )
    assert (data["status"], data["samples_done"], data["samples_total"]) == ("running", 0, 20)
    assert (data["is_stale"], data["run"], data["finished_at"]) == (False, None, None)
    again = client.post(URL, body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]
    assert ExternalRun.objects.count() == 1


def test_optional_fields_may_be_left_out(bob, body):
    for name in ("run_id", "samples_total", "host", "inspect_version"):
        del body[name]
    response = bearer(bob).post(URL, body, format="json")
    assert response.status_code == 201
    assert (response.json()["samples_total"], response.json()["host"]) == (0, "")


def test_an_eval_id_of_another_project_is_a_400(bob, body, institute_a):
    other = ProjectFactory(slug="other")
    RunFactory(project=other, institute=institute_a, inspect_eval_id=body["eval_id"])
    response = bearer(bob).post(URL, body, format="json")
    assert response.status_code == 400
    assert "eval_id" in error_of(response)["fields"]


def test_invalid_fields_are_400s_naming_them(bob, body):
    body.update(samples_total="20", task="")
    response = bearer(bob).post(URL, body, format="json")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"samples_total", "task"}


def test_a_viewer_gets_403_and_an_outsider_404(vera, charlie, body):
    refused = bearer(vera).post(URL, body, format="json")
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "permission_denied"
    hidden = bearer(charlie).post(URL, body, format="json")
    assert hidden.status_code == 404
    assert error_of(hidden)["code"] == "not_found"


def test_a_read_scope_token_may_not_report(bob, body):
    response = bearer(bob, "read").post(URL, body, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "read_only_token"


def test_progress_only_grows_and_a_final_status_is_final(bob, body):
    client = bearer(bob)
    url = f"{URL}{client.post(URL, body, format='json').json()['id']}/"
    assert client.patch(url, {"samples_done": 12}, format="json").json()["samples_done"] == 12
    late = client.patch(url, {"samples_done": 5}, format="json")
    assert (late.status_code, late.json()["samples_done"]) == (200, 12)
    done = client.patch(url, {"samples_done": 20, "status": "succeeded"}, format="json")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["samples_done"]) == ("succeeded", 20)
    assert done.json()["finished_at"] is not None
    assert client.patch(url, {"status": "succeeded"}, format="json").status_code == 200
    refused = client.patch(url, {"status": "failed"}, format="json")
    assert refused.status_code == 400
    assert "status" in error_of(refused)["fields"]


def test_progress_takes_the_same_rules_as_the_report(bob, vera, charlie, body):
    url = f"{URL}{bearer(bob).post(URL, body, format='json').json()['id']}/"
    assert bearer(vera).patch(url, {"samples_done": 1}, format="json").status_code == 403
    assert bearer(charlie).patch(url, {"samples_done": 1}, format="json").status_code == 404
    assert bearer(bob, "read").patch(url, {"samples_done": 1}, format="json").status_code == 403
    assert bearer(bob).patch(url, {"status": "paused"}, format="json").status_code == 400
    assert bearer(bob).put(url, {"samples_done": 1}, format="json").status_code == 405


def test_the_list_filters_by_project_institute_and_status(bob, vera, charlie, body, project):
    client = bearer(bob)
    first = client.post(URL, body, format="json").json()
    second = client.post(URL, {**body, "eval_id": "other-eval"}, format="json").json()
    client.patch(f"{URL}{second['id']}/", {"status": "failed"}, format="json")
    listed = bearer(vera).get(URL, {"project": project.slug}).json()
    assert set(listed) == {"count", "next", "previous", "results"}
    assert [r["id"] for r in listed["results"]] == [second["id"], first["id"]]
    running = bearer(vera).get(URL, {"status": "running", "institute": "inst-a"}).json()
    assert [r["id"] for r in running["results"]] == [first["id"]]
    assert bearer(vera).get(URL, {"institute": "inst-b"}).json()["count"] == 0
    assert bearer(charlie).get(URL).json()["count"] == 0
    assert bearer(charlie).get(f"{URL}{first['id']}/").status_code == 404
    assert bearer(vera).get(f"{URL}{first['id']}/").json()["eval_id"] == body["eval_id"]
    assert bearer(vera).get(URL, {"ordering": "-score"}).status_code == 400


def test_a_silent_run_is_stale(bob, body, settings):
    settings.CONCORD_EXTERNAL_RUN_STALE_SECONDS = 60
    created = bearer(bob).post(URL, body, format="json").json()
    ExternalRun.objects.filter(pk=created["id"]).update(
        heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    assert bearer(bob).get(f"{URL}{created['id']}/").json()["is_stale"] is True


def test_the_run_is_linked_when_its_log_was_imported_first(bob, body, project, institute_a):
    run = RunFactory(project=project, institute=institute_a, inspect_eval_id=body["eval_id"])
    data = bearer(bob).post(URL, body, format="json").json()
    assert (data["run"], data["status"]) == (run.pk, "succeeded")


def test_the_run_is_hidden_from_who_may_not_see_the_results(bob, pm, body, project, institute_a):
    run = RunFactory(project=project, institute=institute_a, inspect_eval_id=body["eval_id"])
    created = bearer(bob).post(URL, body, format="json").json()
    project.embargo_until = timezone.now() + timedelta(days=30)
    project.save()
    assert bearer(bob).get(f"{URL}{created['id']}/").json()["run"] == run.pk
    assert bearer(pm).get(f"{URL}{created['id']}/").json()["run"] is None
