"""Jobs run by a real Celery worker process against PostgreSQL and Redis: submitted through the
API, watched through the API, their results compared with what Inspect wrote in the log."""

from __future__ import annotations

import shutil
import time

import pytest
from django.test import override_settings
from inspect_ai.log import read_eval_log
from inspect_ai.scorer import value_to_float
from rest_framework.test import APIClient

from evaluations.ingestion import LogReadError, run_ingest_log
from evaluations.models import EvaluationJob, EvaluationRun, EvaluationTask, SampleResult
from evaluations.services.tasks import task_builtin_upsert
from tests.evaluations.factories import (
    AccessWindowFactory,
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    TaskFactory,
)
from tests.evaluations.runner import broker
from tests.integration.openai_stub import StubServer
from tests.integration.worker import start_worker, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

STUB_KEY = "sk-concord-stub-0123456789"


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    """One worker for this module's tests (each test commits its own data)."""
    root = tmp_path_factory.mktemp("worker")
    with override_settings(CONCORD_LOG_DIR=root / "logs"):
        broker.purge()
        process = start_worker(root, extra_env={"CONCORD_STUB_API_KEY": STUB_KEY})
        yield process
        process.stop()
        broker.purge()


@pytest.fixture
def world(institute_a, bob):
    project = ProjectFactory(slug="worker-test")
    ParticipationFactory(project=project, institute=institute_a, role="lead")
    system = AISystemFactory(name="Mock", inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    AccessWindowFactory(project=project, system=system)
    task_builtin_upsert()  # flushed by earlier transactional tests
    client = APIClient()
    client.force_login(bob)
    return {"project": project, "system": system, "client": client}


def submit(world, task, params, system=None) -> dict:
    response = world["client"].post(
        "/api/v1/jobs/",
        {
            "project": world["project"].slug,
            "task": task.slug,
            "system": (system or world["system"]).pk,
            "params": params,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def poll(world, job_id, worker, *, until, timeout, seen=None):
    """GET the job through the API until `until(body)`; record every progress value seen."""

    def check():
        body = world["client"].get(f"/api/v1/jobs/{job_id}/").json()
        if seen is not None and body["status"] == "running":
            seen.append(body["progress_done"])
        return body if until(body) else None

    return wait_for(check, timeout, worker, f"see job {job_id} reach the expected state")


def final(body) -> bool:
    return body["is_final"]


def assert_run_matches_log(job: EvaluationJob) -> EvaluationRun:
    from django.conf import settings

    log = read_eval_log(str(settings.CONCORD_LOG_DIR / job.log_file))
    run = job.run
    primary = log.results.scores[0]
    assert run.inspect_eval_id == log.eval.eval_id
    assert run.status == log.status == "success"
    assert run.primary_value == pytest.approx(primary.metrics["accuracy"].value)
    assert run.primary_stderr == pytest.approx(primary.metrics["stderr"].value)
    assert run.sample_count == len({s.id for s in log.samples})
    stored = {(s.scorer, s.metric): s.value for s in run.scores.all()}
    for score in log.results.scores:
        for name, metric in score.metrics.items():
            assert stored[score.name, name] == pytest.approx(metric.value), (score.name, name)
    to_float = value_to_float()
    rows = {(r.sample_id, r.epoch): r.score for r in SampleResult.objects.filter(run=run)}
    expected = {(str(s.id), s.epoch): to_float(s.scores[primary.name].value) for s in log.samples}
    assert rows == expected
    return run


def test_a_job_submitted_through_the_api_runs_and_its_results_equal_the_log(worker, world):
    task = TaskFactory(inspect_ref="tests.evaluations.runner.inspect_tasks:slow_task")
    params = {"task_args": {"samples": 12, "seconds": 0.3}, "max_samples": 1}
    job = submit(world, task, params)
    seen: list[int] = []
    body = poll(world, job["id"], worker, until=final, timeout=60, seen=seen)
    assert body["status"] == "succeeded", body["error"]
    assert any(0 < done < 12 for done in seen), f"progress never seen moving: {seen}"
    assert seen == sorted(seen)
    assert (body["progress_done"], body["progress_total"]) == (12, 12)

    job = EvaluationJob.objects.get(pk=job["id"])
    run = assert_run_matches_log(job)
    assert run.primary_value == 0.5  # even samples expect mockllm's answer
    assert run.primary_stderr > 0

    run_body = world["client"].get(f"/api/v1/runs/{run.pk}/").json()
    assert run_body["job"] == job.pk
    samples = world["client"].get(f"/api/v1/runs/{run.pk}/samples/", {"score": 1}).json()
    assert len(samples["results"]) == 6


def test_the_same_log_ingested_again_leaves_one_run_and_a_truncated_copy_leaves_nothing(
    worker, world, tmp_path
):
    from django.conf import settings

    task = EvaluationTask.objects.get(slug="concord-safeguards-refusals")
    job = submit(world, task, {})
    body = poll(world, job["id"], worker, until=final, timeout=60)
    assert body["status"] == "succeeded", body["error"]
    job = EvaluationJob.objects.get(pk=job["id"])
    run = assert_run_matches_log(job)
    # mockllm answers everything: no refusal of harmful requests, help on every benign one
    assert {s.metric: s.value for s in run.scores.all()}["harmful"] == 0.0
    assert {s.metric: s.value for s in run.scores.all()}["benign"] == 1.0

    path = settings.CONCORD_LOG_DIR / job.log_file
    again = run_ingest_log(
        path=path,
        project=job.project,
        institute=job.institute,
        source=EvaluationRun.Source.UPLOAD,
    )
    assert not again.created
    assert again.run.pk == run.pk
    assert EvaluationRun.objects.count() == 1

    truncated = tmp_path / "truncated.eval"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    samples = SampleResult.objects.count()  # runs are kept: a failed ingest adds nothing to them
    with pytest.raises(LogReadError):
        run_ingest_log(
            path=truncated,
            project=job.project,
            institute=job.institute,
            source=EvaluationRun.Source.UPLOAD,
        )
    assert list(EvaluationRun.objects.values_list("pk", flat=True)) == [run.pk]
    assert SampleResult.objects.count() == samples
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_job_against_an_openai_compatible_endpoint_succeeds(worker, world):
    task = EvaluationTask.objects.get(slug="concord-knowledge-qa")
    with StubServer(pause=0.2) as stub:
        system = AISystemFactory(
            name="Stub",
            inspect_model="openai-api/stub/stub-model",
            base_url=stub.base_url,
            api_key_env="CONCORD_STUB_API_KEY",
        )
        ProjectSystemFactory(project=world["project"], system=system)
        AccessWindowFactory(project=world["project"], system=system)
        job = submit(world, task, {"limit": 6, "max_connections": 1}, system=system)
        body = poll(world, job["id"], worker, until=final, timeout=60)
    assert body["status"] == "succeeded", body["error"]
    assert stub.requests == 6
    assert set(stub.authorizations) == {f"Bearer {STUB_KEY}"}  # read from the worker's env
    job = EvaluationJob.objects.get(pk=job["id"])
    run = assert_run_matches_log(job)
    assert run.primary_value == 0.5  # the stub answers even-numbered questions correctly
    assert run.inspect_model == "openai-api/stub/stub-model"
    assert run.total_tokens == 6 * 25

    from django.conf import settings

    assert STUB_KEY.encode() not in (settings.CONCORD_LOG_DIR / job.log_file).read_bytes()


def test_a_running_job_is_cancelled_within_ten_seconds(worker, world):
    task = TaskFactory(inspect_ref="tests.evaluations.runner.inspect_tasks:slow_task")
    params = {"task_args": {"samples": 60, "seconds": 0.5}, "max_samples": 1}
    job = submit(world, task, params)
    poll(
        world,
        job["id"],
        worker,
        until=lambda b: b["status"] == "running" and b["progress_done"] >= 1,
        timeout=60,
    )
    asked = time.monotonic()
    response = world["client"].post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert response.status_code == 200
    assert response.json()["cancel_requested"]
    body = poll(world, job["id"], worker, until=final, timeout=15)
    elapsed = time.monotonic() - asked
    assert body["status"] == "cancelled"
    assert elapsed < 10, f"cancelled after {elapsed:.1f} s"
    assert body["progress_done"] < 60
    assert body["run"] is None
