"""Pages that list tasks mark import-only ones: the project page's own tasks, the job form
(which does not offer them) and the import form. People from tests/conftest.py."""

from __future__ import annotations

from evaluations.services.tasks import task_register


def test_the_project_page_lists_its_own_tasks_marking_import_only_ones(
    client, project, alice, vera
):
    task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    client.force_login(vera)
    html = client.get("/projects/joint/").content.decode()
    assert "Tasks of this project" in html
    assert 'arith</code> <span class="badge badge-import-only"' in html


def test_the_job_form_offers_no_import_only_task(client, project, target_system, qa_task, alice):
    task = task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    client.force_login(alice)
    response = client.get("/projects/joint/jobs/new/")
    choices = list(response.context["form"].fields["task"].queryset)
    assert qa_task in choices
    assert task not in choices


def test_the_import_form_labels_import_only_tasks(client, project, qa_task, alice):
    task_register(user=alice, name="arith", inspect_ref="arith", project=project)
    client.force_login(alice)
    html = client.get("/projects/joint/runs/import/").content.decode()
    assert "arith (import only)</option>" in html
