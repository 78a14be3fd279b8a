"""Ingestion keeps how a run was set up (the joint report's methods read it), from the log's
header: the Inspect version, the solver plan, the task's arguments."""

from __future__ import annotations

import pytest
from inspect_ai.log import read_eval_log

from evaluations.models import EvaluationRun
from evaluations.results.report_content import build_report_content
from tests.api_clients import bearer
from tests.evaluations.ingestion.helpers import post_log

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["eval", "json"])
def test_an_imported_run_keeps_its_setup(kind, qa_logs, world, bob, log_dir):
    response = post_log(bearer(bob), qa_logs[kind])
    assert response.status_code == 201, response.content[:500]
    run = EvaluationRun.objects.get(pk=response.json()["id"])
    header = read_eval_log(str(qa_logs[kind]), header_only=True)
    assert run.setup["inspect_version"] == header.eval.packages["inspect_ai"]
    steps = [step.solver for step in header.plan.steps]
    assert run.setup["scaffold"] == (header.eval.solver or " → ".join(steps))
    assert run.setup.get("task_args", {}) == (header.eval.task_args or {})
    # The report's methods name the version the run was made with.
    content = build_report_content(run.project)
    [entry] = [r for r in content["methods"]["runs"] if r["id"] == run.pk]
    assert entry["inspect_version"] == run.setup["inspect_version"]
    assert entry["scaffold"] == run.setup["scaffold"]
