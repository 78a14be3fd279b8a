"""Helpers for tests that run `concord worker` against a live Concord: an institute's pool and a
project whose jobs go to it, the worker started as a separate process whose environment holds
no database, Redis or broker address (only CONCORD_URL and the pool credential), and a TCP proxy
between the worker and the server that a test can cut."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evaluations.models import EvaluationJob, EvaluationRun
from evaluations.runner.offline import ensure_tiktoken_encodings
from evaluations.services.jobs import job_queue
from evaluations.services.pools import pool_create
from tests.evaluations.factories import (
    AccessWindowFactory,
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    TaskFactory,
)
from tests.integration.worker import ROOT

CONCORD = str(Path(sys.executable).parent / "concord")
SLOW_TASK = "tests.evaluations.runner.inspect_tasks:slow_task"
# Never in a pool worker's environment: it reaches Concord over HTTP only.
SERVER_ENV = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")


@dataclass
class PoolWorld:
    pool: object
    credential: str
    queue: Callable[..., EvaluationJob]


def pool_world(institute, lead, evaluator) -> PoolWorld:
    """A project of `institute` whose jobs its default pool runs (a mock model, the slow task)."""
    project = ProjectFactory()
    ParticipationFactory(project=project, institute=institute, role="lead")
    system = AISystemFactory(inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    AccessWindowFactory(project=project, system=system)
    task = TaskFactory(inspect_ref=SLOW_TASK)
    pool, credential = pool_create(
        institute=institute, name="lab-machines", by=lead, is_default=True
    )

    def queue(samples: int = 12, seconds: float = 0.3, **params) -> EvaluationJob:
        job = job_queue(
            project=project,
            task=task,
            system=system,
            institute=institute,
            requested_by=evaluator,
            params={
                "task_args": {"samples": samples, "seconds": seconds},
                "max_samples": 1,
                **params,
            },
        )
        assert job.pool_id == pool.pk
        return job

    return PoolWorld(pool, credential, queue)


@dataclass
class PoolWorker:
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no worker log)"

    def kill_hard(self) -> None:
        """SIGKILL the worker and its evaluation child (a lost machine)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.process.returncode

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)


def start_pool_worker(
    tmp: Path, url: str, credential: str, *args: str, name: str = "pool-worker"
) -> PoolWorker:
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONCORD_", "INSPECT_"))}
    for key in SERVER_ENV:
        env.pop(key, None)
    env.update(
        CONCORD_URL=url,
        CONCORD_WORKER_TOKEN=credential,
        CONCORD_WORKER_BACKOFF_CAP="0.5",
        HOME=str(tmp / "home"),
        TIKTOKEN_CACHE_DIR=str(ensure_tiktoken_encodings()),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    log = tmp / f"{name}.log"
    command = [CONCORD, "worker", "--log-dir", str(tmp / f"{name}-logs"), "--wait", "2", *args]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return PoolWorker(process, log)


def job_state(job_id: int) -> dict:
    return EvaluationJob.objects.values(
        "status", "attempts", "progress_done", "error", "run_id", "pool_id", "worker"
    ).get(pk=job_id)


def runs_of(job_id: int) -> int:
    """Runs in the job's project (each world has its own project): a duplicate shows here."""
    project_id = EvaluationJob.objects.values_list("project_id", flat=True).get(pk=job_id)
    return EvaluationRun.objects.filter(project_id=project_id).count()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the server. `cut()` drops every connection (open ones at
    once, new ones as they come) until `restore()`; `drop_response_once(b"PUT")` forwards the
    next request starting with those bytes to the server but drops its answer (the server did
    the work, the client sees the connection cut)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.host = target_host  # the name the server expects in Host (ALLOWED_HOSTS)
        self.target = ("127.0.0.1" if target_host == "localhost" else target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_event = threading.Event()
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.drop_prefixes: list[bytes] = []
        self.dropped = 0
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def cut(self) -> None:
        self.cut_event.set()
        with self.lock:
            for sock in list(self.open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self.open.clear()

    def restore(self) -> None:
        self.cut_event.clear()

    def drop_response_once(self, prefix: bytes) -> None:
        with self.lock:
            self.drop_prefixes.append(prefix)

    def close(self) -> None:
        self.closing = True
        self.cut()
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut_event.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open.update((client, upstream))
            state = {"drop": False, "first": True}
            threading.Thread(
                target=self._pump, args=(client, upstream, state, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, state, False), daemon=True
            ).start()

    def _pump(self, source: socket.socket, sink: socket.socket, state: dict, up: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if up and state["first"]:
                    state["first"] = False
                    with self.lock:
                        for prefix in self.drop_prefixes:
                            if data.startswith(prefix):
                                self.drop_prefixes.remove(prefix)
                                state["drop"] = True
                                break
                if not up and state["drop"]:
                    self.dropped += 1
                    break  # the answer never reaches the client: close both sides
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                with self.lock:
                    self.open.discard(sock)
