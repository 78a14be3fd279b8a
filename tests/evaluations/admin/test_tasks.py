"""The task admin with import-only tasks and tasks of one project: the list shows and filters
both; a programme manager registers a project's task, and makes it global by clearing it."""

from __future__ import annotations

from django.urls import reverse

from evaluations.models import EvaluationTask
from evaluations.services.tasks import task_register


def url(action="changelist", *args):
    return reverse(f"admin:evaluations_evaluationtask_{action}", args=args)


def test_the_list_shows_and_filters_runnable_and_project(
    client, pm, project, alice, qa_task, django_assert_max_num_queries
):
    task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    client.force_login(pm)
    with django_assert_max_num_queries(12):
        response = client.get(url(), {"runnable__exact": "0"})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [t.slug for t in rows] == ["arith"]
    assert "Joint test" in response.content.decode()
    by_project = client.get(url(), {"project__id__exact": project.pk})
    assert [t.slug for t in by_project.context["cl"].result_list] == ["arith"]


def test_a_programme_manager_makes_a_project_task_global_in_the_admin(client, pm, project, alice):
    task = task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    client.force_login(pm)
    response = client.post(
        url("change", task.pk),
        {
            "name": "arith",
            "description": "",
            "inspect_ref": "arith",
            "default_params": "{}",
            "is_active": "on",
            "project": "",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.project is None
    assert not task.runnable  # its reference still does not resolve here


def test_a_programme_manager_registers_a_task_of_a_project_in_the_admin(client, pm, project):
    client.force_login(pm)
    response = client.post(
        url("add"),
        {
            "name": "Own suite",
            "slug": "own-suite",
            "description": "",
            "inspect_ref": "own_suite/arith",
            "default_params": "{}",
            "is_active": "on",
            "project": project.pk,
        },
    )
    assert response.status_code == 302
    task = EvaluationTask.objects.get(slug="own-suite")
    assert (task.project, task.runnable, task.registered_by) == (project, False, pm)
