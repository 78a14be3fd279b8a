"""The worker API with real requests, as `concord worker` sends them (Bearer pool credential,
X-Concord-Worker): claim, heartbeat, log upload, finish, and the ingestion on the `ingest` queue
(run here by calling the task). Isolation: a pool reaches only its own jobs; its credential opens
nothing else; a user's token opens no worker route."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from inspect_ai.log import read_eval_log, write_eval_log
from rest_framework.test import APIClient

from evaluations.models import EvaluationJob, EvaluationRun
from evaluations.services import jobs as job_services
from evaluations.services.pools import participation_set_pool, pool_revoke
from evaluations.tasks import ingest_pool_log
from institutes.services import token_create
from tests.evaluations.ingestion import logs
from tests.evaluations.pools.conftest import worker_client
from tests.evaluations.runner.logs import run_qa

pytestmark = pytest.mark.django_db

W = "/api/v1/worker/"


@pytest.fixture(scope="session")
def qa_log(tmp_path_factory) -> Path:
    return run_qa(tmp_path_factory.mktemp("pool-logs"), limit=4)


@pytest.fixture(autouse=True)
def log_dir(tmp_path, settings):
    settings.CONCORD_LOG_DIR = tmp_path / "logs"
    settings.CONCORD_LOG_DIR.mkdir()
    return settings.CONCORD_LOG_DIR


@pytest.fixture
def ingested(monkeypatch):
    """Finish's ingest message, run at once (as the `ingest` queue's worker would)."""
    calls: list[tuple] = []

    def delay(*args):
        calls.append(args)
        ingest_pool_log(*args)

    monkeypatch.setattr(ingest_pool_log, "delay", delay)
    return calls


@pytest.fixture
def make_job(project, qa_task, target_system, alice, bob, institute_a, institute_b, pm):
    def make(institute=None, pool=None):
        institute = institute or institute_a
        if pool is not None:
            participation_set_pool(user=alice, project=project, institute=institute, pool=pool)
        user = bob if institute == institute_a else pm
        return job_services.job_queue(
            project=project,
            task=qa_task,
            system=target_system,
            institute=institute,
            requested_by=user,
            params={"limit": 4},
        )

    return make


def claim(client, wait=0):
    return client.post(W + "claim/", {"wait": wait}, format="json")


def beat(client, job, attempt=1, **progress):
    return client.post(
        f"{W}jobs/{job.pk}/heartbeat/", {"attempt": attempt, **progress}, format="json"
    )


def upload(client, job, path: Path, attempt=1, eval_id=None):
    eval_id = eval_id or read_eval_log(str(path), header_only=True).eval.eval_id
    return client.put(
        f"{W}jobs/{job.pk}/log/?attempt={attempt}",
        data=path.read_bytes(),
        content_type="application/octet-stream",
        HTTP_X_CONCORD_EVAL_ID=eval_id,
    )


def finish(client, job, attempt=1, status="success", **extra):
    return client.post(
        f"{W}jobs/{job.pk}/finish/",
        {"attempt": attempt, "status": status, **extra},
        format="json",
    )


def test_claim_answers_204_without_a_job_and_200_with_the_pools_oldest_job(
    client_a, pool_a, make_job, target_system
):
    assert claim(client_a).status_code == 204
    first = make_job(pool=pool_a)
    make_job(pool=pool_a)
    response = claim(client_a, wait=0.1)
    assert response.status_code == 200, response.content
    body = response.json()["job"]
    assert (body["id"], body["attempt"]) == (first.pk, 1)
    assert body["spec"]["ref"] == "evaluations.suites.knowledge_qa:concord_knowledge_qa"
    assert "log_dir" not in body["spec"]["eval_kwargs"]
    assert "api_key" not in body["spec"]["eval_kwargs"]["model_args"]
    assert body["spec"]["api_key_env"] == (target_system.api_key_env or "")
    assert body["spec"]["eval_kwargs"]["limit"] == 4
    assert {"heartbeat_seconds", "time_limit_seconds", "cancel_grace_seconds"} <= set(body)
    first.refresh_from_db()
    assert (first.status, first.attempts, first.worker) == ("running", 1, "gpu-01:4242")


def test_a_job_is_claimed_once_when_two_claims_race(client_a, pool_a, make_job):
    job = make_job(pool=pool_a)
    answers = [claim(client_a).status_code, claim(worker_client(pool_a.raw, "b:2")).status_code]
    assert sorted(answers) == [200, 204]
    job.refresh_from_db()
    assert job.attempts == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_threads_claiming_at_once_take_the_job_once(
    project, qa_task, target_system, alice, bob, institute_a
):
    from evaluations.services.pools import pool_create

    _pool, raw = pool_create(institute=institute_a, name="race", by=alice, is_default=True)
    job = job_services.job_queue(
        project=project, task=qa_task, system=target_system, institute=institute_a, requested_by=bob
    )
    codes: list[int] = []
    barrier = threading.Barrier(2)

    def take(host):
        try:
            barrier.wait()
            codes.append(claim(worker_client(raw, host), wait=0.6).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(f"h{i}:1",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 204]
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_waiting_claim_is_woken_by_the_job_queued_for_its_pool_not_by_polling(
    project, qa_task, target_system, alice, bob, institute_a, settings
):
    """The long poll LISTENs for its pool: a job queued while it waits is taken at once, well
    before the claim's next look at the database on its own."""
    import time

    from evaluations.services import pool_wakeup
    from evaluations.services.pools import pool_create

    settings.CONCORD_WORKER_LONG_POLL_SECONDS = 20
    _pool, raw = pool_create(institute=institute_a, name="waiting", by=alice, is_default=True)
    answered: list[tuple[int, float]] = []
    waiting = threading.Event()

    def wait_for_a_job():
        try:
            waiting.set()
            response = claim(worker_client(raw, "idle:1"), wait=15)
            answered.append((response.status_code, time.monotonic()))
        finally:
            connection.close()

    thread = threading.Thread(target=wait_for_a_job)
    thread.start()
    waiting.wait()
    time.sleep(0.5)  # the claim has looked once and now listens
    queued = time.monotonic()
    job = job_services.job_queue(
        project=project, task=qa_task, system=target_system, institute=institute_a, requested_by=bob
    )
    thread.join(timeout=15)
    [(status, at)] = answered
    assert status == 200
    assert at - queued < pool_wakeup.RECHECK_SECONDS / 2
    job.refresh_from_db()
    assert (job.status, job.worker) == ("running", "idle:1")


