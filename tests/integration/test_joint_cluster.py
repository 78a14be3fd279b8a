"""Concord on several "machines" sharing no disk, as a joint evaluation runs it: the web process
(the live server), Concord's own Celery worker and a `concord worker` of institute A, with the
logs in a bucket of a real S3 server process (moto's server mode).

A's job runs on A's pool worker (a separate process whose environment has no database, broker or
bucket address: only Concord's URL and the pool credential); B's job runs on Concord's worker.
Both land with the figures of their logs, both logs are objects in the bucket, and the web side,
whose CONCORD_LOG_DIR is empty, renders both transcripts from there."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from inspect_ai.log import read_eval_log

from evaluations.models import EvaluationJob
from evaluations.results import transcripts
from evaluations.services.jobs import job_queue
from evaluations.services.pools import pool_create
from institutes.models import Role
from tests.evaluations.factories import (
    AccessWindowFactory,
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    TaskFactory,
)
from tests.evaluations.logstore.conftest import CREDENTIALS, REGION, S3Server, storage_config
from tests.evaluations.runner import broker
from tests.factories import member
from tests.integration.pool_worker import SLOW_TASK, job_state, start_pool_worker
from tests.integration.worker import start_worker, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def bucket():
    server = S3Server()
    name = server.create_bucket()
    try:
        yield server, name
    finally:
        server.stop()


def test_a_pool_job_and_a_concord_job_land_in_the_bucket_and_render_from_there(
    bucket, live_server, tmp_path, client, institute_a, institute_b, alice, bob
):
    server, name = bucket
    dan = member("dan", institute_b, Role.EVALUATOR)
    project = ProjectFactory(slug="joint-cluster")
    ParticipationFactory(project=project, institute=institute_a, role="lead")
    ParticipationFactory(project=project, institute=institute_b)
    system = AISystemFactory(inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    AccessWindowFactory(project=project, system=system)
    task = TaskFactory(inspect_ref=SLOW_TASK)
    pool, credential = pool_create(institute=institute_a, name="a-gpus", by=alice, is_default=True)

    web_logs = tmp_path / "web-has-no-logs"
    s3_env = {
        "CONCORD_LOG_STORAGE": "s3",
        "CONCORD_LOG_DIR": str(tmp_path / "concord-worker-scratch"),
        "AWS_STORAGE_BUCKET_NAME": name,
        "AWS_S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_S3_REGION_NAME": REGION,
    }
    with override_settings(
        STORAGES={**_storages(), "logs": storage_config(server.endpoint, name)},
        CONCORD_LOG_DIR=web_logs,
        CONCORD_JOB_HEARTBEAT_SECONDS=0.5,
        CONCORD_WORKER_LONG_POLL_SECONDS=2,
    ):
        broker.purge()
        celery = start_worker(tmp_path / "celery", extra_env=s3_env, queues="evals,ingest,default")
        pool_worker = start_pool_worker(tmp_path / "a", live_server.url, credential, "--once")
        try:
            params = {"task_args": {"samples": 6, "seconds": 0.05}, "max_samples": 1}
            job_a = job_queue(
                project=project,
                task=task,
                system=system,
                institute=institute_a,
                requested_by=bob,
                params=params,
            )
            job_b = job_queue(
                project=project,
                task=task,
                system=system,
                institute=institute_b,
                requested_by=dan,
                params=params,
            )
            assert (job_a.pool_id, job_b.pool_id) == (pool.pk, None)
            for job in (job_a, job_b):
                state = wait_for(
                    lambda job=job: (
                        (s := job_state(job.pk))["status"] in ("succeeded", "failed") and s
                    ),
                    120,
                    celery,
                    f"see job {job.pk} finish",
                )
                assert state["status"] == "succeeded", (state["error"], pool_worker.tail())
            assert pool_worker.wait(timeout=60) == 0, pool_worker.tail()
        finally:
            pool_worker.stop()
            celery.stop()
            broker.purge()

        job_a = EvaluationJob.objects.select_related("run").get(pk=job_a.pk)
        job_b = EvaluationJob.objects.select_related("run").get(pk=job_b.pk)
        # Where each ran: A's job on the pool worker process, B's on Concord's worker.
        assert job_a.worker.endswith(f":{pool_worker.process.pid}")
        assert job_b.pool_id is None
        assert not job_b.worker.endswith(f":{pool_worker.process.pid}")

        # Both logs are objects in the bucket, and nowhere on the web side.
        keys = set(server.keys(name))
        assert job_a.run.log_file in keys
        assert job_b.run.log_file in keys
        assert not web_logs.exists() or not any(web_logs.rglob("*.eval"))

        # The figures are the logs' (read back from the bucket as Inspect would).
        for job in (job_a, job_b):
            with transcripts.log_storage().open(job.run.log_file) as stored:
                local = tmp_path / f"job-{job.pk}.eval"
                local.write_bytes(stored.read())
            log = read_eval_log(str(local))
            primary = log.results.scores[0]
            assert job.run.inspect_eval_id == log.eval.eval_id
            assert job.run.primary_value == pytest.approx(primary.metrics["accuracy"].value)
            assert job.run.primary_stderr == pytest.approx(primary.metrics["stderr"].value)
            assert job.run.sample_count == 6

        # A web process with an empty CONCORD_LOG_DIR renders both transcripts from the bucket.
        client.force_login(bob)
        for job in (job_a, job_b):
            sample = job.run.samples.order_by("sample_id").first()
            assert transcripts.transcript_for(job.run, sample).source == "log"
            page = client.get(
                reverse("runs:sample_detail", kwargs={"run_id": job.run.pk, "sample_pk": sample.pk})
            )
            assert page.status_code == 200
            assert "temporarily unavailable" not in page.text


def _storages() -> dict:
    from django.conf import settings

    return dict(settings.STORAGES)
