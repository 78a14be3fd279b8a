"""Jobs that survive faults: real Celery workers, PostgreSQL and a Redis of our own, broken on
purpose while evaluation jobs run.

Modes, each run `trials` times (`MODES` in the suite, `ALL_MODES` by the script):

- `worker-sigkill`: SIGKILL of a worker's main process and its whole process group (what an
  out-of-memory kill of the service or a lost machine does);
- `worker-main-sigkill`: SIGKILL of a worker's main process alone, its pool process orphaned;
- `worker-sigterm`: SIGTERM of a worker's main process while it runs a job (warm shutdown, as
  `docker stop` or a deploy does);
- `worker-group-sigterm`: SIGTERM to the worker's whole process group (systemd's default);
- `pool-child-sigkill`: SIGKILL of the pool process that supervises the running job;
- `redis-restart`: Redis restarted while jobs run and others are queued; Redis keeps nothing on
  disk, so every queued message is lost and the reconciler must send them again.

For each mode one line: trials, jobs lost (not `succeeded` with one run at the recovery
deadline), duplicated (more than one run, or more than one evaluation that ran to completion),
stuck (still `running` at the deadline), and the time to recovery, p50/max: from the fault to the
job being claimed again, and from the fault to the job `succeeded`. Then two checks: messages
delivered again after the broker's visibility timeout (and one sent twice) run their job once; a
job that kills its worker on every attempt ends `failed` after its `max_attempts`, with the reason.

Layout: a redis-server of our own on a free port; one control worker for the `default` queue with
the beat (reaper, reconciler), faulted only by the Redis restart; three evaluation workers
(`-Q evals`, concurrency 1); a worker killed or stopped is replaced, as a service manager would.
Supervision runs with short intervals (`SUPERVISION`), passed through the workers' environment.

Run it (PostgreSQL and Redis as for the suite; the test database is created as usual):

    .venv/bin/python -m tests.faults.run_faults --trials 5

`tests/faults/test_faults.py` runs the same scenarios with fewer trials in the suite.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from unittest import mock

import redis
from django.conf import settings

from tests.integration.worker import ROOT, Worker, database_url, wait_for

TRIALS_ENV = "CONCORD_FAULT_TRIALS"
MODES_ENV = "CONCORD_FAULT_MODES"
DEFAULT_TRIALS = 5

# Heartbeat twice a second, a job silent for 3 s is lost, the reaper looks twice a second, a job
# queued for 3 s is sent again (the reconciler looks every second).
SUPERVISION = {
    "CONCORD_JOB_HEARTBEAT_SECONDS": "0.5",
    "CONCORD_JOB_STALE_SECONDS": "3",
    "CONCORD_JOB_REAP_INTERVAL_SECONDS": "0.5",
    "CONCORD_JOB_REQUEUE_SECONDS": "3",
    "CONCORD_JOB_RECONCILE_INTERVAL_SECONDS": "1",
    "CONCORD_JOB_CANCEL_GRACE_SECONDS": "3",
}
# A job must be done this long after the fault, or it counts as lost (or stuck when running).
RECOVERY_DEADLINE = 60.0
EVAL_WORKERS = 3
# One sample at a time, each pausing: about a second of evaluation.
JOB_TASK = "tests.evaluations.runner.inspect_tasks:slow_task"
JOB_PARAMS = {"task_args": {"samples": 5, "seconds": 0.2}, "max_samples": 1}
LONGER_JOB_PARAMS = {"task_args": {"samples": 10, "seconds": 0.3}, "max_samples": 1}
POISON_TASK = "tests.faults.inspect_tasks:crashes_its_worker"

WORKER_ARGS = [
    "--concurrency",
    "1",
    "--without-mingle",
    "--without-gossip",
    "--loglevel",
    "INFO",
]

# The modes that replace workers come first: their replacements start while the others run.
MODES = (
    "worker-sigkill",
    "worker-main-sigkill",
    "worker-sigterm",
    "pool-child-sigkill",
    "redis-restart",
)
# Also run by the script (not by the suite): SIGTERM to the worker's whole process group.
ALL_MODES = (*MODES[:3], "worker-group-sigterm", *MODES[3:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of our own on a free port, keeping nothing on disk."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, None, "see redis-server answer")

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def restart(self, downtime: float = 1.0) -> None:
        """Killed and started again: everything it held (queues, unacked messages) is gone."""
        self.kill()
        time.sleep(downtime)
        self.start()


class Cluster:
    """The control worker (queue `default`, with the beat: the reaper and the reconciler) and
    the evaluation workers (queue `evals`)."""

    def __init__(self, root: Path, broker: RedisServer):
        self.root = root
        self.broker = broker
        self.control: Worker | None = None
        self.evals: list[Worker] = []
        self.everyone: list[Worker] = []

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.broker.url,
            "CELERY_BROKER_URL": self.broker.url,
            "CONCORD_LOG_DIR": str(settings.CONCORD_LOG_DIR),
            "PYTHONUNBUFFERED": "1",
            **SUPERVISION,
        }

    def launch(self, *, control: bool = False) -> Worker:
        name = f"concord-faults-{uuid.uuid4().hex[:8]}"
        log = self.root / f"{name}.log"
        if control:
            command = [sys.executable, "-m", "tests.faults.control_worker", "-Q", "default"]
            command += ["-B", "--schedule", str(self.root / "beat")]
        else:
            command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "evals"]
        command += [*WORKER_ARGS, "-n", f"{name}@localhost"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(process=process, log=log)
        self.everyone.append(worker)
        return worker

    @staticmethod
    def ready(worker: Worker) -> bool:
        return worker.process.poll() is None and " ready." in worker.log.read_text(errors="replace")

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.broker.start()
        self.control = self.launch(control=True)
        self.evals = [self.launch() for _ in range(EVAL_WORKERS)]
        self.ensure_evals(EVAL_WORKERS - 1)  # the spare comes up while the first faults run
        wait_for(lambda: self.ready(self.control), 60, self.control, "start the control worker")

    def replace(self, worker: Worker) -> None:
        """Start another worker in place of one that was killed or stopped, as the service
        manager would; it comes up in the background (`ensure_evals` waits for it)."""
        if worker in self.evals:
            self.evals.remove(worker)
        self.evals.append(self.launch())

    def ensure_evals(self, count: int) -> list[Worker]:
        """Replace the workers that exited, then wait until `count` of them are ready."""
        for worker in list(self.evals):
            if worker.process.poll() is not None:
                self.replace(worker)
        wait_for(
            lambda: sum(map(self.ready, self.evals)) >= count,
            120,
            self.control,
            f"see {count} evaluation workers ready",
        )
        return [worker for worker in self.evals if self.ready(worker)]

    def worker_running(self, job_worker: str) -> tuple[Worker, int]:
        """The worker whose pool process holds the job (`EvaluationJob.worker` is host:pid of
        the pool process), and that pool process's pid."""
        pool_pid = int(job_worker.rsplit(":", 1)[1])
        main_pid = parent_pid(pool_pid)
        for worker in self.evals:
            if worker.process.pid == main_pid:
                return worker, pool_pid
        raise AssertionError(f"no evaluation worker has the pool process {pool_pid}")

    def resent(self) -> int:
        """Jobs sent again by the reconciler so far (its log says 're-sent N queued jobs')."""
        log = self.control.log.read_text(errors="replace")
        return sum(int(n) for n in re.findall(r"re-sent (\d+) queued jobs", log))

    def logs(self) -> str:
        return "\n".join(w.log.read_text(errors="replace") for w in self.everyone if w.log.exists())

    def stop(self) -> None:
        for worker in self.everyone:
            if worker.process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(worker.process.pid, signal.SIGKILL)
                with suppress(subprocess.TimeoutExpired):
                    worker.process.wait(timeout=10)
        self.broker.kill()


def parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


@contextmanager
def running_cluster(root: Path) -> Iterator[Cluster]:
    """The cluster for the fault runs; every process it started is killed on the way out."""
    cluster = Cluster(root, RedisServer(root / "redis"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


class Sender:
    """Sends the job messages of the queueing process to the cluster's Redis: `job_queue` sends
    through the Celery app's own broker, which in the suite is the shared test Redis. Everything
    the workers send (the reaper's and the reconciler's re-sends) goes through the product code
    unchanged. Records the task id of each message, by job."""

    def __init__(self, broker: RedisServer):
        self.broker = broker
        self.task_ids: dict[int, list[str]] = {}

    def send(self, job_id: int, queue: str, hard_limit: float, task_id: str | None = None) -> str:
        from kombu import Connection

        from evaluations.tasks import run_job

        with Connection(self.broker.url) as connection:
            result = run_job.apply_async(
                args=[job_id],
                queue=queue,
                time_limit=hard_limit,
                task_id=task_id,
                connection=connection,
            )
        self.task_ids.setdefault(job_id, []).append(result.id)
        return result.id

    @contextmanager
    def installed(self) -> Iterator[Sender]:
        with mock.patch("evaluations.services.jobs._send", self.send):
            yield self


@dataclass
class ModeResult:
    mode: str
    trials: int = 0
    jobs: int = 0
    lost: int = 0
    duplicated: int = 0
    stuck: int = 0
    to_claim: list[float] = field(default_factory=list)
    to_done: list[float] = field(default_factory=list)
    queued_at_fault: int = 0  # jobs whose message Redis held (reserved or waiting) at the fault
    waiting_at_fault: int = 0  # messages in the queue itself (not held by a worker) at the fault
    resent: int = 0  # jobs the reconciler sent again
    notes: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not (self.lost or self.duplicated or self.stuck)

    def line(self) -> str:
        return (
            f"{self.mode:<19} trials={self.trials} jobs={self.jobs} lost={self.lost} "
            f"duplicated={self.duplicated} stuck={self.stuck} "
            f"recovery p50/max: claimed again {spread(self.to_claim)}, "
            f"succeeded {spread(self.to_done)}"
            + (
                f"; {self.queued_at_fault} queued at the fault ({self.waiting_at_fault} waiting "
                f"in the queue), {self.resent} sent again by the reconciler"
                if self.queued_at_fault
                else ""
            )
        )


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.1f}/{max(values):.1f} s"


class World:
    """A project with a mock system and the jobs' task, for one scenario."""

    def __init__(self, institute, requester, inspect_ref: str = JOB_TASK):
        from tests.evaluations.factories import (
            AccessWindowFactory,
            AISystemFactory,
            ParticipationFactory,
            ProjectFactory,
            ProjectSystemFactory,
            TaskFactory,
        )

        self.institute = institute
        self.requester = requester
        self.project = ProjectFactory()
        ParticipationFactory(project=self.project, institute=institute, role="lead")
        self.system = AISystemFactory(inspect_model="mockllm/model")
        ProjectSystemFactory(project=self.project, system=self.system)
        AccessWindowFactory(project=self.project, system=self.system)
        self.task = TaskFactory(inspect_ref=inspect_ref)

    def submit(self, count: int = 1, params: dict | None = None) -> list[int]:
        from evaluations.services.jobs import job_queue

        return [
            job_queue(
                project=self.project,
                task=self.task,
                system=self.system,
                institute=self.institute,
                requested_by=self.requester,
                params=JOB_PARAMS if params is None else params,
            ).pk
            for _ in range(count)
        ]


def job_rows(ids: list[int]) -> dict[int, dict]:
    from evaluations.models import EvaluationJob

    fields = ("pk", "status", "attempts", "progress_done", "worker", "error", "started_at")
    rows = EvaluationJob.objects.filter(pk__in=ids).values(*fields, "finished_at", "run_id")
    return {row["pk"]: row for row in rows}


def wait_running(cluster: Cluster, ids: list[int], *, or_done: bool = False) -> dict[int, dict]:
    """Until every job runs on a worker with a sample done (or, with `or_done`, has finished)."""
    final = {"succeeded", "failed", "cancelled"}

    def check():
        rows = job_rows(ids)
        ready = all(
            (r["status"] == "running" and r["progress_done"] >= 1)
            or (or_done and r["status"] in final)
            for r in rows.values()
        )
        return rows if ready and len(rows) == len(ids) else None

    return wait_for(check, 60, cluster.control, f"see jobs {ids} running")


def wait_final(ids: list[int], deadline: float) -> dict[int, dict]:
    """Until every job is final, or the deadline (time.monotonic()) passes."""
    final = {"succeeded", "failed", "cancelled"}
    while True:
        rows = job_rows(ids)
        if all(r["status"] in final for r in rows.values()) or time.monotonic() >= deadline:
            return rows
        time.sleep(0.1)


def completed_executions(job_id: int) -> int:
    """Evaluations of this job that ran to completion: logs in its folder with status success."""
    from inspect_ai.log import read_eval_log

    folder = Path(settings.CONCORD_LOG_DIR) / "jobs" / str(job_id)
    return sum(
        read_eval_log(str(path), header_only=True).status == "success"
        for path in folder.glob("attempt-*/*.eval")
    )


def runs_of(job_id: int) -> int:
    from evaluations.models import EvaluationRun

    return EvaluationRun.objects.filter(log_file__startswith=f"jobs/{job_id}/").count()


def judge(result: ModeResult, ids: list[int], fault_at: datetime, before: dict[int, dict]) -> None:
    """Wait for the jobs (up to the deadline) and add their verdicts and recovery times (of the
    jobs not yet finished at the fault: `before` is their rows then)."""
    rows = wait_final(ids, time.monotonic() + RECOVERY_DEADLINE)
    result.jobs += len(ids)
    for job_id, row in rows.items():
        if runs_of(job_id) > 1 or completed_executions(job_id) > 1:
            result.duplicated += 1
        if row["status"] == "running":
            result.stuck += 1
            result.notes.append(f"job {job_id} still running: {row['error']}")
            continue
        if row["status"] != "succeeded" or runs_of(job_id) != 1:
            result.lost += 1
            result.notes.append(f"job {job_id} {row['status']}: {row['error']}")
            continue
        if before[job_id]["status"] == "succeeded":
            continue
        if row["attempts"] > before[job_id]["attempts"]:
            result.to_claim.append((row["started_at"] - fault_at).total_seconds())
        result.to_done.append((row["finished_at"] - fault_at).total_seconds())


def now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def fault_pool_child(cluster: Cluster, world: World, result: ModeResult) -> None:
    cluster.ensure_evals(1)
    [job_id] = world.submit()
    row = wait_running(cluster, [job_id])[job_id]
    _worker, pool_pid = cluster.worker_running(row["worker"])
    fault_at = now()
    os.kill(pool_pid, signal.SIGKILL)
    judge(result, [job_id], fault_at, {job_id: row})


def _fault_worker(
    cluster: Cluster,
    world: World,
    result: ModeResult,
    sig: signal.Signals,
    *,
    group: bool,
    spare: bool = True,
) -> Worker:
    """One job running on a worker; `sig` to the worker's main process (or its whole process
    group); a worker started in its place; the job judged. Returns the faulted worker."""
    cluster.ensure_evals(2 if spare else 1)  # one to fault, one to take the job over
    [job_id] = world.submit()
    row = wait_running(cluster, [job_id])[job_id]
    worker, _pool_pid = cluster.worker_running(row["worker"])
    fault_at = now()
    (os.killpg if group else os.kill)(worker.process.pid, sig)
    if sig == signal.SIGKILL:
        worker.process.wait(timeout=10)
    cluster.replace(worker)
    judge(result, [job_id], fault_at, {job_id: row})
    return worker


def fault_worker_sigkill(cluster: Cluster, world: World, result: ModeResult) -> None:
    _fault_worker(cluster, world, result, signal.SIGKILL, group=True)


def fault_worker_main_sigkill(cluster: Cluster, world: World, result: ModeResult) -> None:
    """SIGKILL of the worker's main process alone: its pool process, orphaned, goes on with the
    job (or dies when it finds its parent gone); either way the job must end done exactly once."""
    worker = _fault_worker(cluster, world, result, signal.SIGKILL, group=False)
    with suppress(ProcessLookupError):  # what the orphans left behind, if anything
        os.killpg(worker.process.pid, signal.SIGKILL)


def fault_worker_sigterm(cluster: Cluster, world: World, result: ModeResult) -> None:
    worker = _fault_worker(cluster, world, result, signal.SIGTERM, group=False, spare=False)
    try:
        worker.process.wait(timeout=RECOVERY_DEADLINE)
    except subprocess.TimeoutExpired:
        result.notes.append("a worker did not finish its warm shutdown")
        result.stuck += 1


def fault_worker_group_sigterm(cluster: Cluster, world: World, result: ModeResult) -> None:
    """SIGTERM to the worker's whole process group, as a service manager that signals every
    process of the service does (systemd's default KillMode=control-group)."""
    _fault_worker(cluster, world, result, signal.SIGTERM, group=True)


def fault_redis_restart(cluster: Cluster, world: World, result: ModeResult) -> None:
    """Every worker runs a job and holds the next one's message, two more messages wait in the
    queue; Redis dies with all of them. (A worker that loses its connection puts the messages it
    holds back once Redis answers again; those waiting in the queue only the reconciler sends.)"""
    workers = len(cluster.ensure_evals(2))
    running = world.submit(workers)
    wait_running(cluster, running, or_done=True)
    queued = world.submit(workers + 2)
    client = cluster.broker.client()
    wait_for(lambda: client.llen("evals") <= 2, 30, None, "see the messages taken by workers")
    rows = job_rows(running + queued)
    result.queued_at_fault += sum(r["status"] == "queued" for r in rows.values())
    result.waiting_at_fault += client.llen("evals")
    resent_before = cluster.resent()
    fault_at = now()
    cluster.broker.restart()
    judge(result, running + queued, fault_at, rows)
    result.resent += cluster.resent() - resent_before


FAULTS = {
    "pool-child-sigkill": fault_pool_child,
    "worker-sigkill": fault_worker_sigkill,
    "worker-main-sigkill": fault_worker_main_sigkill,
    "worker-sigterm": fault_worker_sigterm,
    "worker-group-sigterm": fault_worker_group_sigterm,
    "redis-restart": fault_redis_restart,
}


def run_mode(cluster: Cluster, world: World, mode: str, trials: int) -> ModeResult:
    result = ModeResult(mode)
    for _ in range(trials):
        FAULTS[mode](cluster, world, result)
        result.trials += 1
    return result


@dataclass
class RedeliveryResult:
    jobs: int
    messages: int
    redelivered: int
    deliveries: int
    not_claimed: int
    claims: int
    runs: int
    executions: int

    def line(self) -> str:
        return (
            f"{'redelivery':<19} jobs={self.jobs} messages sent={self.messages} "
            f"redelivered after the visibility timeout={self.redelivered} "
            f"deliveries={self.deliveries} (not claimed: {self.not_claimed}) "
            f"claims={self.claims} runs={self.runs} completed evaluations={self.executions}"
        )


def redelivery(cluster: Cluster, world: World, sender: Sender) -> RedeliveryResult:
    """Messages delivered again: every worker runs a job while holding the next job's message
    (prefetched, not yet acknowledged); the visibility timeout passes and the sweep that every
    Redis consumer runs (at start, then periodically) puts those messages back on the queue, so
    each is delivered twice. One more message is sent twice with the same task id."""
    from kombu import Connection

    workers = len(cluster.ensure_evals(EVAL_WORKERS))
    first = world.submit(workers, params=LONGER_JOB_PARAMS)
    wait_running(cluster, first, or_done=True)
    waiting = world.submit(workers)
    client = cluster.broker.client()
    wait_for(lambda: client.llen("evals") == 0, 30, None, "see the messages taken by workers")
    time.sleep(1.1)
    # The sweep puts back the messages delivered more than the visibility timeout ago and not
    # acknowledged yet (a worker that starts its prefetched job meanwhile acknowledges it: the
    # redeliveries are counted from the workers' logs below, not predicted here).
    with Connection(cluster.broker.url, transport_options={"visibility_timeout": 1}) as conn:
        conn.default_channel.qos.restore_visible(num=100, interval=1)
    twice = world.submit(1)
    sender.send(twice[0], "evals", 3600, task_id=sender.task_ids[twice[0]][0])
    ids = first + waiting + twice
    rows = wait_final(ids, time.monotonic() + RECOVERY_DEADLINE)
    task_ids = {task_id for job in ids for task_id in sender.task_ids[job]}
    messages = sum(len(sender.task_ids[job]) for job in ids)

    def count(*words: str) -> int:
        return sum(
            1
            for line in cluster.logs().splitlines()
            for task_id in task_ids
            if f"evaluations.run_job[{task_id}]" in line and all(w in line for w in words)
        )

    # every delivery ends in the log: the one that claimed its job, the others 'not claimed'
    wait_for(lambda: count("succeeded") >= count("received"), 30, None, "see every delivery end")
    deliveries = count("received")
    return RedeliveryResult(
        jobs=len(ids),
        messages=messages,
        redelivered=deliveries - messages,
        deliveries=deliveries,
        not_claimed=count("succeeded", "'not claimed'"),
        claims=sum(r["attempts"] for r in rows.values()),
        runs=sum(runs_of(job) for job in ids),
        executions=sum(completed_executions(job) for job in ids),
    )


@dataclass
class PoisonResult:
    status: str
    attempts: int
    max_attempts: int
    error: str
    seconds: float
    runs: int

    def line(self) -> str:
        return (
            f"{'poison job':<19} {self.status} after {self.attempts} attempts "
            f"(max_attempts={self.max_attempts}) in {self.seconds:.1f} s: {self.error}"
        )


def poison(cluster: Cluster, world: World) -> PoisonResult:
    """A job whose evaluation kills the worker's pool process on every attempt."""
    from evaluations.models import EvaluationJob

    cluster.ensure_evals(1)
    started = time.monotonic()
    [job_id] = world.submit(params={})
    rows = wait_final([job_id], time.monotonic() + RECOVERY_DEADLINE)
    job = EvaluationJob.objects.get(pk=job_id)
    return PoisonResult(
        status=rows[job_id]["status"],
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        error=job.error,
        seconds=time.monotonic() - started,
        runs=runs_of(job_id),
    )


def trials_from_env(default: int) -> int:
    return int(os.environ.get(TRIALS_ENV) or default)


def modes_from_env() -> list[str]:
    modes = [m for m in os.environ.get(MODES_ENV, "").split(",") if m] or list(MODES)
    unknown = set(modes) - set(FAULTS)
    if unknown:
        raise ValueError(f"unknown fault modes: {', '.join(sorted(unknown))}")
    return modes


def main(argv: list[str] | None = None) -> int:
    """Run the fault scenarios through pytest (it creates the test database and the data)."""
    import pytest

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=DEFAULT_TRIALS, help="trials per mode")
    parser.add_argument(
        "--modes", default=",".join(ALL_MODES), help=f"comma-separated, of: {', '.join(FAULTS)}"
    )
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    args = parser.parse_args(argv)
    os.environ[TRIALS_ENV] = str(args.trials)
    os.environ[MODES_ENV] = args.modes
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    test = Path(__file__).with_name("test_faults.py")
    return pytest.main([str(test), "-p", "no:cacheprovider", "-q", *args.pytest_args])


if __name__ == "__main__":
    sys.exit(main())