def test_heartbeat_records_progress_and_says_cancel_once_cancelled(client_a, pool_a, make_job, bob):
    job = make_job(pool=pool_a)
    claim(client_a)
    response = beat(client_a, job, progress_done=2, progress_total=4)
    assert response.status_code == 200
    assert response.json() == {"cancel": False}
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (2, 4)
    job_services.job_cancel(job=job, user=bob)
    assert beat(client_a, job).json() == {"cancel": True}
    assert beat(client_a, job, attempt=2).status_code == 409  # not this attempt
    response = finish(client_a, job, status="cancelled")
    assert response.status_code == 202
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert beat(client_a, job).status_code == 409  # finished: not held


def test_another_pools_job_is_a_404_on_every_worker_route(
    client_a, client_b, pool_a, pool_b, make_job, institute_b, qa_log
):
    job_b = make_job(institute=institute_b, pool=pool_b)
    assert claim(client_a).status_code == 204  # A never sees B's job
    assert claim(client_b).status_code == 200
    assert beat(client_a, job_b).status_code == 404
    assert upload(client_a, job_b, qa_log).status_code == 404
    assert finish(client_a, job_b).status_code == 404
    job_b.refresh_from_db()
    assert job_b.status == "running"
    assert not job_b.log_file


def test_upload_is_201_then_200_and_stored_once(client_a, pool_a, make_job, qa_log, log_dir):
    job = make_job(pool=pool_a)
    claim(client_a)
    first = upload(client_a, job, qa_log)
    assert first.status_code == 201, first.content
    again = upload(client_a, job, qa_log)
    assert again.status_code == 200
    stored = list((log_dir / "jobs" / str(job.pk) / "attempt-1").iterdir())
    assert len(stored) == 1
    assert stored[0].read_bytes() == qa_log.read_bytes()
    job.refresh_from_db()
    assert job.log_file == f"jobs/{job.pk}/attempt-1/{stored[0].name}"
    assert upload(client_a, job, qa_log, attempt=2).status_code == 409


