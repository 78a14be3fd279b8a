"""A job run by a real Celery worker process with CONCORD_LOG_STORAGE=s3, against a real S3
server process (moto's server mode): the worker stores the log in the bucket under
jobs/<id>/attempt-<n>/ and ingests it; the web side (this process, another "host" sharing no disk
with the worker) reads the transcript and the download from the bucket."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from evaluations.models import EvaluationJob
from evaluations.results import transcripts
from tests.evaluations.factories import TaskFactory
from tests.evaluations.logstore.conftest import CREDENTIALS, REGION, S3Server, storage_config
from tests.evaluations.runner import broker
from tests.integration import test_jobs_worker as jobs_worker
from tests.integration.test_jobs_worker import final, poll, submit
from tests.integration.worker import start_worker

world = jobs_worker.world  # the same project, system and API client as the other worker tests

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module")
def bucket_worker(django_db_setup, tmp_path_factory):
    """A worker whose logs go to a bucket; its scratch folder is its own, the web's is empty."""
    root = tmp_path_factory.mktemp("s3-worker")
    server = S3Server()
    bucket = server.create_bucket()
    env = {
        "CONCORD_LOG_STORAGE": "s3",
        "CONCORD_LOG_DIR": str(root / "worker-scratch"),
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_S3_REGION_NAME": REGION,
    }
    broker.purge()
    process = start_worker(root, extra_env=env)
    try:
        yield process, server, bucket, root / "worker-scratch"
    finally:
        process.stop()
        broker.purge()
        server.stop()


def test_a_workers_job_log_is_kept_in_the_bucket_and_read_from_there(
    bucket_worker, world, settings, tmp_path, client, bob
):
    process, server, bucket, scratch = bucket_worker
    settings.STORAGES = {**settings.STORAGES, "logs": storage_config(server.endpoint, bucket)}
    settings.CONCORD_LOG_DIR = tmp_path / "web-has-no-logs"
    task = TaskFactory(inspect_ref="tests.evaluations.runner.inspect_tasks:slow_task")
    job = submit(world, task, {"task_args": {"samples": 4, "seconds": 0.05}})
    body = poll(world, job["id"], process, until=final, timeout=90)
    assert body["status"] == "succeeded", body["error"]

    job = EvaluationJob.objects.get(pk=job["id"])
    assert job.log_file.startswith(f"jobs/{job.pk}/attempt-1/")
    assert set(server.keys(bucket)) == {job.log_file}
    assert not list(scratch.glob(f"jobs/{job.pk}/**/*.eval"))  # the worker kept no copy
    run = job.run
    assert run.log_file == job.log_file
    assert run.sample_count == 4
    sample = run.samples.order_by("sample_id").first()
    assert transcripts.transcript_for(run, sample).source == "log"
    client.force_login(bob)
    with override_settings(CONCORD_LOG_PRESIGNED_SECONDS=300):
        download = client.get(reverse("runs:log", kwargs={"run_id": run.pk}))
    assert download.status_code == 302
    assert download["Location"].startswith(f"{server.endpoint}/{bucket}/{job.log_file}?")
