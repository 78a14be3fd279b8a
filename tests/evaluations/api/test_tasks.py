"""`/api/v1/tasks/` with import-only tasks and tasks of one project, and `POST /api/v1/jobs/`
refusing them. People: alice (lead at A, which leads `joint`), bob (evaluator at A), vera
(viewer at A), charlie (lead at C, outsider to `joint`, lead of `other`), pm."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from evaluations.models import EvaluationJob, EvaluationTask, Participation
from evaluations.services.tasks import task_register
from tests.evaluations.factories import ParticipationFactory, ProjectFactory
from tests.evaluations.runner import broker

URL = "/api/v1/tasks/"


@pytest.fixture(autouse=True)
def empty_broker():
    broker.purge()
    yield
    broker.purge()


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def other_project(institute_c):
    project = ProjectFactory(slug="other", title="Other")
    ParticipationFactory(project=project, institute=institute_c, role=Participation.Role.LEAD)
    return project


@pytest.mark.parametrize("ref", ["arith", "inspect_evals/nonexistent"])
def test_a_programme_manager_registers_an_import_only_task(pm, ref):
    response = api(pm).post(URL, {"name": ref, "inspect_ref": ref}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["runnable"], body["project"], body["inspect_ref"]) == (False, None, ref)
    assert f"No Inspect task is registered as '{ref}'" in body["runnable_note"]


def test_a_lead_registers_an_import_only_task_of_the_project(project, alice):
    response = api(alice).post(
        URL, {"name": "arith", "inspect_ref": "arith", "project": "joint"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["project"], response.json()["runnable"]) == ("joint", False)
    assert EvaluationTask.objects.get(slug="arith").registered_by == alice


def test_an_evaluator_is_refused_naming_who_may_register(project, bob):
    response = api(bob).post(
        URL, {"name": "arith", "inspect_ref": "arith", "project": "joint"}, format="json"
    )
    assert response.status_code == 403
    assert (
        "Only a lead of project 'joint' or a programme manager"
        in response.json()["error"]["message"]
    )
    without = api(bob).post(URL, {"name": "arith", "inspect_ref": "arith"}, format="json")
    assert without.status_code == 403
    assert "A lead of a project registers" in without.json()["error"]["message"]


def test_an_outsider_cannot_name_the_project(project, charlie):
    response = api(charlie).post(
        URL, {"name": "arith", "inspect_ref": "arith", "project": "joint"}, format="json"
    )
    assert response.status_code == 400
    assert "project" in response.json()["error"]["fields"]
    assert not EvaluationTask.objects.filter(inspect_ref="arith").exists()


def test_a_malformed_reference_is_a_400(pm):
    response = api(pm).post(URL, {"name": "Bad", "inspect_ref": "not a ref"}, format="json")
    assert response.status_code == 400
    assert "is not a task reference" in response.json()["error"]["fields"]["inspect_ref"][0]


def test_the_list_is_scoped_and_filters_by_runnable_and_project(
    project, other_project, qa_task, alice, charlie, vera, pm
):
    mine = task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    theirs = task_register(user=charlie, name="arith", inspect_ref="arith", project=other_project)

    def slugs(user, query=""):
        return {t["slug"] for t in api(user).get(URL + query).json()["results"]}

    assert mine.slug in slugs(vera)
    assert theirs.slug not in slugs(vera)
    assert slugs(vera, "?runnable=false") == {mine.slug}
    assert qa_task.slug in slugs(vera, "?runnable=true")
    assert mine.slug not in slugs(vera, "?runnable=true")
    assert slugs(vera, "?project=joint") == {mine.slug}
    assert api(vera).get(URL + "?runnable=1").status_code == 400
    assert slugs(vera, "?project=other") == set()
    assert slugs(pm, "?project=other") == {theirs.slug}
    assert api(charlie).get(f"{URL}{mine.slug}/").status_code == 404
    detail = api(vera).get(f"{URL}{mine.slug}/").json()
    assert (detail["project"], detail["runnable"]) == ("joint", False)


def test_queueing_an_import_only_task_is_a_400_saying_to_import_its_logs(
    project, target_system, alice, bob
):
    task = task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    response = api(bob).post(
        "/api/v1/jobs/",
        {"project": "joint", "task": task.slug, "system": target_system.pk},
        format="json",
    )
    assert response.status_code == 400, response.json()
    message = response.json()["error"]["fields"]["task"][0]
    assert message.startswith("'arith' is an import-only task: Concord cannot run it here (")
    assert "No Inspect task is registered as 'arith'" in message
    assert message.endswith("Import its logs instead.")
    assert not EvaluationJob.objects.exists()


def test_a_task_of_another_project_cannot_be_queued(
    project, other_project, target_system, charlie, bob, pm, institute_a
):
    from evaluations.services.jobs import job_queue

    theirs = task_register(
        user=charlie,
        name="Slow",
        inspect_ref="tests.evaluations.runner.inspect_tasks:slow_task",
        project=other_project,
    )
    response = api(bob).post(
        "/api/v1/jobs/",
        {"project": "joint", "task": theirs.slug, "system": target_system.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "task" in response.json()["error"]["fields"]
    # The service refuses it too, for whoever may see it (a programme manager).
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="not a task of project 'joint'"):
        job_queue(
            project=project,
            task=theirs,
            system=target_system,
            institute=institute_a,
            requested_by=pm,
        )
