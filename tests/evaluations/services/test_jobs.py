import contextlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from evaluations.models import AccessWindow, EvaluationJob, EvaluationProject
from evaluations.services.jobs import job_cancel, job_queue, job_retry, jobs_reap, jobs_reconcile
from tests.evaluations.factories import AISystemFactory, JobFactory
from tests.evaluations.runner import broker

Status = EvaluationJob.Status


@pytest.fixture(autouse=True)
def empty_broker():
    broker.purge()
    yield
    broker.purge()


@pytest.fixture
def queue(project, qa_task, target_system, institute_a, bob):
    def queue(**kwargs):
        values = {
            "project": project,
            "task": qa_task,
            "system": target_system,
            "institute": institute_a,
            "requested_by": bob,
            "params": {"limit": 5},
        }
        values.update(kwargs)
        return job_queue(**values)

    return queue


def test_an_evaluator_queues_a_job_and_only_its_id_is_sent_on_commit(
    queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = queue()
        assert broker.sent() == []  # nothing leaves before the commit
    assert job.status == Status.QUEUED
    assert job.params == {"limit": 5}
    assert job.enqueued_at is not None
    assert len(callbacks) == 1
    callbacks[0]()
    assert broker.sent("evals") == [{"task": "evaluations.run_job", "args": [job.pk], "kwargs": {}}]


def test_a_job_whose_transaction_rolls_back_is_never_sent(
    queue, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        queue()
        raise RuntimeError("the request failed after queueing")
    assert callbacks == []
    assert broker.sent() == []
    assert not EvaluationJob.objects.exists()


@pytest.mark.parametrize("who", ["vera", "charlie"])
def test_viewers_and_outsiders_cannot_queue_jobs(queue, who, request):
    with pytest.raises(PermissionDenied, match="evaluator role"):
        queue(requested_by=request.getfixturevalue(who))
    assert not EvaluationJob.objects.exists()


def test_an_evaluator_cannot_queue_for_another_institute(queue, institute_b):
    with pytest.raises(PermissionDenied):
        queue(institute=institute_b)


def test_a_programme_manager_queues_for_a_participating_institute(queue, pm, institute_b):
    assert queue(requested_by=pm, institute=institute_b).institute == institute_b


def test_a_system_outside_the_project_is_refused(queue):
    with pytest.raises(ValidationError, match="not a system of this project"):
        queue(system=AISystemFactory())


def test_a_target_system_outside_its_access_window_is_refused(queue, target_system):
    window = AccessWindow.objects.get(system=target_system)
    window.starts_at = timezone.now() - timedelta(days=10)
    window.ends_at = timezone.now() - timedelta(days=1)
    window.save()
    with pytest.raises(ValidationError, match=r"access window for .* is closed"):
        queue()


def test_a_window_not_yet_open_says_when_it_opens(queue, target_system):
    window = AccessWindow.objects.get(system=target_system)
    window.starts_at = timezone.now() + timedelta(days=1)
    window.ends_at = timezone.now() + timedelta(days=2)
    window.save()
    with pytest.raises(ValidationError, match="opens on"):
        queue()


def test_a_target_system_without_any_window_is_refused(queue, target_system):
    AccessWindow.objects.filter(system=target_system).delete()
    with pytest.raises(ValidationError, match="No access window"):
        queue()


def test_a_reference_system_without_windows_may_always_run(queue, reference_system):
    assert queue(system=reference_system).status == Status.QUEUED


def test_a_reference_system_with_windows_follows_them(queue, reference_system, project):
    AccessWindow.objects.create(
        project=project,
        system=reference_system,
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=2),
    )
    with pytest.raises(ValidationError, match="closed"):
        queue(system=reference_system)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "limit must be between 1"),
        ({"epochs": "3"}, "epochs must be a whole number"),
        ({"temperature": 5}, "temperature must be between 0.0 and 2.0"),
        ({"seed": -1}, "seed must be between 0"),
        ({"limit": True}, "limit must be a whole number"),
        ({"fail_on_error": 2}, "fail_on_error must be true, false"),
        ({"task_args": []}, "task_args must be an object"),
        ({"max_tokns": 10}, "Unknown parameter 'max_tokns'"),
    ],
)
def test_bad_params_are_refused_with_the_reason(queue, params, message):
    with pytest.raises(ValidationError, match=message) as info:
        queue(params=params)
    assert "params" in info.value.message_dict


