"""Worker pools: who creates, revokes and chooses them; where jobs go; the reaper and the
reconciler with pool jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from evaluations.models import EvaluationJob, Participation, WorkerPool
from evaluations.models.pools import hash_credential
from evaluations.services import jobs as job_services
from evaluations.services.pools import (
    participation_set_pool,
    pool_create,
    pool_revoke,
    pool_set_default,
)
from institutes.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The jobs job services send to Celery (their message goes when the transaction commits)."""
    ids: list[int] = []
    monkeypatch.setattr(job_services, "_enqueue_on_commit", lambda job: ids.append(job.pk))
    return ids


def queue(project, task, system, institute, user, **kwargs):
    return job_services.job_queue(
        project=project,
        task=task,
        system=system,
        institute=institute,
        requested_by=user,
        **kwargs,
    )


def test_a_lead_creates_a_pool_whose_credential_is_shown_once_and_stored_hashed(alice, institute_a):
    pool, raw = pool_create(institute=institute_a, name=" gpu ", by=alice, is_default=True)
    assert raw.startswith("cwp_")
    assert len(raw) > 40
    assert pool.name == "gpu"
    assert pool.is_default
    assert pool.credential_hash == hash_credential(raw)
    assert raw not in pool.credential_prefix + "x"
    assert pool.credential_prefix == raw[:12]
    event = AuditEvent.objects.get(action="worker_pool_created")
    assert event.object_id == str(pool.pk)


def test_only_the_institutes_leads_and_programme_managers_manage_its_pools(
    bob, vera, charlie, pm, institute_a
):
    for user in (bob, vera, charlie):
        with pytest.raises(PermissionDenied):
            pool_create(institute=institute_a, name="x", by=user)
    pool, _ = pool_create(institute=institute_a, name="x", by=pm)
    with pytest.raises(PermissionDenied):
        pool_revoke(pool=pool, by=bob)
    with pytest.raises(PermissionDenied):
        pool_set_default(pool=pool, by=charlie)


def test_names_are_unique_per_institute_and_one_pool_is_the_default(alice, institute_a):
    first, _ = pool_create(institute=institute_a, name="one", by=alice, is_default=True)
    with pytest.raises(ValidationError):
        pool_create(institute=institute_a, name="one", by=alice)
    second, _ = pool_create(institute=institute_a, name="two", by=alice, is_default=True)
    first.refresh_from_db()
    assert not first.is_default
    assert second.is_default
    pool_set_default(pool=first, by=alice)
    second.refresh_from_db()
    assert [p.name for p in WorkerPool.objects.filter(is_default=True)] == ["one"]


def test_jobs_go_to_the_projects_pool_else_the_default_else_concords_workers(
    sent, project, qa_task, target_system, alice, bob, institute_a
):
    job = queue(project, qa_task, target_system, institute_a, bob)
    assert job.pool is None
    assert sent == [job.pk]

    default, _ = pool_create(institute=institute_a, name="default", by=alice, is_default=True)
    job = queue(project, qa_task, target_system, institute_a, bob)
    assert job.pool == default
    assert sent == [sent[0]]

    chosen, _ = pool_create(institute=institute_a, name="chosen", by=alice)
    participation_set_pool(user=alice, project=project, institute=institute_a, pool=chosen)
    job = queue(project, qa_task, target_system, institute_a, bob)
    assert job.pool == chosen

    participation_set_pool(user=alice, project=project, institute=institute_a, pool=None)
    assert queue(project, qa_task, target_system, institute_a, bob).pool == default


def test_a_retry_keeps_its_jobs_pool(
    sent, project, qa_task, target_system, alice, bob, institute_a
):
    chosen, _ = pool_create(institute=institute_a, name="chosen", by=alice)
    participation_set_pool(user=alice, project=project, institute=institute_a, pool=chosen)
    job = queue(project, qa_task, target_system, institute_a, bob)
    EvaluationJob.objects.filter(pk=job.pk).update(status="failed")
    participation_set_pool(user=alice, project=project, institute=institute_a, pool=None)
    job.refresh_from_db()
    retry = job_services.job_retry(job=job, user=bob)
    assert retry.pool == chosen
    assert not sent


