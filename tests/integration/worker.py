"""Start and stop real Celery worker processes for the integration tests.

The worker runs `python -m celery -A config worker` (with beat, so the reaper runs) against the
test database (pytest-django's `test_<name>`) and the suite's Redis database, with short
heartbeat and stale thresholds passed through its environment. Tests commit their data
(transactional tests), so the worker sees it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

# Fast supervision for tests: heartbeat twice a second, a job silent for 4 s is lost, the reaper
# looks every second.
FAST = {
    "CONCORD_JOB_HEARTBEAT_SECONDS": "0.5",
    "CONCORD_JOB_STALE_SECONDS": "4",
    "CONCORD_JOB_REAP_INTERVAL_SECONDS": "1",
    "CONCORD_JOB_RECONCILE_INTERVAL_SECONDS": "30",
    "CONCORD_JOB_CANCEL_GRACE_SECONDS": "3",
}


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no worker log)"

    def kill_hard(self) -> None:
        """SIGKILL the worker and every process it started (pool, evaluation children): what an
        out-of-memory kill or a lost machine does."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def start_worker(
    tmp: Path, *, extra_env: dict[str, str] | None = None, queues: str = "evals,default"
) -> Worker:
    tmp.mkdir(parents=True, exist_ok=True)
    name = f"concord-test-{uuid.uuid4().hex[:8]}"
    log = tmp / f"{name}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CONCORD_LOG_DIR": str(settings.CONCORD_LOG_DIR),
        "PYTHONUNBUFFERED": "1",
        **FAST,
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-B",
        "--schedule",
        str(tmp / f"{name}-beat"),
        "-Q",
        queues,
        "--concurrency",
        "1",
        "--without-mingle",
        "--without-gossip",
        "--loglevel",
        "INFO",
        "-n",
        f"{name}@localhost",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process=process, log=log)
    wait_for(lambda: " ready." in worker.log.read_text(errors="replace"), 60, worker, "start")
    return worker


def wait_for(condition: Callable[[], object], timeout: float, worker: Worker | None, what: str):
    """Poll `condition` until it returns something truthy; fail with the worker's log tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(f"worker exited while waiting to {what}:\n{worker.tail()}")
        time.sleep(0.1)
    tail = worker.tail() if worker is not None else ""
    raise AssertionError(f"timed out after {timeout} s waiting to {what}\n{tail}")
