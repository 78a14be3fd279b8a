"""A worker's writes are attributed: the ingestion of a job's log names the job and the person
who queued it, and the worker's own context comes back after it."""

from __future__ import annotations

import pytest

from evaluations.models import EvaluationJob, EvaluationRun
from evaluations.runner.supervisor import Outcome, record_outcome
from institutes import audit
from institutes.models import AuditEvent
from tests.evaluations.factories import JobFactory
from tests.evaluations.runner.logs import run_qa


@pytest.fixture
def running_job(project, target_system, institute_a, qa_task, bob):
    return JobFactory(
        project=project,
        task=qa_task,
        system=target_system,
        institute=institute_a,
        requested_by=bob,
        status=EvaluationJob.Status.RUNNING,
        attempts=1,
        params={"limit": 3},
    )


def test_ingesting_a_jobs_log_is_attributed_to_the_job_and_who_queued_it(
    running_job, bob, tmp_path, settings
):
    settings.CONCORD_LOG_DIR = tmp_path
    log = run_qa(tmp_path / "jobs" / str(running_job.pk), limit=3)
    message = {"event": "finished", "status": "success", "location": str(log)}
    with audit.acting_as(actor_kind="worker", request_id="task-1", source="run_job"):
        record_outcome(running_job, Outcome(message=message, done=3, total=3), log.parent)
        # The worker's own context is back after the ingestion.
        assert audit.current_context()["source"] == "run_job"
    running_job.refresh_from_db()
    assert running_job.status == EvaluationJob.Status.SUCCEEDED
    run = running_job.run
    source = f"job {running_job.pk}"
    created = AuditEvent.objects.get(
        table=EvaluationRun._meta.db_table, object_id=str(run.pk), action="insert"
    )
    samples = AuditEvent.objects.get(action="bulk_insert", object_id=str(run.pk))
    finished = AuditEvent.objects.filter(
        table=EvaluationJob._meta.db_table, object_id=str(running_job.pk), action="update"
    ).latest("id")
    for event in (created, samples, finished):
        assert (event.actor_id, event.actor_kind, event.source) == (bob.pk, "worker", source)
        assert event.request_id == "task-1"
    assert samples.changes["rows"] == 3