def test_only_project_leads_choose_and_only_a_pool_of_that_institute(
    project, alice, bob, charlie, pm, institute_a, institute_b
):
    pool_a, _ = pool_create(institute=institute_a, name="a", by=alice)
    pool_b, _ = pool_create(institute=institute_b, name="b", by=pm)
    with pytest.raises(PermissionDenied):
        participation_set_pool(user=bob, project=project, institute=institute_a, pool=pool_a)
    with pytest.raises(ValidationError, match="not a pool of"):
        participation_set_pool(user=alice, project=project, institute=institute_a, pool=pool_b)
    # alice leads the project: she chooses B's pool for B's jobs too
    participation_set_pool(user=alice, project=project, institute=institute_b, pool=pool_b)
    assert Participation.objects.get(project=project, institute=institute_b).worker_pool == pool_b
    pool_revoke(pool=pool_a, by=alice)
    with pytest.raises(ValidationError, match="revoked"):
        participation_set_pool(user=pm, project=project, institute=institute_a, pool=pool_a)


def test_revoking_a_pool_fails_its_queued_jobs_and_unsets_the_projects_choice(
    sent, project, qa_task, target_system, alice, bob, institute_a
):
    pool, _ = pool_create(institute=institute_a, name="gone", by=alice, is_default=True)
    participation_set_pool(user=alice, project=project, institute=institute_a, pool=pool)
    job = queue(project, qa_task, target_system, institute_a, bob)
    pool_revoke(pool=pool, by=alice)
    job.refresh_from_db()
    pool.refresh_from_db()
    assert job.status == "failed"
    assert "revoked" in job.error
    assert pool.revoked_at is not None
    assert not pool.is_default
    assert Participation.objects.get(project=project, institute=institute_a).worker_pool is None
    assert AuditEvent.objects.filter(action="worker_pool_revoked").count() == 1


def _stale_running(job, minutes=10):
    past = timezone.now() - timedelta(minutes=minutes)
    EvaluationJob.objects.filter(pk=job.pk).update(
        status="running", attempts=1, heartbeat_at=past, started_at=past, worker="gpu-01:1"
    )


def test_the_reaper_requeues_a_silent_pool_job_to_its_pool_without_a_message(
    sent, project, qa_task, target_system, alice, bob, institute_a
):
    pool, _ = pool_create(institute=institute_a, name="p", by=alice, is_default=True)
    job = queue(project, qa_task, target_system, institute_a, bob)
    _stale_running(job)
    assert job_services.jobs_reap()["requeued"] == 1
    job.refresh_from_db()
    assert (job.status, job.pool, job.attempts, job.worker) == ("queued", pool, 1, "")
    assert sent == []


def test_the_reaper_fails_a_silent_job_of_a_revoked_pool(
    sent, project, qa_task, target_system, alice, bob, institute_a
):
    pool, _ = pool_create(institute=institute_a, name="p", by=alice, is_default=True)
    job = queue(project, qa_task, target_system, institute_a, bob)
    _stale_running(job)
    pool_revoke(pool=pool, by=alice)
    assert job_services.jobs_reap()["failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed"
    assert "revoked" in job.error


def test_the_reconciler_skips_pool_jobs(
    sent, project, qa_task, target_system, alice, bob, institute_a
):
    _pool, _ = pool_create(institute=institute_a, name="p", by=alice, is_default=True)
    job = queue(project, qa_task, target_system, institute_a, bob)
    old = timezone.now() - timedelta(days=1)
    EvaluationJob.objects.filter(pk=job.pk).update(enqueued_at=old)
    assert job_services.jobs_reconcile() == 0
    assert sent == []
