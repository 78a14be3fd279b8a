"""A run reported while it ran (concord-client, /api/v1/external-runs/) is linked to its run when
its log is uploaded afterwards, and takes the log's outcome."""

from __future__ import annotations

from inspect_ai.log import read_eval_log

from evaluations.models import ExternalRun
from tests.api_clients import bearer
from tests.evaluations.factories import TaskFactory
from tests.evaluations.ingestion.helpers import post_log


def test_an_uploaded_log_links_the_external_run_that_reported_it(bob, world, qa_logs):
    log = read_eval_log(str(qa_logs["eval"]), header_only=True)
    client = bearer(bob)
    reported = client.post(
        "/api/v1/external-runs/",
        {
            "project": "joint",
            "institute": "inst-a",
            "eval_id": log.eval.eval_id,
            "task": log.eval.task,
            "model": log.eval.model,
            "samples_total": 6,
        },
        format="json",
    )
    assert reported.status_code == 201
    imported = post_log(client, qa_logs["eval"])
    assert imported.status_code == 201, imported.content
    external = ExternalRun.objects.get(pk=reported.json()["id"])
    assert (external.run_id, external.status) == (imported.json()["id"], "succeeded")
    assert external.finished_at is not None


def test_an_error_log_fails_the_external_run(bob, world, qa_logs):
    log = read_eval_log(str(qa_logs["error"]), header_only=True)
    client = bearer(bob)
    reported = client.post(
        "/api/v1/external-runs/",
        {
            "project": "joint",
            "institute": "inst-a",
            "eval_id": log.eval.eval_id,
            "task": log.eval.task,
            "model": log.eval.model,
        },
        format="json",
    ).json()
    TaskFactory(slug="failing", inspect_ref="tests.evaluations.runner.inspect_tasks:failing_task")
    imported = post_log(client, qa_logs["error"])
    assert imported.status_code == 201, imported.content[:300]
    external = ExternalRun.objects.get(pk=reported["id"])
    assert (external.run_id, external.status) == (imported.json()["id"], "failed")
