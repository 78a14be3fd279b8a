"""A job run by Concord's own worker code (claim, fork Inspect, supervise, record) with logs kept
in a bucket of a real S3 server: the log is stored under jobs/<id>/attempt-<n>/ before it is
ingested, the worker's scratch copy goes, and a bucket that stays down fails the job (retried
first) without a run. Transactional: the supervisor closes connections before it forks."""

from __future__ import annotations

import pytest
from inspect_ai.log import read_eval_log

from evaluations import logstore
from evaluations.models import EvaluationJob, EvaluationRun
from evaluations.results import transcripts
from evaluations.runner.supervisor import run_job
from tests.evaluations.factories import JobFactory
from tests.evaluations.logstore.conftest import use_bucket

Status = EvaluationJob.Status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def fast_supervision(settings):
    settings.CONCORD_JOB_HEARTBEAT_SECONDS = 0.5
    settings.CONCORD_JOB_CANCEL_GRACE_SECONDS = 3


@pytest.fixture
def make_job(project, target_system, institute_a, qa_task):
    def make_job(**kwargs):
        return JobFactory(
            project=project,
            task=qa_task,
            system=target_system,
            institute=institute_a,
            params={"limit": 3},
            **kwargs,
        )

    return make_job


def test_a_jobs_log_goes_to_the_bucket_and_its_run_reads_from_there(
    s3_logs, settings, make_job, tmp_path
):
    job = make_job()
    assert run_job(job.pk) == Status.SUCCEEDED
    job.refresh_from_db()
    assert job.log_file.startswith(f"jobs/{job.pk}/attempt-1/")
    assert job.log_file.endswith(".eval")
    assert job.run.log_file == job.log_file
    keys = s3_logs.keys()
    assert list(keys) == [job.log_file]
    # The worker's scratch copy is gone: the bucket holds the only copy.
    assert not (settings.CONCORD_LOG_DIR / "jobs" / str(job.pk) / "attempt-1").exists()
    copy = tmp_path / "copy.eval"
    copy.write_bytes(s3_logs.get(job.log_file))
    log = read_eval_log(str(copy))
    run = job.run
    assert run.source == EvaluationRun.Source.JOB
    assert run.inspect_eval_id == log.eval.eval_id
    assert run.sample_count == 3
    assert run.primary_value == log.results.scores[0].metrics["accuracy"].value
    sample = run.samples.order_by("sample_id").first()
    assert transcripts.transcript_for(run, sample).source == "log"


def test_a_bucket_that_stays_down_fails_the_job_after_retries_and_writes_no_run(
    settings, tmp_path, own_s3_server, make_job, monkeypatch
):
    use_bucket(settings, tmp_path, own_s3_server)
    monkeypatch.setattr(logstore, "STORE_BACKOFF_SECONDS", 0.01)
    own_s3_server.stop()
    job = make_job()
    assert run_job(job.pk) == Status.FAILED
    job.refresh_from_db()
    assert "The log could not be stored after 4 tries" in job.error
    assert job.log_file == ""
    assert job.run is None
    assert not EvaluationRun.objects.filter(project=job.project).exists()
    # The log stays on the worker, where the error says it is.
    kept = list((settings.CONCORD_LOG_DIR / "jobs" / str(job.pk) / "attempt-1").glob("*.eval"))
    assert len(kept) == 1
    assert str(kept[0]) in job.error
