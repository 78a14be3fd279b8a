"""A worker killed in the middle of a job (SIGKILL to the worker and all its processes, as an
out-of-memory kill or a lost machine does): the job is re-run by another worker, or failed with
the reason once its attempts are used up; never left `running`, never two runs."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from evaluations.models import EvaluationJob, EvaluationRun
from evaluations.services.jobs import job_queue
from tests.evaluations.factories import (
    AccessWindowFactory,
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    TaskFactory,
)
from tests.evaluations.runner import broker
from tests.integration.worker import start_worker, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def logs(tmp_path):
    with override_settings(CONCORD_LOG_DIR=tmp_path / "logs"):
        broker.purge()
        yield tmp_path
        broker.purge()


@pytest.fixture
def slow_job(institute_a, bob):
    def make(**params):
        project = ProjectFactory()
        ParticipationFactory(project=project, institute=institute_a, role="lead")
        system = AISystemFactory(inspect_model="mockllm/model")
        ProjectSystemFactory(project=project, system=system)
        AccessWindowFactory(project=project, system=system)
        task = TaskFactory(inspect_ref="tests.evaluations.runner.inspect_tasks:slow_task")
        return job_queue(
            project=project,
            task=task,
            system=system,
            institute=institute_a,
            requested_by=bob,
            params={"task_args": {"samples": 16, "seconds": 0.3}, "max_samples": 1, **params},
        )

    return make


def job_state(job_id):
    return EvaluationJob.objects.values(
        "status", "attempts", "progress_done", "error", "run_id"
    ).get(pk=job_id)


def test_a_job_whose_worker_is_killed_is_rerun_by_another_worker(logs, slow_job, bob):
    first = start_worker(logs / "first")
    job = slow_job()  # committed: the message leaves now
    wait_for(
        lambda: job_state(job.pk)["progress_done"] >= 2, 60, first, "see the first attempt run"
    )
    first.kill_hard()
    assert job_state(job.pk)["status"] == "running"  # nobody told the database

    second = start_worker(logs / "second")
    try:
        state = wait_for(
            lambda: (s := job_state(job.pk))["status"] in ("succeeded", "failed") and s,
            90,
            second,
            "see the job finish on the second worker",
        )
    finally:
        second.stop()
    assert state["status"] == "succeeded", state["error"]
    assert state["attempts"] == 2
    assert EvaluationRun.objects.count() == 1
    assert EvaluationRun.objects.get().job.pk == job.pk
    client = APIClient()
    client.force_login(bob)
    assert client.get(f"/api/v1/jobs/{job.pk}/").json()["run"] == state["run_id"]


def test_a_job_killed_on_its_last_attempt_fails_with_the_reason(logs, slow_job):
    first = start_worker(logs / "first")
    job = slow_job()
    EvaluationJob.objects.filter(pk=job.pk).update(max_attempts=1)
    wait_for(lambda: job_state(job.pk)["progress_done"] >= 1, 60, first, "see the job run")
    first.kill_hard()

    second = start_worker(logs / "second")
    try:
        state = wait_for(
            lambda: (s := job_state(job.pk))["status"] != "running" and s,
            60,
            second,
            "see the reaper give up on the job",
        )
    finally:
        second.stop()
    assert state["status"] == "failed"
    assert "stopped answering" in state["error"]
    assert "tried 1 times" in state["error"]
    assert not EvaluationRun.objects.exists()
