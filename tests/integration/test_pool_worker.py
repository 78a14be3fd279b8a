"""An institute's worker pool end to end: `concord worker` (a separate process holding only
CONCORD_URL and the pool credential) claims the pool's job from a live Concord, runs it, uploads
its log and finishes; a real Celery worker on the `ingest` queue ingests it. The run's figures
are the log's; a cancel stops the pool job within seconds."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings
from inspect_ai.log import read_eval_log

from evaluations.models import EvaluationJob, EvaluationRun
from evaluations.services.jobs import job_cancel
from tests.evaluations.runner import broker
from tests.integration.pool_worker import job_state, pool_world, runs_of, start_pool_worker
from tests.integration.worker import start_worker, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def cluster(tmp_path):
    """Concord's side: short supervision intervals, and one Celery worker for the `ingest` and
    `default` queues (ingest, reaper), none for `evals`."""
    with override_settings(
        CONCORD_LOG_DIR=tmp_path / "logs",
        CONCORD_JOB_HEARTBEAT_SECONDS=0.5,
        CONCORD_JOB_CANCEL_GRACE_SECONDS=3,
        CONCORD_WORKER_LONG_POLL_SECONDS=2,
    ):
        broker.purge()
        celery = start_worker(tmp_path / "celery", queues="ingest,default")
        try:
            yield celery
        finally:
            celery.stop()
            broker.purge()


def test_a_pool_job_runs_on_concord_worker_and_its_run_is_the_logs(
    cluster, live_server, tmp_path, institute_a, alice, bob
):
    world = pool_world(institute_a, alice, bob)
    job = world.queue(samples=8, seconds=0.05)
    worker = start_pool_worker(tmp_path / "w", live_server.url, world.credential, "--once")
    try:
        assert worker.wait(timeout=120) == 0, worker.tail()
    finally:
        worker.stop()
    state = wait_for(
        lambda: (s := job_state(job.pk))["status"] in ("succeeded", "failed") and s,
        60,
        cluster,
        "see the pool job ingested",
    )
    assert state["status"] == "succeeded", (state["error"], worker.tail())
    assert state["attempts"] == 1
    assert state["pool_id"] == world.pool.pk
    assert state["worker"].count(":") == 1  # the pool worker's host:pid
    job = EvaluationJob.objects.select_related("run").get(pk=job.pk)
    [local] = (tmp_path / "w" / "pool-worker-logs").rglob("*.eval")
    log = read_eval_log(str(local))
    run = job.run
    primary = log.results.scores[0]
    assert run.inspect_eval_id == log.eval.eval_id
    assert run.primary_value == pytest.approx(primary.metrics["accuracy"].value)
    assert run.primary_stderr == pytest.approx(primary.metrics["stderr"].value)
    assert run.sample_count == len({s.id for s in log.samples}) == 8
    assert EvaluationRun.objects.count() == 1
    log_text = worker.log.read_text()
    for step in ("claimed job", "running", "log uploaded", "finished success"):
        assert step in log_text, log_text


def test_cancel_stops_a_pool_job_within_ten_seconds(
    cluster, live_server, tmp_path, institute_a, alice, bob
):
    world = pool_world(institute_a, alice, bob)
    job = world.queue(samples=200, seconds=0.5)
    worker = start_pool_worker(tmp_path / "w", live_server.url, world.credential, "--once")
    try:
        wait_for(lambda: job_state(job.pk)["progress_done"] >= 2, 60, None, "see the job run")
        cancelled_at = time.monotonic()
        job_cancel(job=EvaluationJob.objects.get(pk=job.pk), user=bob)
        state = wait_for(
            lambda: (s := job_state(job.pk))["status"] != "running" and s,
            20,
            None,
            "see the pool job stop",
        )
        stopped = time.monotonic() - cancelled_at
        assert worker.wait(timeout=30) == 0, worker.tail()
    finally:
        worker.stop()
    assert state["status"] == "cancelled", (state, worker.tail())
    assert stopped < 10
    assert runs_of(job.pk) == 0
