"""POST /api/v1/runs/import/: real Inspect logs, in both formats, become runs whose every figure is
the one Inspect recorded (checked against `inspect_ai.log.read_eval_log`)."""

from __future__ import annotations

from datetime import datetime

import pytest
from inspect_ai.log import read_eval_log
from inspect_ai.scorer import value_to_float

from evaluations.models import EvaluationRun, RunScore, SampleResult
from institutes.models import AuditEvent
from tests.api_clients import bearer, error_of
from tests.evaluations.factories import AISystemFactory, ProjectSystemFactory, TaskFactory
from tests.evaluations.ingestion.helpers import URL, files_under, post_log, rows
from tests.evaluations.ingestion.logs import QA_ACCURACY, with_status

to_float = value_to_float()


def assert_run_matches_log(run: EvaluationRun, path) -> None:
    """Every figure Concord stored for the run is the one in the log."""
    log = read_eval_log(str(path))
    spec = log.eval
    assert run.inspect_eval_id == spec.eval_id
    assert (run.status, run.log_format, run.source) == (log.status, "inspect", "upload")
    assert (run.inspect_task, run.inspect_model) == (spec.task, spec.model)
    assert run.epochs == (spec.config.epochs or 1)
    assert run.sample_count == len({s.id for s in log.samples})
    usage = list(log.stats.model_usage.values())
    assert run.input_tokens == sum(u.input_tokens for u in usage)
    assert run.output_tokens == sum(u.output_tokens for u in usage)
    assert run.total_tokens == sum(u.total_tokens for u in usage) > 0
    assert run.started_at == datetime.fromisoformat(log.stats.started_at)
    assert run.completed_at == datetime.fromisoformat(log.stats.completed_at)

    primary = log.results.scores[0]
    assert (run.primary_scorer, run.primary_metric) == (primary.name, "accuracy")
    assert run.primary_value == pytest.approx(primary.metrics["accuracy"].value)
    assert run.primary_stderr == pytest.approx(primary.metrics["stderr"].value)
    stored = {(s.scorer, s.metric): s for s in RunScore.objects.filter(run=run)}
    expected = {
        (s.name, m): (s, metric) for s in log.results.scores for m, metric in s.metrics.items()
    }
    assert set(stored) == set(expected)
    for key, (score, metric) in expected.items():
        assert stored[key].value == pytest.approx(metric.value)
        assert stored[key].scored_samples == score.scored_samples
        if key[1] in ("accuracy", "mean"):
            assert stored[key].stderr == pytest.approx(score.metrics["stderr"].value)

    samples = {(s.sample_id, s.epoch): s for s in SampleResult.objects.filter(run=run)}
    assert len(samples) == len(log.samples)
    for sample in log.samples:
        row = samples[str(sample.id), sample.epoch]
        value = sample.scores[primary.name].value
        assert row.score == to_float(value)
        assert row.scores[primary.name]["value"] == value
        assert row.scores[primary.name]["answer"] == sample.scores[primary.name].answer
        assert row.input == sample.input
        target = sample.target
        assert row.target == (" | ".join(target) if isinstance(target, list) else target)
        assert row.output == sample.output.completion
        assert row.metadata == sample.metadata
        assert row.error == (sample.error.message if sample.error else "")
        assert row.total_tokens == sum(u.total_tokens for u in sample.model_usage.values())
    if str(path).endswith(".eval"):
        assert {r.entry_name for r in samples.values()} == {
            f"samples/{s.id}_epoch_{s.epoch}.json" for s in log.samples
        }


