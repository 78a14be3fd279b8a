import pytest
from django.urls import reverse

from evaluations.models import EvaluationJob, EvaluationTask
from tests.evaluations.factories import (
    JobFactory,
    RunFactory,
    RunScoreFactory,
    SampleResultFactory,
)
from tests.evaluations.runner import broker

Status = EvaluationJob.Status


@pytest.fixture(autouse=True)
def empty_broker():
    broker.purge()
    yield
    broker.purge()


def url(model, action="changelist", *args):
    return reverse(f"admin:evaluations_{model}_{action}", args=args)


@pytest.fixture
def job(project, qa_task, target_system, institute_a, bob):
    return JobFactory(
        project=project, task=qa_task, system=target_system, institute=institute_a, requested_by=bob
    )


def test_a_programme_manager_registers_a_task_unless_its_reference_is_malformed(client, pm):
    client.force_login(pm)
    data = {
        "name": "Broken",
        "slug": "broken",
        "description": "",
        "inspect_ref": "not a reference!",
        "default_params": "{}",
        "is_active": "on",
    }
    response = client.post(url("evaluationtask", "add"), data)
    assert response.status_code == 200
    assert "is not a task reference" in response.content.decode()
    assert not EvaluationTask.objects.filter(slug="broken").exists()

    data.update(inspect_ref="evaluations.suites.knowledge_qa:missing")
    response = client.post(url("evaluationtask", "add"), data)
    assert response.status_code == 302
    broken = EvaluationTask.objects.get(slug="broken")
    assert not broken.runnable
    assert "has no function 'missing'" in broken.runnable_note

    data.update(
        name="Slow",
        slug="slow",
        inspect_ref="tests.evaluations.runner.inspect_tasks:slow_task",
        default_params='{"limit": 3}',
    )
    response = client.post(url("evaluationtask", "add"), data)
    assert response.status_code == 302
    assert EvaluationTask.objects.get(slug="slow").default_params == {"limit": 3}


def test_bad_default_params_are_a_form_error(client, pm, qa_task):
    client.force_login(pm)
    response = client.post(
        url("evaluationtask", "change", qa_task.pk),
        {"name": qa_task.name, "description": "", "default_params": '{"epochs": 0}'},
    )
    assert response.status_code == 200
    assert "epochs must be between 1 and 100" in response.content.decode()


def test_a_builtin_task_keeps_its_reference(client, pm, qa_task):
    client.force_login(pm)
    page = client.get(url("evaluationtask", "change", qa_task.pk)).content.decode()
    assert 'name="inspect_ref"' not in page  # shown read-only
    response = client.post(
        url("evaluationtask", "change", qa_task.pk),
        {"name": "QA (renamed)", "description": "x", "default_params": "{}", "is_active": "on"},
    )
    assert response.status_code == 302
    qa_task.refresh_from_db()
    assert qa_task.name == "QA (renamed)"
    assert qa_task.inspect_ref == "evaluations.suites.knowledge_qa:concord_knowledge_qa"


def test_jobs_are_cancelled_and_retried_through_admin_actions(client, pm, job):
    failed = JobFactory(
        project=job.project,
        task=job.task,
        system=job.system,
        institute=job.institute,
        status=Status.FAILED,
    )
    client.force_login(pm)
    client.post(url("evaluationjob"), {"action": "cancel_jobs", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.status == Status.CANCELLED
    client.post(url("evaluationjob"), {"action": "retry_jobs", "_selected_action": [failed.pk]})
    assert EvaluationJob.objects.filter(retry_of=failed, status=Status.QUEUED).count() == 1


def test_staff_see_only_jobs_and_runs_of_their_projects(client, alice, job):
    from django.contrib.auth.models import Permission

    alice.is_staff = True
    alice.save()
    alice.user_permissions.set(Permission.objects.filter(content_type__app_label="evaluations"))
    JobFactory()  # another project's
    RunFactory()
    ours = RunFactory(project=job.project)
    client.force_login(alice)
    assert list(client.get(url("evaluationjob")).context["cl"].result_list) == [job]
    assert list(client.get(url("evaluationrun")).context["cl"].result_list) == [ours]


def test_a_run_opens_with_its_scores(client, pm):
    run = RunFactory(scored=True)
    RunScoreFactory(run=run, scorer="pattern", metric="accuracy", value=0.75)
    SampleResultFactory(run=run)
    client.force_login(pm)
    page = client.get(url("evaluationrun", "change", run.pk))
    assert page.status_code == 200
    assert "pattern" in page.content.decode()
    assert client.get(url("evaluationrun"), {"q": "eval"}).status_code == 200
    assert client.get(url("evaluationjob"), {"q": "x"}).status_code == 200
