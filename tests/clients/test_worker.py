"""`concord worker` on its own, against a fake of Concord's worker API (tests/clients/fake_concord.py):
claim (with back-off through errors), run in the supervised child, heartbeats with progress,
cancel, 409 (abandon), upload retried through failures and stored once, finish; SIGTERM while a
job runs. The worker runs as the command line does, in a child process with no database or
broker in its environment."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from concord_client.worker import Backoff, Options, Worker
from inspect_ai.log import read_eval_log

from tests.clients.conftest import CONCORD
from tests.clients.fake_concord import TOKEN, FakeConcord, job, serving

SERVER_ENV = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")


@pytest.fixture
def worker_env(child_env, tmp_path):
    def make(fake: FakeConcord, **values: str) -> dict[str, str]:
        env = child_env(
            CONCORD_URL=fake.url,
            CONCORD_WORKER_TOKEN=TOKEN,
            CONCORD_WORKER_BACKOFF_CAP="0.3",
            **values,
        )
        for name in SERVER_ENV:
            env.pop(name, None)
        return env

    return make


def start(env, tmp_path, *args: str) -> subprocess.Popen:
    command = [CONCORD, "worker", "--log-dir", str(tmp_path / "wlogs"), "--wait", "1", *args]
    return subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


def test_a_job_is_claimed_run_uploaded_through_failures_and_finished_once(worker_env, tmp_path):
    with serving(FakeConcord(jobs=[job(7)], claim_failures=2, upload_failures=2)) as fake:
        code, err = finish(start(worker_env(fake), tmp_path, "--once"))

    assert code == 0, err
    # claims backed off through two 503s, then took the job
    assert [r.status for r in fake.seen("POST", "/claim/")][:3] == [503, 503, 200]
    # heartbeats carried the attempt and the progress, up to every sample
    assert fake.heartbeats
    assert all(h["attempt"] == 1 for h in fake.heartbeats)
    assert max(h["progress_done"] for h in fake.heartbeats) <= 4
    assert {h["progress_total"] for h in fake.heartbeats} <= {0, 4}
    # the upload failed twice, was retried, and the log is stored once
    assert [r.status for r in fake.seen("PUT", "/jobs/7/log/")] == [503, 503, 201]
    [(key, data)] = fake.logs.items()
    assert key[:2] == (7, 1)
    [log] = (tmp_path / "wlogs").rglob("*.eval")
    assert data == log.read_bytes()
    assert key[2] == read_eval_log(str(log), header_only=True).eval.eval_id  # the log's own
    [finished] = fake.finished
    assert finished["status"] == "success"
    assert finished["attempt"] == 1
    assert finished["eval_id"] == key[2]
    # every request named this worker; one line per step on stderr
    assert all(r.headers.get("X-Concord-Worker", "").count(":") == 1 for r in fake.requests)
    for step in (
        "claim failed",
        "claimed job 7",
        "job 7: running",
        "log uploaded",
        "finished success",
    ):
        assert step in err, err


def test_cancel_in_a_heartbeat_stops_the_evaluation_within_seconds(worker_env, tmp_path):
    slow = job(8, task_args={"samples": 60, "seconds": 0.5})
    with serving(FakeConcord(jobs=[slow], cancel_after=1)) as fake:
        process = start(worker_env(fake), tmp_path, "--once")
        code, err = finish(process)

    assert code == 0, err
    [finished] = fake.finished
    assert finished["status"] == "cancelled"
    assert not fake.logs  # a cancelled evaluation's log is not uploaded
    assert "stopping the evaluation" in err


def test_cancel_reaches_the_finish_in_under_ten_seconds(worker_env, tmp_path):
    slow = job(9, task_args={"samples": 200, "seconds": 0.5})
    with serving(FakeConcord(jobs=[slow], cancel_after=2)) as fake:
        process = start(worker_env(fake), tmp_path, "--once")
        deadline = time.monotonic() + 60
        while len(fake.heartbeats) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        cancelled = time.monotonic()
        while not fake.finished and time.monotonic() < deadline:
            time.sleep(0.05)
        stopped = time.monotonic() - cancelled
        code, err = finish(process)
    assert code == 0, err
    assert fake.finished[0]["status"] == "cancelled"
    assert stopped < 10


def test_a_409_abandons_the_attempt_without_upload_or_finish(worker_env, tmp_path):
    slow = job(10, task_args={"samples": 60, "seconds": 0.5})
    with serving(FakeConcord(jobs=[slow], conflict_after=1)) as fake:
        code, err = finish(start(worker_env(fake), tmp_path, "--once"))

    assert code == 0, err
    assert not fake.logs
    assert not fake.finished
    assert not fake.seen("PUT", "/log/")
    assert "no longer ours; abandoned" in err


def test_the_model_key_is_read_here_and_never_sent(worker_env, tmp_path):
    keyed = job(11, api_key_env="POOL_TEST_KEY")
    with serving(FakeConcord(jobs=[keyed])) as fake:
        env = worker_env(fake, POOL_TEST_KEY="sk-secret-never-sent")
        code, err = finish(start(env, tmp_path, "--once"))

    assert code == 0, err
    assert fake.finished[0]["status"] == "success"
    for seen in fake.requests:
        assert b"sk-secret-never-sent" not in seen.body
        assert "sk-secret-never-sent" not in str(seen.headers)


def test_a_missing_model_key_finishes_the_job_crashed_without_running(worker_env, tmp_path):
    keyed = job(12, api_key_env="POOL_TEST_ABSENT_KEY")
    with serving(FakeConcord(jobs=[keyed])) as fake:
        code, err = finish(start(worker_env(fake), tmp_path, "--once"))

    assert code == 0, err
    [finished] = fake.finished
    assert finished["status"] == "crashed"
    assert "POOL_TEST_ABSENT_KEY" in finished["error"]
    assert not fake.heartbeats
    assert not fake.logs


def test_a_task_that_cannot_be_built_finishes_crashed_with_its_reason(worker_env, tmp_path):
    broken = job(13, ref="tests.evaluations.runner.inspect_tasks:broken_task", task_args={})
    with serving(FakeConcord(jobs=[broken])) as fake:
        code, err = finish(start(worker_env(fake), tmp_path, "--once"))

    assert code == 0, err
    [finished] = fake.finished
    assert finished["status"] == "crashed"
    assert "the dataset server is unreachable" in finished["error"]


def test_sigterm_stops_the_evaluation_and_finishes_the_job_cleanly(worker_env, tmp_path):
    slow = job(14, task_args={"samples": 200, "seconds": 0.5})
    with serving(FakeConcord(jobs=[slow])) as fake:
        process = start(worker_env(fake), tmp_path)  # not --once: only the signal stops it
        deadline = time.monotonic() + 60
        while len(fake.heartbeats) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        code, err = finish(process, timeout=30)

    assert code == 0, err
    [finished] = fake.finished
    assert finished["status"] == "cancelled"
    assert "SIGTERM received" in err


def test_sigterm_while_waiting_for_a_job_exits_at_once(worker_env, tmp_path):
    with serving(FakeConcord()) as fake:
        process = start(worker_env(fake), tmp_path, "--wait", "20")
        deadline = time.monotonic() + 30
        while not fake.seen("POST", "/claim/") and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        code, err = finish(process, timeout=10)
    assert code == 0, err


def test_a_refused_credential_stops_the_worker(worker_env, tmp_path):
    with serving(FakeConcord(token="cwp_another")) as fake:
        code, err = finish(start(worker_env(fake), tmp_path), timeout=30)
    assert code == 1
    assert "refused the worker credential (401)" in err


def test_a_credential_revoked_while_a_job_runs_stops_the_job_and_the_worker(worker_env, tmp_path):
    slow = job(15, task_args={"samples": 200, "seconds": 0.5})
    with serving(FakeConcord(jobs=[slow], revoke_after=2)) as fake:
        code, err = finish(start(worker_env(fake), tmp_path), timeout=60)
    assert code == 1, err
    assert not fake.finished
    assert not fake.logs
    assert "refused the worker credential (401)" in err


def test_without_a_credential_the_command_says_what_is_missing(child_env, tmp_path):
    env = child_env(CONCORD_URL="http://127.0.0.1:9")
    done = subprocess.run(
        [CONCORD, "worker", "--once"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "CONCORD_WORKER_TOKEN" in done.stderr


def test_a_network_error_never_stops_the_worker(worker_env, tmp_path, closed_port):
    fake = FakeConcord(url=f"http://127.0.0.1:{closed_port}")
    process = start(worker_env(fake), tmp_path, "--once")
    time.sleep(3)
    assert process.poll() is None  # still trying
    process.send_signal(signal.SIGTERM)
    code, err = finish(process, timeout=10)
    assert code == 0
    assert err.count("claim failed") >= 2


def test_backoff_grows_with_jitter_up_to_its_cap():
    backoff = Backoff(base=1.0, cap=8.0)
    delays = [backoff.next() for _ in range(8)]
    assert 0.5 <= delays[0] <= 1.0
    assert 1.0 <= delays[1] <= 2.0
    assert all(4.0 <= d <= 8.0 for d in delays[4:])
    backoff.reset()
    assert backoff.next() <= 1.0


def test_the_spec_gets_this_machines_log_folder_and_key(tmp_path, monkeypatch):
    monkeypatch.setenv("POOL_UNIT_KEY", "sk-local")
    worker = Worker(Options(url="http://127.0.0.1:9", token=TOKEN, log_dir=tmp_path))
    spec = worker.spec(job(3, api_key_env="POOL_UNIT_KEY"), tmp_path / "x")
    assert spec["eval_kwargs"]["model_args"] == {"api_key": "sk-local"}
    assert spec["eval_kwargs"]["log_dir"] == str(tmp_path / "x")
    assert "api_key_env" not in spec
