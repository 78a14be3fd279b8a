"""Pool jobs that survive faults: `concord worker` processes against a live Concord (a real Celery
worker runs the reaper and the `ingest` queue), broken on purpose while the job runs. Whatever
happens, the job ends `succeeded` with exactly one run: never lost, never duplicated, never left
running.

- the pool worker SIGKILLed mid-job (with its evaluation child): the reaper re-queues the job to
  the same pool and a second `concord worker` finishes it;
- the network between worker and Concord cut while the job runs (a TCP proxy that drops every
  connection): shortly, the worker keeps going and the heartbeats resume; for longer than the
  stale threshold, the reaper re-queues the job, the worker's next heartbeat gets 409, it
  abandons the attempt and then claims the job again;
- the connection cut during the log upload, after Concord stored the log: the worker uploads again
  (Concord answers "already stored") and the run is ingested once.
"""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from tests.evaluations.runner import broker
from tests.figures import figure
from tests.integration.pool_worker import (
    TcpProxy,
    job_state,
    pool_world,
    runs_of,
    start_pool_worker,
)
from tests.integration.worker import FAST, start_worker, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
STALE = float(FAST["CONCORD_JOB_STALE_SECONDS"])


@pytest.fixture
def cluster(tmp_path):
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


@pytest.fixture
def proxy(live_server):
    host, port = live_server.url.removeprefix("http://").split(":")
    proxy = TcpProxy(host, int(port))
    yield proxy
    proxy.close()


def finished(job_id: int, cluster, timeout: float = 90) -> dict:
    return wait_for(
        lambda: (s := job_state(job_id))["status"] in ("succeeded", "failed", "cancelled") and s,
        timeout,
        cluster,
        f"see job {job_id} finish",
    )


def test_a_pool_worker_killed_mid_job_is_replaced_and_the_job_runs_once(
    cluster, live_server, tmp_path, institute_a, alice, bob
):
    world = pool_world(institute_a, alice, bob)
    job = world.queue(samples=30, seconds=0.3)
    first = start_pool_worker(tmp_path / "first", live_server.url, world.credential)
    wait_for(lambda: job_state(job.pk)["progress_done"] >= 2, 60, None, "see the first attempt run")
    first.kill_hard()
    assert job_state(job.pk)["status"] == "running"  # nobody told Concord

    # the reaper gives the job back to its pool
    requeued = wait_for(
        lambda: (s := job_state(job.pk))["status"] == "queued" and s,
        STALE + 15,
        cluster,
        "see the reaper re-queue the job",
    )
    assert requeued["pool_id"] == world.pool.pk
    second = start_pool_worker(tmp_path / "second", live_server.url, world.credential, "--once")
    try:
        state = finished(job.pk, cluster)
        assert second.wait(timeout=30) == 0, second.tail()
    finally:
        second.stop()
    assert state["status"] == "succeeded", (state["error"], second.tail())
    assert state["attempts"] == 2
    assert state["pool_id"] == world.pool.pk
    assert runs_of(job.pk) == 1
    figure(
        "pool-worker-sigkill  jobs=1 lost=0 duplicated=0 stuck=0: re-queued to its pool, "
        f"finished by a second concord worker (attempts {state['attempts']}, runs 1)"
    )


@pytest.mark.parametrize("cut_seconds", [1.5, STALE + 3])
def test_a_network_cut_during_heartbeats_never_loses_or_duplicates_the_job(
    cluster, proxy, tmp_path, institute_a, alice, bob, cut_seconds
):
    world = pool_world(institute_a, alice, bob)
    job = world.queue(samples=30, seconds=0.3)
    worker = start_pool_worker(tmp_path / "w", proxy.url, world.credential)
    try:
        wait_for(lambda: job_state(job.pk)["progress_done"] >= 2, 60, None, "see the job run")
        proxy.cut()
        time.sleep(cut_seconds)
        assert worker.process.poll() is None, worker.tail()  # it keeps trying
        proxy.restore()
        state = finished(job.pk, cluster, timeout=120)
    finally:
        code = worker.stop()
    assert code == 0, worker.tail()
    assert state["status"] == "succeeded", (state["error"], worker.tail())
    assert runs_of(job.pk) == 1
    log = worker.log.read_text()
    assert "heartbeat failed" in log or "failed" in log, log
    if cut_seconds > STALE:  # re-queued while cut off: the first attempt was abandoned
        assert state["attempts"] == 2, log
        assert "no longer ours" in log, log
    else:
        assert state["attempts"] == 1, log
    figure(
        f"pool-heartbeat-cut {cut_seconds:.1f} s  jobs=1 lost=0 duplicated=0 stuck=0 "
        f"(attempts {state['attempts']}, runs 1)"
    )


def test_a_cut_during_the_upload_is_retried_and_ingested_once(
    cluster, proxy, tmp_path, institute_a, alice, bob
):
    world = pool_world(institute_a, alice, bob)
    job = world.queue(samples=6, seconds=0.05)
    proxy.drop_response_once(b"PUT ")  # Concord stores the log; the answer never arrives
    worker = start_pool_worker(tmp_path / "w", proxy.url, world.credential, "--once")
    try:
        assert worker.wait(timeout=120) == 0, worker.tail()
    finally:
        worker.stop()
    state = finished(job.pk, cluster)
    log = worker.log.read_text()
    assert proxy.dropped == 1
    assert "log upload failed" in log, log
    assert "already stored" in log, log  # the retry found the log stored: kept once
    assert state["status"] == "succeeded", (state["error"], log)
    assert state["attempts"] == 1
    assert runs_of(job.pk) == 1
    figure(
        "pool-upload-cut  jobs=1 lost=0 duplicated=0 stuck=0: the answer to the upload dropped, "
        "the retry found the log stored, ingested once"
    )
