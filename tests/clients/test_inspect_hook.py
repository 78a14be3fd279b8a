"""The Inspect hook, in a real `inspect eval` child process against the live test server: the
external run shows progress while the task runs, then its log is uploaded and linked, with the
figures Inspect computed; Concord down leaves the log pending for `concord upload --pending`;
a token that may not write gets one warning and leaves nothing pending."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from concord_client import pending
from concord_client.api import Client
from concord_client.inspect_hook import ConcordHooks, samples_total
from inspect_ai.log import read_eval_log

from evaluations.models import EvaluationRun, ExternalRun, RunScore
from tests.clients.conftest import CONCORD, INSPECT, ROOT, TASK_FILE, live, run
from tests.evaluations.factories import TaskFactory

# Run from the checkout (Inspect takes a task file relative to the current directory).
EVAL = [INSPECT, "eval", str(TASK_FILE.relative_to(ROOT)), "--max-samples", "1"]


def _spec(samples=10, limit=None, epochs=None, sample_id=None):
    return SimpleNamespace(
        dataset=SimpleNamespace(samples=samples),
        config=SimpleNamespace(limit=limit, epochs=epochs, sample_id=sample_id),
    )


def test_samples_total_is_dataset_within_the_limit_times_epochs():
    assert samples_total(_spec()) == 10
    assert samples_total(_spec(limit=4, epochs=3)) == 12
    assert samples_total(_spec(limit=50)) == 10
    assert samples_total(_spec(limit=(2, 5))) == 3
    assert samples_total(_spec(sample_id=["a", "b"], epochs=2)) == 4
    assert samples_total(_spec(samples=None)) == 0


def test_the_hook_is_enabled_only_when_fully_configured(monkeypatch, tmp_path):
    for name in ("URL", "TOKEN", "PROJECT", "INSTITUTE", "CONFIG"):
        monkeypatch.delenv(f"CONCORD_{name}", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    hook = ConcordHooks()
    assert not hook.enabled()
    monkeypatch.setenv("CONCORD_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CONCORD_TOKEN", "cnc_x")
    monkeypatch.setenv("CONCORD_PROJECT", "joint")
    assert not hook.enabled()
    monkeypatch.setenv("CONCORD_INSTITUTE", "inst-a")
    assert hook.enabled()


def _log_of(log_dir: Path):
    [path] = sorted(log_dir.glob("*.eval"))
    return path, read_eval_log(str(path))


def _warnings(output: str) -> int:
    return output.count("concord-client:")


@live
def test_an_eval_reports_progress_then_uploads_its_log(
    live_server, joint, bob_token, child_env, tmp_path, pending_dir
):
    env = child_env(
        CONCORD_URL=live_server.url,
        CONCORD_TOKEN=bob_token,
        CONCORD_PROJECT="joint",
        CONCORD_INSTITUTE="inst-a",
        COLUMNS="250",
    )
    child = subprocess.Popen(
        [*EVAL, "-T", "seconds=0.5"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline:
        external = ExternalRun.objects.filter(project=joint).first()
        if external is not None:
            seen.append((external.samples_done, external.samples_total))
        time.sleep(0.1)
    output = child.communicate(timeout=60)[0]
    assert child.returncode == 0, output
    assert _warnings(output) == 0, output

    # while it ran: reported with its total, part done
    assert seen, "the external run was never reported while the eval ran"
    assert {total for _, total in seen} == {10}
    assert any(0 < done < 10 for done, _ in seen), seen

    # at the end: the run exists, the external run is linked and succeeded
    path, log = _log_of(tmp_path / "logs")
    run_obj = EvaluationRun.objects.get(inspect_eval_id=log.eval.eval_id)
    external = ExternalRun.objects.get(eval_id=log.eval.eval_id)
    assert external.status == ExternalRun.Status.SUCCEEDED
    assert external.run_id == run_obj.pk
    assert (external.samples_done, external.samples_total) == (10, 10)
    assert (external.task_name, external.model) == ("arith", "mockllm/model")
    assert external.institute.code == "inst-a"
    assert external.reported_by.username == "bob"

    # the run's figures are Inspect's
    [scores] = log.results.scores
    accuracy = scores.metrics["accuracy"].value
    stderr = scores.metrics["stderr"].value
    assert accuracy == pytest.approx(0.7)
    stored = {s.metric: s.value for s in RunScore.objects.filter(run=run_obj, scorer="match")}
    assert stored["accuracy"] == pytest.approx(accuracy)
    assert stored["stderr"] == pytest.approx(stderr)
    api_run = Client(live_server.url, bob_token).run(run_obj.pk)
    [row] = [s for s in api_run["scores"] if (s["scorer"], s["metric"]) == ("match", "accuracy")]
    assert row["value"] == pytest.approx(accuracy)
    assert row["stderr"] == pytest.approx(stderr)
    external_api = Client(live_server.url, bob_token).external_run(external.pk)
    assert external_api["run"] == run_obj.pk
    assert not pending_dir.exists() or pending.entries(pending_dir) == []

    # uploading the same log again changes nothing
    again = run([CONCORD, "upload", str(path)], env, tmp_path)
    assert again.stdout == f"{path}: already imported as run {run_obj.pk}\n"


@live
def test_concord_down_leaves_the_log_pending_and_the_eval_unharmed(
    live_server, joint, bob_token, child_env, tmp_path, pending_dir, closed_port
):
    env = child_env(
        CONCORD_URL=f"http://127.0.0.1:{closed_port}",
        CONCORD_TOKEN=bob_token,
        CONCORD_PROJECT="joint",
        CONCORD_INSTITUTE="inst-a",
        COLUMNS="250",
    )
    started = time.monotonic()
    done = run([*EVAL, "-T", "seconds=0"], env, ROOT)
    elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert elapsed < 60, elapsed  # a few seconds of Inspect; the hook adds no long wait
    path, log = _log_of(tmp_path / "logs")
    assert log.status == "success"
    assert _warnings(output) == 1, output
    assert "concord upload --pending" in output

    [(_, entry)] = pending.entries(pending_dir)
    assert (entry.path, entry.eval_id) == (str(path), log.eval.eval_id)
    assert (entry.project, entry.institute) == ("joint", "inst-a")
    assert "Cannot reach Concord" in entry.error

    # Concord is back
    env["CONCORD_URL"] = live_server.url
    sent = run([CONCORD, "upload", "--pending"], env, tmp_path)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    run_obj = EvaluationRun.objects.get(inspect_eval_id=log.eval.eval_id)
    assert sent.stdout == f"{path}: imported as run {run_obj.pk}\n"
    assert pending.entries(pending_dir) == []


@live
def test_a_token_that_may_not_write_warns_once_and_leaves_nothing_pending(
    live_server, joint, vera_token, child_env, tmp_path, pending_dir
):
    env = child_env(
        CONCORD_URL=live_server.url,
        CONCORD_TOKEN=vera_token,
        CONCORD_PROJECT="joint",
        CONCORD_INSTITUTE="inst-a",
        COLUMNS="250",
    )
    done = run([*EVAL, "-T", "seconds=0"], env, ROOT)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert _log_of(tmp_path / "logs")[1].status == "success"
    assert _warnings(output) == 1, output
    assert "Concord refused" in output
    assert "concord upload --pending" not in output
    assert pending.entries(pending_dir) == []
    assert not EvaluationRun.objects.exists()
    assert not ExternalRun.objects.exists()


@live
def test_each_task_of_an_eval_set_is_one_external_run_and_one_upload(
    live_server, joint, bob_token, child_env, tmp_path, pending_dir
):
    TaskFactory(slug="products", name="Products", inspect_ref="products")
    env = child_env(
        CONCORD_URL=live_server.url,
        CONCORD_TOKEN=bob_token,
        CONCORD_PROJECT="joint",
        CONCORD_INSTITUTE="inst-a",
        COLUMNS="250",
    )
    products = TASK_FILE.with_name("products.py").relative_to(ROOT)
    args = [INSPECT, "eval-set", str(TASK_FILE.relative_to(ROOT)), str(products)]
    done = run([*args, "--log-dir", str(tmp_path / "set"), "-T", "seconds=0"], env, ROOT)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert _warnings(output) == 0, output
    externals = {e.task_name: e for e in ExternalRun.objects.all()}
    assert set(externals) == {"arith", "products"}
    runs = {r.task.slug: r for r in EvaluationRun.objects.all()}
    assert set(runs) == {"arith", "products"}
    for name, external in externals.items():
        assert external.status == ExternalRun.Status.SUCCEEDED
        assert external.run_id == runs[name].pk
    assert (externals["products"].samples_done, externals["products"].samples_total) == (4, 4)
    assert not pending_dir.exists() or pending.entries(pending_dir) == []


@live
def test_a_task_that_fails_is_reported_failed_and_its_log_uploaded(
    live_server, joint, bob_token, child_env, tmp_path
):
    TaskFactory(slug="failing-task", name="Failing", inspect_ref="failing_task")
    env = child_env(
        CONCORD_URL=live_server.url,
        CONCORD_TOKEN=bob_token,
        CONCORD_PROJECT="joint",
        CONCORD_INSTITUTE="inst-a",
    )
    failing = "tests/evaluations/runner/inspect_tasks.py@failing_task"
    done = run([INSPECT, "eval", failing, "--model", "mockllm/model"], env, ROOT)
    _, log = _log_of(tmp_path / "logs")
    assert log.status == "error", done.stdout + done.stderr
    external = ExternalRun.objects.get(eval_id=log.eval.eval_id)
    assert external.status == ExternalRun.Status.FAILED
    assert "tool environment broke" in external.error
    assert external.run_id == EvaluationRun.objects.get(inspect_eval_id=log.eval.eval_id).pk