@pytest.mark.parametrize("kind", ["eval", "json"])
def test_an_evaluator_imports_a_real_log_and_every_figure_is_inspects(
    kind, qa_logs, world, bob, log_dir
):
    response = post_log(bearer(bob), qa_logs[kind], notes="Run on our own cluster.")
    assert response.status_code == 201, response.content[:500]
    body = response.json()
    run = EvaluationRun.objects.get(pk=body["id"])
    assert_run_matches_log(run, qa_logs[kind])
    # The scripted model answers every second question right: the figure is known in advance.
    assert run.primary_value == QA_ACCURACY
    assert sum(run.samples.values_list("score", flat=True)) / run.sample_count == QA_ACCURACY
    assert (run.uploaded_by, run.institute.code, run.notes) == (
        bob,
        "inst-a",
        "Run on our own cluster.",
    )
    assert body["primary_value"] == run.primary_value
    assert body["sample_count"] == 6
    assert {(s["scorer"], s["metric"]) for s in body["scores"]} >= {("pattern", "accuracy")}
    assert body["log_file"] == run.log_file
    # The file is kept in the log storage, byte for byte.
    assert run.log_file.startswith("imports/joint/")
    assert run.log_file.endswith(f".{kind}")
    assert (log_dir / run.log_file).read_bytes() == qa_logs[kind].read_bytes()


