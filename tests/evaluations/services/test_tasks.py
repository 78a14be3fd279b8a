"""The task registry's writes (evaluations.services.tasks) and reads (tasks_for,
tasks_for_project): import-only tasks, and tasks that belong to one project.

People: alice (lead at A, which leads `joint`), bob (evaluator at A), vera (viewer at A),
charlie (lead at C, outsider to `joint`, lead of his own project `other`), pm."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evaluations.models import EvaluationTask, Participation
from evaluations.selectors.jobs import tasks_for, tasks_for_project
from evaluations.services.tasks import task_make_global, task_register, task_update
from tests.evaluations.factories import ParticipationFactory, ProjectFactory

RUNNABLE_REF = "tests.evaluations.runner.inspect_tasks:slow_task"


@pytest.fixture
def other_project(institute_c):
    project = ProjectFactory(slug="other", title="Other")
    ParticipationFactory(project=project, institute=institute_c, role=Participation.Role.LEAD)
    return project


def test_a_programme_manager_registers_a_global_import_only_task(pm):
    task = task_register(user=pm, name="arith", inspect_ref="arith")
    assert (task.slug, task.inspect_ref, task.project, task.registered_by) == (
        "arith",
        "arith",
        None,
        pm,
    )
    assert task.runnable is False
    assert "No Inspect task is registered as 'arith'" in task.runnable_note


def test_a_reference_that_resolves_makes_a_runnable_task(pm):
    task = task_register(user=pm, name="Slow", inspect_ref=RUNNABLE_REF)
    assert (task.runnable, task.runnable_note) == (True, "")


@pytest.mark.parametrize("ref", ["a:b:c", "two words", "", "pkg/../x:y"])
def test_a_malformed_reference_is_refused(pm, ref):
    with pytest.raises(ValidationError) as exc:
        task_register(user=pm, name="Bad", inspect_ref=ref)
    assert "inspect_ref" in exc.value.message_dict
    assert not EvaluationTask.objects.filter(slug="bad").exists()


def test_a_lead_registers_a_task_of_their_project(project, alice):
    task = task_register(
        user=alice,
        name="inspect_evals/gpqa_diamond",
        inspect_ref="inspect_evals/gpqa_diamond",
        project=project,
    )
    assert task.project == project
    assert task.slug == "inspect_evals-gpqa_diamond"
    assert not task.runnable
    # A reference that resolves is fine too: runnable, but still the project's own.
    runnable = task_register(user=alice, name="Slow", inspect_ref=RUNNABLE_REF, project=project)
    assert (runnable.runnable, runnable.project) == (True, project)


def test_an_evaluator_may_not_register_a_task(project, bob):
    with pytest.raises(PermissionDenied, match="Only a lead of project 'joint'"):
        task_register(user=bob, name="arith", inspect_ref="arith", project=project)


def test_an_outsider_may_not_register_a_task_for_the_project(project, charlie):
    with pytest.raises(PermissionDenied):
        task_register(user=charlie, name="arith", inspect_ref="arith", project=project)


def test_without_a_project_only_a_programme_manager_registers(alice):
    with pytest.raises(PermissionDenied, match="A lead of a project registers tasks"):
        task_register(user=alice, name="arith", inspect_ref="arith")


def test_a_programme_manager_registers_a_task_for_a_project(project, pm):
    task = task_register(user=pm, name="arith", inspect_ref="arith", project=project)
    assert task.project == project


def test_two_projects_may_each_have_a_task_of_the_same_name(project, other_project, alice, charlie):
    mine = task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    theirs = task_register(user=charlie, name="arith", inspect_ref="arith", project=other_project)
    assert (mine.slug, theirs.slug) == ("arith", "other-arith")


def test_a_project_task_that_an_import_could_not_tell_apart_is_refused(project, alice, pm):
    task_register(user=pm, name="arith", inspect_ref="arith")
    with pytest.raises(ValidationError, match="already registered"):
        task_register(user=alice, name="Arith again", inspect_ref="arith", project=project)


def test_a_programme_manager_makes_a_project_task_global(project, alice, pm):
    task = task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    with pytest.raises(PermissionDenied):
        task_make_global(user=alice, task=task)
    task = task_make_global(user=pm, task=task)
    task.refresh_from_db()
    assert task.project is None


def test_making_a_task_global_is_refused_when_another_project_has_its_reference(
    project, other_project, alice, charlie, pm
):
    task = task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    task_register(user=charlie, name="arith", inspect_ref="arith", project=other_project)
    with pytest.raises(ValidationError, match="other-arith"):
        task_make_global(user=pm, task=task)


def test_changing_the_reference_checks_again_whether_it_runs(pm):
    task = task_register(user=pm, name="Later", inspect_ref="later_task")
    assert not task.runnable
    task = task_update(user=pm, task=task, inspect_ref=RUNNABLE_REF)
    assert (task.runnable, task.runnable_note) == (True, "")


# --- reads ---------------------------------------------------------------------------------


def test_tasks_for_shows_global_tasks_and_those_of_visible_projects(
    project, other_project, qa_task, alice, vera, charlie, pm
):
    mine = task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    theirs = task_register(user=charlie, name="arith", inspect_ref="arith", project=other_project)
    assert {mine, qa_task} <= set(tasks_for(vera))
    assert theirs not in tasks_for(vera)
    assert mine not in tasks_for(charlie)
    assert {mine, theirs, qa_task} <= set(tasks_for(pm))


def test_tasks_for_project_holds_global_and_own_tasks(
    project, other_project, qa_task, alice, charlie
):
    mine = task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    theirs = task_register(user=charlie, name="arith", inspect_ref="arith", project=other_project)
    tasks = set(tasks_for_project(project))
    assert {mine, qa_task} <= tasks
    assert theirs not in tasks
    assert mine not in set(tasks_for_project(project, runnable=True))