def test_upload_past_the_limit_is_a_413(client_a, pool_a, make_job, qa_log, settings):
    settings.CONCORD_MAX_UPLOAD_BYTES = 100
    job = make_job(pool=pool_a)
    claim(client_a)
    assert upload(client_a, job, qa_log).status_code == 413


def test_finish_ingests_the_log_and_the_job_succeeds_with_the_logs_figures(
    client_a, pool_a, make_job, qa_log, ingested, django_capture_on_commit_callbacks
):
    job = make_job(pool=pool_a)
    claim(client_a)
    beat(client_a, job, progress_done=4, progress_total=4)
    assert upload(client_a, job, qa_log).status_code == 201
    log = read_eval_log(str(qa_log))
    with django_capture_on_commit_callbacks(execute=True):
        response = finish(client_a, job, eval_id=log.eval.eval_id, exit="exit 0")
    assert response.status_code == 202
    assert len(ingested) == 1
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    run = job.run
    assert run.source == EvaluationRun.Source.JOB
    assert run.inspect_eval_id == log.eval.eval_id
    assert run.sample_count == len(log.samples) == 4
    primary = log.results.scores[0]
    assert run.primary_value == pytest.approx(primary.metrics["accuracy"].value)
    assert run.primary_stderr == pytest.approx(primary.metrics["stderr"].value)
    assert run.log_file == job.log_file
    # a repeated finish answers 202 and changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert finish(client_a, job).status_code == 202
    assert len(ingested) == 1
    assert EvaluationRun.objects.count() == 1


def test_a_log_that_is_not_the_jobs_fails_the_job_with_the_reason(
    client_a, pool_a, make_job, qa_log, ingested, tmp_path, django_capture_on_commit_callbacks
):
    other = logs.renamed(qa_log, tmp_path / "other.eval", task="arith")
    job = make_job(pool=pool_a)
    claim(client_a)
    upload(client_a, job, other)
    with django_capture_on_commit_callbacks(execute=True):
        finish(client_a, job)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.run is None
    assert "not this job's" in job.error
    assert "arith" in job.error


def test_a_log_of_another_model_or_eval_id_fails_the_job(
    client_a, pool_a, make_job, qa_log, ingested, tmp_path, django_capture_on_commit_callbacks
):
    log = read_eval_log(str(qa_log))
    log.eval.model = "mockllm/other"
    log.eval.eval_id = "other-model-log"
    write_eval_log(log, str(tmp_path / "model.eval"))
    job = make_job(pool=pool_a)
    claim(client_a)
    upload(client_a, job, tmp_path / "model.eval")
    with django_capture_on_commit_callbacks(execute=True):
        finish(client_a, job)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "mockllm/other" in job.error

    second = make_job(pool=pool_a)
    claim(client_a)
    upload(client_a, second, qa_log)
    with django_capture_on_commit_callbacks(execute=True):
        finish(client_a, second, eval_id="not-the-same")
    second.refresh_from_db()
    assert second.status == "failed"
    assert "eval id" in second.error


def test_crashed_or_logless_attempts_fail_with_the_error(client_a, pool_a, make_job):
    job = make_job(pool=pool_a)
    claim(client_a)
    assert finish(client_a, job, status="crashed", error="boom", exit="SIGKILL").status_code == 202
    job.refresh_from_db()
    assert job.status == "failed"
    assert "boom" in job.error
    assert "SIGKILL" in job.error
    assert finish(client_a, job, status="crashed").status_code == 202  # repeated: no change
    assert finish(client_a, job, attempt=2).status_code == 409


