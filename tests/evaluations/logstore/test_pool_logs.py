"""A pool worker's log, uploaded through the worker API with CONCORD_LOG_STORAGE=s3: stored in
the bucket (a real S3 server process) under the job's attempt, ingested from there on finish."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log

from evaluations.results import transcripts
from evaluations.tasks import ingest_pool_log
from tests.evaluations.pools import conftest as pool_fixtures
from tests.evaluations.pools.test_worker_api import claim, finish, upload
from tests.evaluations.runner.logs import run_qa

pytestmark = pytest.mark.django_db

pool_a = pool_fixtures.pool_a
client_a = pool_fixtures.client_a


@pytest.fixture(scope="module")
def qa_log(tmp_path_factory) -> Path:
    return run_qa(tmp_path_factory.mktemp("pool-s3-logs"), limit=4)


@pytest.fixture
def pool_job(project, qa_task, target_system, alice, bob, institute_a, pool_a):
    from evaluations.services import jobs as job_services
    from evaluations.services.pools import participation_set_pool

    participation_set_pool(user=alice, project=project, institute=institute_a, pool=pool_a)
    return job_services.job_queue(
        project=project,
        task=qa_task,
        system=target_system,
        institute=institute_a,
        requested_by=bob,
        params={"limit": 4},
    )


def test_a_pool_log_is_stored_in_the_bucket_and_ingested_from_there(
    s3_logs, settings, client_a, pool_job, qa_log, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(ingest_pool_log, "delay", lambda *args: ingest_pool_log(*args))
    job = pool_job
    assert claim(client_a).status_code == 200
    first = upload(client_a, job, qa_log)
    assert first.status_code == 201, first.content
    assert upload(client_a, job, qa_log).status_code == 200  # stored once
    job.refresh_from_db()
    assert s3_logs.keys() == {job.log_file: qa_log.stat().st_size}
    assert job.log_file.startswith(f"jobs/{job.pk}/attempt-1/")
    log = read_eval_log(str(qa_log))
    with django_capture_on_commit_callbacks(execute=True):
        assert finish(client_a, job, eval_id=log.eval.eval_id).status_code == 202
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.run.log_file == job.log_file
    assert job.run.sample_count == 4
    assert not list(settings.CONCORD_LOG_DIR.glob("**/*.eval"))  # nothing on the web's disk
    sample = job.run.samples.order_by("sample_id").first()
    assert transcripts.transcript_for(job.run, sample).source == "log"


def test_a_pool_upload_while_the_bucket_is_down_is_a_503_the_worker_retries(
    settings, tmp_path, own_s3_server, client_a, pool_job, qa_log
):
    from tests.api_clients import error_of
    from tests.evaluations.logstore.conftest import use_bucket

    use_bucket(settings, tmp_path, own_s3_server)
    assert claim(client_a).status_code == 200
    own_s3_server.stop()
    response = upload(client_a, pool_job, qa_log)
    assert response.status_code == 503, response.content
    assert error_of(response)["code"] == "storage_unavailable"
    pool_job.refresh_from_db()
    assert (pool_job.status, pool_job.log_file) == ("running", "")  # nothing changed
