"""Importing logs of import-only tasks: tasks institutes run on their own machines that Concord
cannot run here (`arith`, `inspect_evals/...`). The log's task name is the task's identity; only
the global tasks and the project's own are matched; the import page offers a lead to register an
unknown task in the same flow, and tells everyone else who may.

People: alice (lead at A, which leads `joint`), bob (evaluator at A), charlie (lead at C, lead of
the project `other`), pm."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from evaluations.models import EvaluationRun, EvaluationTask, Participation
from evaluations.services.tasks import task_register
from tests.api_clients import bearer, error_of
from tests.evaluations.factories import ParticipationFactory, ProjectFactory
from tests.evaluations.ingestion.helpers import post_log, rows
from tests.evaluations.ingestion.logs import renamed

PAGE = "/projects/joint/runs/import/"
REGISTER = "/projects/joint/runs/import/register-task/"
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json"}


@pytest.fixture(scope="session")
def foreign_logs(qa_logs, tmp_path_factory):
    root = tmp_path_factory.mktemp("foreign-logs")
    return {
        "arith": renamed(qa_logs["eval"], root / "arith.eval", "arith"),
        "inspect_evals/gpqa_diamond": renamed(
            qa_logs["eval"], root / "gpqa.eval", "inspect_evals/gpqa_diamond"
        ),
    }


@pytest.fixture
def other_project(institute_c):
    project = ProjectFactory(slug="other", title="Other")
    ParticipationFactory(project=project, institute=institute_c, role=Participation.Role.LEAD)
    return project


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def form_data(path: Path, institute) -> dict:
    return {"institute": institute.pk, "file": path.open("rb")}


# --- the service and the API ----------------------------------------------------------------


def test_an_unknown_task_is_a_400_naming_it_and_who_registers_it(foreign_logs, world, bob):
    response = post_log(bearer(bob), foreign_logs["arith"])
    assert response.status_code == 400
    [message] = error_of(response)["fields"]["task"]
    assert message == (
        "No evaluation task in Concord matches the log's task 'arith'. A lead of project "
        "'joint' or a programme manager registers it (as an import-only task), or choose the task."
    )
    assert rows() == (0, 0, 0)


@pytest.mark.parametrize("name", ["arith", "inspect_evals/gpqa_diamond"])
def test_a_log_of_an_import_only_task_imports(foreign_logs, world, alice, bob, name):
    task = task_register(user=alice, name=name, inspect_ref=name, project=world)
    assert not task.runnable
    response = post_log(bearer(bob), foreign_logs[name])
    assert response.status_code == 201, response.json()
    run = EvaluationRun.objects.get()
    assert (run.task, run.inspect_task, run.sample_count) == (task, name, 6)


def test_a_global_import_only_task_matches_in_every_project(foreign_logs, world, bob, pm):
    task = task_register(user=pm, name="arith", inspect_ref="arith")
    assert post_log(bearer(bob), foreign_logs["arith"]).status_code == 201
    assert EvaluationRun.objects.get().task == task


def test_another_projects_task_is_not_matched(foreign_logs, world, other_project, bob, charlie, pm):
    theirs = task_register(user=charlie, name="arith", inspect_ref="arith", project=other_project)
    response = post_log(bearer(bob), foreign_logs["arith"])
    assert response.status_code == 400
    assert "No evaluation task in Concord matches" in error_of(response)["fields"]["task"][0]
    # Nor can it be chosen: bob does not see it; a programme manager who does is refused.
    chosen = post_log(bearer(bob), foreign_logs["arith"], task=theirs.slug)
    assert chosen.status_code == 400
    by_pm = post_log(bearer(pm), foreign_logs["arith"], task=theirs.slug)
    assert by_pm.status_code == 400
    assert "is not a task of project 'joint'" in error_of(by_pm)["fields"]["task"][0]
    assert rows() == (0, 0, 0)


# --- the import page ---------------------------------------------------------------------------


def test_a_lead_registers_the_logs_task_from_the_page_then_imports_the_file(
    foreign_logs, world, alice, institute_a
):
    client = signed_in(alice)
    refused = client.post(PAGE, form_data(foreign_logs["arith"], institute_a))
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "No evaluation task in Concord matches the log&#x27;s task &#x27;arith&#x27;" in html
    assert f'action="{REGISTER}"' in html
    assert 'name="task_name" value="arith"' in html
    button = "Register '<span data-register-task-label>arith</span>' as an import-only task"
    assert button in html
    assert not EvaluationTask.objects.filter(inspect_ref="arith").exists()  # nothing silently

    registered = client.post(REGISTER, {"task_name": "arith"}, follow=True)
    assert registered.redirect_chain == [(PAGE, 302)]
    assert "Registered &#x27;arith&#x27; as an import-only task of this project" in (
        registered.content.decode()
    )
    task = EvaluationTask.objects.get(inspect_ref="arith")
    assert (task.project, task.runnable, task.registered_by) == (world, False, alice)

    imported = client.post(PAGE, form_data(foreign_logs["arith"], institute_a))
    run = EvaluationRun.objects.get()
    assert imported.status_code == 302
    assert imported["Location"] == f"/runs/{run.pk}/"
    assert run.task == task


def test_the_xhr_answer_names_the_task_a_lead_may_register(
    foreign_logs, world, alice, bob, institute_a
):
    lead = signed_in(alice).post(PAGE, form_data(foreign_logs["arith"], institute_a), **XHR)
    assert lead.status_code == 400
    assert lead.json()["error"]["register_task"] == "arith"
    evaluator = signed_in(bob).post(PAGE, form_data(foreign_logs["arith"], institute_a), **XHR)
    assert evaluator.status_code == 400
    assert "register_task" not in evaluator.json()["error"]
    assert "A lead of project &#x27;joint&#x27;" not in evaluator.json()["error"]["message"]
    assert (
        "A lead of project 'joint' or a programme manager" in evaluator.json()["error"]["message"]
    )


def test_an_evaluator_reads_who_may_register_and_gets_no_button(
    foreign_logs, world, bob, institute_a
):
    client = signed_in(bob)
    html = client.post(PAGE, form_data(foreign_logs["arith"], institute_a)).content.decode()
    assert "A lead of project &#x27;joint&#x27; or a programme manager registers it" in html
    assert REGISTER not in html
    assert client.post(REGISTER, {"task_name": "arith"}).status_code == 403
    assert not EvaluationTask.objects.filter(inspect_ref="arith").exists()


def test_registering_a_malformed_name_is_refused_with_a_message(world, alice):
    response = signed_in(alice).post(REGISTER, {"task_name": "two words"}, follow=True)
    assert "is not a task reference" in response.content.decode()
    assert not EvaluationTask.objects.filter(name="two words").exists()


def test_the_register_route_takes_only_post(world, alice):
    assert signed_in(alice).get(REGISTER).status_code == 405