def test_the_job_finished_webhook_fires_for_pool_jobs(client_a, pool_a, make_job, monkeypatch):
    from webhooks import events

    fired: list[int] = []
    monkeypatch.setattr(events, "job_finished", lambda *, job_id: fired.append(job_id))
    job = make_job(pool=pool_a)
    claim(client_a)
    finish(client_a, job, status="crashed", error="boom")
    assert fired == [job.pk]


def test_a_revoked_credential_is_refused_at_once(client_a, pool_a, alice, make_job):
    assert claim(client_a).status_code == 204
    pool_revoke(pool=pool_a, by=alice)
    assert claim(client_a).status_code == 401


def test_a_user_token_gets_403_on_worker_routes_and_a_pool_credential_401_elsewhere(
    alice, client_a, make_job, pool_a
):
    _, raw = token_create(user=alice, name="t")
    user = APIClient()
    user.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    job = make_job(pool=pool_a)
    assert claim(user).status_code == 403
    assert beat(user, job).status_code == 403
    assert finish(user, job).status_code == 403
    anonymous = APIClient()
    assert claim(anonymous).status_code == 401
    for path in ("/api/v1/projects/", "/api/v1/jobs/", f"/api/v1/jobs/{job.pk}/", "/api/v1/"):
        assert client_a.get(path).status_code in (401, 403), path
    assert client_a.post("/api/v1/jobs/", {}, format="json").status_code in (401, 403)


def test_the_reaper_requeues_a_silent_claimed_job_to_the_same_pool(client_a, pool_a, make_job):
    job = make_job(pool=pool_a)
    claim(client_a)
    past = timezone.now() - timedelta(hours=1)
    EvaluationJob.objects.filter(pk=job.pk).update(heartbeat_at=past)
    assert job_services.jobs_reap()["requeued"] == 1
    assert beat(client_a, job).status_code == 409  # the lost attempt is abandoned
    response = claim(client_a)
    assert response.json()["job"]["attempt"] == 2
    job.refresh_from_db()
    assert (job.pool, job.status, job.attempts) == (pool_a, "running", 2)


def test_the_job_api_and_page_say_where_the_job_ran(client, alice, client_a, pool_a, make_job):
    job = make_job(pool=pool_a)
    claim(client_a)
    client.force_login(alice)
    body = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert (body["pool"], body["worker"]) == ("a-cluster", "gpu-01:4242")
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "a-cluster" in page
    assert "gpu-01:4242" in page
    other = make_job()
    EvaluationJob.objects.filter(pk=other.pk).update(pool=None)
    assert client.get(f"/api/v1/jobs/{other.pk}/").json()["pool"] is None


def test_the_trail_names_the_pools_worker_for_its_writes(client_a, pool_a, make_job):
    from institutes.models import AuditEvent

    job = make_job(pool=pool_a)
    claim(client_a)
    event = AuditEvent.objects.filter(
        table="evaluations_evaluationjob", object_id=str(job.pk)
    ).first()  # the latest
    assert event.actor_kind == "worker"
    assert event.source.startswith(f"pool {pool_a}: POST /api/v1/worker/claim/")


def test_a_log_gone_from_the_storage_fails_the_job(
    client_a, pool_a, make_job, qa_log, ingested, log_dir, django_capture_on_commit_callbacks
):
    job = make_job(pool=pool_a)
    claim(client_a)
    upload(client_a, job, qa_log)
    job.refresh_from_db()
    (log_dir / job.log_file).unlink()
    with django_capture_on_commit_callbacks(execute=True):
        assert finish(client_a, job).status_code == 202
    job.refresh_from_db()
    assert job.status == "failed"
    assert "could not be read from the log storage" in job.error