def test_the_run_page_offers_the_imported_log_for_download(qa_logs, world, bob, client):
    run_id = post_log(bearer(bob), qa_logs["eval"]).json()["id"]
    client.force_login(bob)
    response = client.get(f"/runs/{run_id}/log/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == qa_logs["eval"].read_bytes()


def test_the_same_log_imported_again_answers_200_with_the_first_run(qa_logs, world, bob, log_dir):
    first = post_log(bearer(bob), qa_logs["eval"])
    before, stored = rows(), files_under(log_dir)
    again = post_log(bearer(bob), qa_logs["eval"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert rows() == before
    assert files_under(log_dir) == stored


def test_each_import_records_one_bulk_insert_audit_event(qa_logs, world, bob):
    run_id = post_log(bearer(bob), qa_logs["eval"]).json()["id"]
    [event] = AuditEvent.objects.filter(action="bulk_insert", object_id=str(run_id))
    assert event.table == "evaluations_sampleresult"
    assert event.project_id == world.pk
    assert event.changes["rows"] == 6
    assert event.actor_id == bob.pk


def test_an_unknown_task_is_named_and_nothing_is_created(qa_logs, world, qa_task, bob, log_dir):
    qa_task.inspect_ref, qa_task.slug = "somewhere:else", "else"
    qa_task.save()
    response = post_log(bearer(bob), qa_logs["eval"])
    assert response.status_code == 400
    error = error_of(response)
    assert "concord_knowledge_qa" in " ".join(error["fields"]["task"])
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == []


def test_an_unknown_model_is_named_and_no_system_is_created(qa_logs, world, target_system, bob):
    target_system.inspect_model = "openai-api/lab/frontier"
    target_system.save()
    systems = target_system.__class__.objects.count()
    response = post_log(bearer(bob), qa_logs["json"])
    assert response.status_code == 400
    assert "mockllm/model" in " ".join(error_of(response)["fields"]["system"])
    assert target_system.__class__.objects.count() == systems
    assert rows() == (0, 0, 0)


def test_task_and_system_given_in_the_request_choose_among_those_matching_the_log(
    qa_logs, world, target_system, bob
):
    twin = AISystemFactory(inspect_model="mockllm/model")
    ProjectSystemFactory(project=world, system=twin)
    task = TaskFactory(slug="qa-renamed", inspect_ref="custom:concord_knowledge_qa")
    response = post_log(bearer(bob), qa_logs["eval"])
    assert response.status_code == 400
    assert "Several" in " ".join(error_of(response)["fields"]["task"])
    response = post_log(bearer(bob), qa_logs["eval"], task=task.slug, system=twin.pk)
    assert response.status_code == 201, response.content[:300]
    run = EvaluationRun.objects.get()
    assert (run.task, run.system) == (task, twin)
    assert (run.override_task, run.override_system) == (False, False)


def test_a_system_outside_the_project_is_refused(qa_logs, world, bob):
    elsewhere = AISystemFactory(inspect_model="mockllm/model")
    ProjectSystemFactory(system=elsewhere)
    response = post_log(bearer(bob), qa_logs["eval"], system=elsewhere.pk)
    assert response.status_code == 400
    assert rows() == (0, 0, 0)


def test_a_log_whose_evaluation_errored_is_imported_marked_so(qa_logs, world, bob):
    """The policy (the ingestion service's): error and cancelled logs are kept, with that status
    on the run, so partial results and the failing transcripts can be read."""
    TaskFactory(slug="failing", inspect_ref="tests.evaluations.runner.inspect_tasks:failing_task")
    response = post_log(bearer(bob), qa_logs["error"])
    assert response.status_code == 201, response.content[:300]
    run = EvaluationRun.objects.get()
    log = read_eval_log(str(qa_logs["error"]))
    assert (run.status, response.json()["status"]) == ("error", "error")
    assert run.error == log.error.message
    assert run.sample_count == len({s.id for s in log.samples})


def test_a_cancelled_log_is_imported_marked_so(qa_logs, world, bob, tmp_path):
    cancelled = with_status(qa_logs["json"], tmp_path / "cancelled.json", "cancelled")
    response = post_log(bearer(bob), cancelled)
    assert response.status_code == 201
    assert EvaluationRun.objects.get().status == "cancelled"


def test_a_log_of_an_evaluation_still_running_is_refused(qa_logs, world, bob, tmp_path, log_dir):
    started = with_status(qa_logs["json"], tmp_path / "started.json", "started")
    response = post_log(bearer(bob), started)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "log_rejected"
    assert "incomplete (status 'started')" in error["message"]
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == []


def test_a_guideline_version_the_project_has_not_adopted_is_refused(qa_logs, world, bob):
    from evaluations.models import Guideline

    guideline = Guideline.objects.create(code="other-protocol", title="Another protocol")
    version = guideline.versions.create(number=1, body_markdown="Steps.")
    response = post_log(bearer(bob), qa_logs["eval"], guideline_version=version.pk)
    assert response.status_code == 400
    assert "guideline_version" in error_of(response)["fields"]
    assert rows() == (0, 0, 0)


@pytest.mark.parametrize(
    ("who", "institute", "expected"),
    [
        ("bob", "inst-a", 201),  # evaluator at a participating institute
        ("alice", "inst-a", 201),  # lead
        ("pm", "inst-b", 201),  # programme managers act for any participant
        ("vera", "inst-a", 403),  # a viewer reads, does not add results
        ("bob", "inst-b", 403),  # not his institute
        ("charlie", "inst-c", 400),  # an outsider: the project is not one he can name
    ],
)
def test_who_may_import(who, institute, expected, qa_logs, world, request, log_dir):
    user = request.getfixturevalue(who)
    response = post_log(bearer(user), qa_logs["eval"], institute=institute)
    assert response.status_code == expected, response.content[:300]
    if expected != 201:
        error_of(response)
        assert rows() == (0, 0, 0)
        assert files_under(log_dir) == []


def test_anonymous_and_read_only_tokens_are_refused(qa_logs, world, alice, client):
    from rest_framework.test import APIClient

    assert post_log(APIClient(), qa_logs["eval"]).status_code == 401
    response = post_log(bearer(alice, scope="read"), qa_logs["eval"])
    assert response.status_code == 403
    assert error_of(response)["code"] == "read_only_token"
    assert rows() == (0, 0, 0)


def test_a_browser_session_may_import_with_its_csrf_token(qa_logs, world, bob):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(bob)
    assert post_log(client, qa_logs["eval"]).status_code == 403  # no CSRF token
    client.get("/projects/joint/runs/import/")
    token = client.cookies["csrftoken"].value
    client.credentials(HTTP_X_CSRFTOKEN=token)
    assert post_log(client, qa_logs["eval"]).status_code == 201


def test_the_body_must_be_multipart(world, bob):
    response = bearer(bob).post(URL, {"project": "joint", "institute": "inst-a"}, format="json")
    assert response.status_code == 415
    error_of(response)


def test_a_request_without_a_file_names_the_field(world, bob):
    response = bearer(bob).post(
        URL, {"project": "joint", "institute": "inst-a"}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in error_of(response)["fields"]


def test_get_is_not_allowed(world, bob):
    assert bearer(bob).get(URL).status_code == 405
