"""The runner in this process: claim, fork the evaluation child, supervise, record. These tests
commit (transactional_db): the supervisor closes database connections before it forks. The
serialized rollback puts back the rows migrations wrote (domains, built-in tasks) for later tests."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from inspect_ai.log import read_eval_log

from evaluations.models import AccessWindow, EvaluationJob, EvaluationRun
from evaluations.runner.supervisor import claim, run_job
from tests.evaluations.factories import JobFactory, TaskFactory

Status = EvaluationJob.Status
TEST_TASKS = "tests.evaluations.runner.inspect_tasks"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def fast_supervision(settings, tmp_path):
    settings.CONCORD_LOG_DIR = tmp_path / "logs"
    settings.CONCORD_JOB_HEARTBEAT_SECONDS = 0.5
    settings.CONCORD_JOB_CANCEL_GRACE_SECONDS = 3


@pytest.fixture
def make_job(project, target_system, institute_a, qa_task):
    def make_job(task=qa_task, **kwargs):
        kwargs.setdefault("params", {"limit": 3})
        return JobFactory(
            project=project, task=task, system=target_system, institute=institute_a, **kwargs
        )

    return make_job


def later(seconds, action):
    """Run `action` in another thread (its own database connection) after `seconds`."""

    def run():
        try:
            action()
        finally:
            connection.close()

    timer = threading.Timer(seconds, run)
    timer.start()
    return timer


def test_a_job_runs_inspect_and_its_run_matches_the_log(make_job, settings):
    job = make_job()
    assert run_job(job.pk) == Status.SUCCEEDED
    job.refresh_from_db()
    assert (job.attempts, job.progress_done, job.progress_total) == (1, 3, 3)
    assert job.finished_at is not None
    assert job.log_file.startswith(f"jobs/{job.pk}/attempt-1/")
    log = read_eval_log(str(settings.CONCORD_LOG_DIR / job.log_file))
    run = job.run
    assert run.source == EvaluationRun.Source.JOB
    assert run.inspect_eval_id == log.eval.eval_id
    assert run.sample_count == 3
    assert run.primary_value == log.results.scores[0].metrics["accuracy"].value
    assert log.eval.metadata["concord_job"] == job.pk


def test_a_job_that_is_not_queued_is_not_run_again(make_job):
    job = make_job()
    assert claim(job.pk) is not None
    assert claim(job.pk) is None  # a redelivered message finds it taken
    assert run_job(job.pk) == "not claimed"
    job.refresh_from_db()
    assert job.attempts == 1


def test_cancel_stops_a_running_evaluation_within_seconds(make_job):
    slow = TaskFactory(inspect_ref=f"{TEST_TASKS}:slow_task")
    job = make_job(task=slow, params={"max_samples": 1})
    later(2.5, lambda: EvaluationJob.objects.filter(pk=job.pk).update(cancel_requested=True))
    started = time.monotonic()
    assert run_job(job.pk) == Status.CANCELLED
    assert time.monotonic() - started < 10  # 40 samples x 0.5 s would take 20 s
    job.refresh_from_db()
    assert 0 < job.progress_done < 40
    assert job.run is None
    assert job.log_file  # the cancelled log is kept with the job


def test_the_job_time_limit_stops_the_evaluation_and_fails_the_job(make_job):
    slow = TaskFactory(inspect_ref=f"{TEST_TASKS}:slow_task")
    job = make_job(task=slow, params={"max_samples": 1, "time_limit": 2})
    assert run_job(job.pk) == Status.FAILED
    job.refresh_from_db()
    assert job.error == "Stopped at the job's time limit (2 s)."


def test_an_evaluation_that_errors_fails_the_job_and_keeps_its_run(make_job):
    failing = TaskFactory(inspect_ref=f"{TEST_TASKS}:failing_task")
    job = make_job(task=failing, params={"max_samples": 1})
    assert run_job(job.pk) == Status.FAILED
    job.refresh_from_db()
    assert "tool environment broke on sample s02" in job.error
    assert job.run.status == EvaluationRun.Status.ERROR


def test_a_task_that_cannot_be_built_fails_with_its_reason(make_job):
    broken = TaskFactory(inspect_ref=f"{TEST_TASKS}:broken_task")
    job = make_job(task=broken)
    assert run_job(job.pk) == Status.FAILED
    job.refresh_from_db()
    assert job.error == "RuntimeError: the dataset server is unreachable"


def test_a_missing_api_key_fails_the_job_before_anything_runs(make_job, target_system):
    target_system.api_key_env = "CONCORD_TEST_NO_SUCH_KEY"
    target_system.save()
    job = make_job()
    assert run_job(job.pk) == Status.FAILED
    job.refresh_from_db()
    assert "no environment variable CONCORD_TEST_NO_SUCH_KEY" in job.error


def test_a_job_whose_window_closed_while_queued_is_not_run(make_job, target_system):
    job = make_job()
    AccessWindow.objects.filter(system=target_system).update(
        ends_at=timezone.now() - timedelta(minutes=1),
        starts_at=timezone.now() - timedelta(days=1),
    )
    assert run_job(job.pk) == Status.FAILED
    job.refresh_from_db()
    assert job.error.startswith("Not run: The access window")
    assert job.log_file == ""


def test_an_attempt_taken_away_by_the_reaper_stops_and_writes_nothing(make_job):
    slow = TaskFactory(inspect_ref=f"{TEST_TASKS}:slow_task")
    job = make_job(task=slow, params={"max_samples": 1})
    later(2, lambda: EvaluationJob.objects.filter(pk=job.pk).update(status=Status.QUEUED))
    started = time.monotonic()
    assert run_job(job.pk) == Status.QUEUED
    assert time.monotonic() - started < 8
    job.refresh_from_db()
    assert job.run is None
    assert not EvaluationRun.objects.exists()