def test_params_override_the_task_defaults(queue, qa_task):
    qa_task.default_params = {"limit": 10, "epochs": 2}
    qa_task.save()
    job = queue(params={"limit": 3, "temperature": 0.5})
    assert job.params == {"limit": 3, "epochs": 2, "temperature": 0.5}


def test_jobs_are_not_queued_in_a_closed_project(queue, project):
    project.status = EvaluationProject.Status.CLOSED
    project.save()
    with pytest.raises(ValidationError, match="The project is closed"):
        queue()


def test_cancelling_a_queued_job_cancels_it_at_once(queue, bob):
    job = job_cancel(job=queue(), user=bob)
    assert job.status == Status.CANCELLED
    assert job.finished_at is not None


def test_cancelling_a_running_job_asks_its_worker_to_stop(queue, alice):
    job = queue()
    EvaluationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    job = job_cancel(job=job, user=alice)
    assert (job.status, job.cancel_requested) == (Status.RUNNING, True)


def test_a_finished_job_cannot_be_cancelled(queue, bob):
    job = queue()
    EvaluationJob.objects.filter(pk=job.pk).update(status=Status.SUCCEEDED)
    with pytest.raises(ValidationError, match="already succeeded"):
        job_cancel(job=job, user=bob)


def test_a_viewer_cannot_cancel(queue, vera):
    with pytest.raises(PermissionDenied):
        job_cancel(job=queue(), user=vera)


def test_retrying_a_failed_job_queues_a_new_job_with_the_same_settings(
    queue, alice, django_capture_on_commit_callbacks
):
    failed = queue(params={"limit": 2, "seed": 7})
    EvaluationJob.objects.filter(pk=failed.pk).update(status=Status.FAILED, error="boom")
    failed.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        retry = job_retry(job=failed, user=alice)
    assert retry.pk != failed.pk
    assert retry.retry_of == failed
    assert (retry.params, retry.task, retry.system) == (failed.params, failed.task, failed.system)
    assert retry.requested_by == alice
    assert [m["args"] for m in broker.sent()] == [[retry.pk]]


def test_only_failed_or_cancelled_jobs_are_retried(queue, bob):
    with pytest.raises(ValidationError, match="Only failed or cancelled"):
        job_retry(job=queue(), user=bob)


def _running(job, *, beat_seconds_ago, attempts=1, **fields):
    beat = timezone.now() - timedelta(seconds=beat_seconds_ago)
    EvaluationJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING, attempts=attempts, heartbeat_at=beat, started_at=beat, **fields
    )


def test_the_reaper_requeues_a_job_whose_heartbeat_went_stale(
    queue, settings, django_capture_on_commit_callbacks
):
    settings.CONCORD_JOB_STALE_SECONDS = 60
    stale, fresh = queue(), queue()
    _running(stale, beat_seconds_ago=120)
    _running(fresh, beat_seconds_ago=5)
    broker.purge()
    with django_capture_on_commit_callbacks(execute=True):
        counts = jobs_reap()
    assert counts == {"requeued": 1, "failed": 0, "cancelled": 0}
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Status.QUEUED
    assert "attempt 1 lost" in stale.error
    assert fresh.status == Status.RUNNING
    assert [m["args"] for m in broker.sent()] == [[stale.pk]]


def test_the_reaper_fails_a_job_that_used_all_its_attempts(queue, settings):
    settings.CONCORD_JOB_STALE_SECONDS = 60
    job = queue()
    _running(job, beat_seconds_ago=300, attempts=job.max_attempts)
    assert jobs_reap()["failed"] == 1
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert f"tried {job.max_attempts} times" in job.error
    assert job.finished_at is not None


def test_the_reaper_cancels_a_stale_job_whose_cancel_was_requested(queue, settings):
    settings.CONCORD_JOB_STALE_SECONDS = 60
    job = queue()
    _running(job, beat_seconds_ago=300, cancel_requested=True)
    assert jobs_reap()["cancelled"] == 1
    job.refresh_from_db()
    assert job.status == Status.CANCELLED


def test_the_reconciler_resends_jobs_queued_for_too_long(
    queue, settings, django_capture_on_commit_callbacks
):
    settings.CONCORD_JOB_REQUEUE_SECONDS = 600
    old, recent = queue(), queue()
    EvaluationJob.objects.filter(pk=old.pk).update(enqueued_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reconcile() == 1
    old.refresh_from_db()
    assert old.enqueued_at > timezone.now() - timedelta(minutes=1)
    assert [m["args"] for m in broker.sent()] == [[old.pk]]
    assert JobFactory._meta.model.objects.get(pk=recent.pk).status == Status.QUEUED
