"""Benchmark 4: dispatch and scale-out, on the benchmark database and Redis db 14.

(a) Dispatch: 100 jobs, one after the other, `POST /api/v1/jobs/` (gunicorn, production settings,
    bearer token) until the worker's claim (`EvaluationJob.started_at`, set by the product's
    conditional UPDATE). The worker (`benchmarks.claim_worker`, concurrency 1) claims and closes
    each job without running it: this measures the way to the worker, not the evaluation.
    Beside it, in the same run and on the same broker and worker, 100 round trips of a no-op
    Celery task (send -> result back), and their one-way part (send -> task starts).
(b) Scale-out: 40 short jobs (`mockllm/model` on the shipped knowledge QA suite, 5 samples each:
    fork, Inspect eval, ingestion) queued through the API first, then run by the product's
    worker (`celery -A config worker -Q evals`) with `--concurrency 1`, then 2; jobs/s from the
    first claim to the last job's end, and the ratio. The jobs are queued before the worker
    starts, so that the API's work (about a sixth of the worker's CPU per job) is not done
    beside a one-process worker on the otherwise idle second core, and the worker's start
    (importing and warming up Inspect) is not counted.
(c) Pool dispatch: the same 100 jobs for a project whose institute runs its jobs on a worker
    pool, until a pool worker's claim (`benchmarks.pool_claimer`: one process long-polling
    `POST /api/v1/worker/claim/` with the pool's credential over HTTP, as `concord worker` does),
    side by side with (a) on the same gunicorn: the ratio to the Celery dispatch.

    python benchmarks/dispatch.py [--jobs 100 --scale-jobs 40]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import common

PROJECT = "bench-dispatch"
POOL_PROJECT = "bench-dispatch-pool"
SCALE_TASK = "concord-knowledge-qa"
SCALE_PARAMS = {"limit": 5}
WARM = 10  # first jobs and no-ops, not counted


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(common.BENCH_REDIS).flushdb()


def start_worker(app: str, concurrency: int, name: str) -> subprocess.Popen:
    log_path = common.DATA_DIR / f"worker-{name}.log"
    log_path.write_text("")
    env = common.production_env(common.BENCH_DB, LOG_LEVEL="INFO")
    process = subprocess.Popen(
        [
            common.PY,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            "-Q",
            "evals,default",
            "--concurrency",
            str(concurrency),
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
            "-n",
            f"bench-{name}-{os.getpid()}@localhost",
        ],
        cwd=common.ROOT,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while " ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            common.stop(process)
            raise RuntimeError(f"worker {name} did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    return process


def post_job(
    base: str, token: str, project: str, task: str, system_id: int, params: dict
) -> tuple[int, float]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    body = json.dumps({"project": project, "task": task, "system": system_id, "params": params})
    conn.request(
        "POST",
        "/api/v1/jobs/",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"POST /api/v1/jobs/ answered {response.status}: {data[:500]!r}")
    return json.loads(data)["id"], time.time()


def wait_claimed(cursor, job_id: int, timeout: float = 30) -> tuple[float, float]:
    """The job's (created_at, started_at) in epoch seconds, polled every 2 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cursor.execute(
            "SELECT extract(epoch FROM created_at), extract(epoch FROM started_at) "
            "FROM evaluations_evaluationjob WHERE id = %s",
            [job_id],
        )
        row = cursor.fetchone()
        if row and row[1] is not None:
            return float(row[0]), float(row[1])
        time.sleep(0.002)
    raise RuntimeError(f"job {job_id} was not claimed within {timeout} s")


def dispatch(base: str, token: str, w, jobs: int) -> dict:
    import psycopg

    from benchmarks import claim_worker

    worker = start_worker("benchmarks.claim_worker", 1, "claim")
    try:
        # Warm both paths: every gunicorn worker opens its broker connection on its first
        # job (otherwise the p95 is that connection), the worker its database connection.
        latencies, post_times, commit_to_claim = [], [], []
        with psycopg.connect(
            common.BENCH_DB.replace("postgres://", "postgresql://"), autocommit=True
        ) as conn:
            cursor = conn.cursor()
            for i in range(jobs + WARM):
                started = time.time()
                job_id, answered = post_job(
                    base, token, PROJECT, "concord-bench-qa", w.system.pk, {"limit": 1}
                )
                created, claimed = wait_claimed(cursor, job_id)
                if i >= WARM:
                    latencies.append(claimed - started)
                    post_times.append(answered - started)
                    commit_to_claim.append(claimed - created)
        round_trips, one_way = [], []
        for _ in range(jobs + WARM):
            sent = time.time()
            executed = claim_worker.noop.apply_async(queue="default").get(timeout=30)
            back = time.time()
            round_trips.append(back - sent)
            one_way.append(executed - sent)
        round_trips, one_way = round_trips[WARM:], one_way[WARM:]
    finally:
        common.stop(worker)

    def stats(values: list[float]) -> dict:
        return {
            "p50_ms": common.percentile(values, 50) * 1000,
            "p95_ms": common.percentile(values, 95) * 1000,
            "n": len(values),
        }

    return {
        "post_to_claim": stats(latencies),
        "row_created_to_claim": stats(commit_to_claim),
        "post_response": stats(post_times),
        "noop_round_trip": stats(round_trips),
        "noop_one_way": stats(one_way),
    }


def pool_dispatch(base: str, token: str, w, jobs: int) -> dict:
    """POST -> claim for jobs that go to an institute's worker pool (no Celery on the way)."""
    import psycopg
    from django.utils import timezone

    from benchmarks import fixtures
    from evaluations.models import EvaluationJob
    from evaluations.services.pools import participation_set_pool, pool_create, pool_revoke

    project = fixtures.project(w, POOL_PROJECT)
    pool, credential = pool_create(
        institute=w.institute, name=f"bench-{int(time.time())}", by=w.user
    )
    participation_set_pool(user=w.user, project=project, institute=w.institute, pool=pool)
    env = {**os.environ, "CONCORD_WORKER_TOKEN": credential}
    claimer = subprocess.Popen(
        [common.PY, str(common.BENCH_DIR / "pool_claimer.py"), base],
        cwd=common.ROOT,
        env=env,
        start_new_session=True,
    )
    latencies, commit_to_claim = [], []
    try:
        with psycopg.connect(
            common.BENCH_DB.replace("postgres://", "postgresql://"), autocommit=True
        ) as conn:
            cursor = conn.cursor()
            for i in range(jobs + WARM):
                started = time.time()
                job_id, _ = post_job(
                    base, token, POOL_PROJECT, "concord-bench-qa", w.system.pk, {"limit": 1}
                )
                created, claimed = wait_claimed(cursor, job_id)
                if i >= WARM:
                    latencies.append(claimed - started)
                    commit_to_claim.append(claimed - created)
    finally:
        common.stop(claimer)
        # The claimed jobs never ran: close them, and retire the benchmark's pool.
        EvaluationJob.objects.filter(project=project, status__in=["queued", "running"]).update(
            status="cancelled", finished_at=timezone.now()
        )
        pool_revoke(pool=pool, by=w.user)

    def stats(values: list[float]) -> dict:
        return {
            "p50_ms": common.percentile(values, 50) * 1000,
            "p95_ms": common.percentile(values, 95) * 1000,
            "n": len(values),
        }

    return {"post_to_claim": stats(latencies), "row_created_to_claim": stats(commit_to_claim)}


def scale_out(base: str, token: str, w, jobs: int, concurrency: int) -> dict:
    from evaluations.models import EvaluationJob

    flush_redis()
    ids = [
        post_job(base, token, PROJECT, SCALE_TASK, w.system.pk, SCALE_PARAMS)[0]
        for _ in range(jobs)
    ]
    worker = start_worker("config", concurrency, f"c{concurrency}")
    start_cpu = session_cpu_seconds(worker.pid)  # its start: imports, the Inspect warm-up
    worker_cpu = None
    try:
        deadline = time.monotonic() + 600
        while True:
            states = dict(
                EvaluationJob.objects.filter(pk__in=ids)
                .values_list("status")
                .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
            )
            done = sum(states.get(s, 0) for s in ("succeeded", "failed", "cancelled"))
            if done == jobs:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"scale-out with {concurrency} did not finish: {states}")
            time.sleep(0.2)
        times = EvaluationJob.objects.filter(pk__in=ids).values_list("started_at", "finished_at")
        started = min(claimed.timestamp() for claimed, _ in times if claimed)
        finished = max(ended.timestamp() for _, ended in times if ended)
        worker_cpu = stop_counting_cpu(worker) - start_cpu
    finally:
        common.stop(worker, timeout=30)
    succeeded = states.get("succeeded", 0)
    if succeeded != jobs:
        errors = list(
            EvaluationJob.objects.filter(pk__in=ids)
            .exclude(status="succeeded")
            .values_list("error", flat=True)[:3]
        )
        raise RuntimeError(f"{jobs - succeeded} of {jobs} jobs did not succeed: {errors}")
    seconds = finished - started
    return {
        "jobs": jobs,
        "concurrency": concurrency,
        "seconds": seconds,
        "jobs_per_second": jobs / seconds,
        # CPU of the worker's processes (main, pool, evaluation children) per job: the same at
        # one and two processes when the per-job work does not grow with concurrency.
        "worker_cpu_seconds_per_job": worker_cpu / jobs if worker_cpu is not None else None,
    }


def session_cpu_seconds(session: int) -> float:
    """User + system CPU seconds of the live processes of a session (a started worker), with
    what they have reaped of their children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # its process group, the worker's session
            total += sum(int(f) for f in fields[11:15]) / ticks
    return total


def stop_counting_cpu(process: subprocess.Popen, timeout: float = 30) -> float:
    """Stop a started worker (warm shutdown; killed after `timeout`) and return the CPU seconds
    of its whole tree (it reaps its pool processes, they their evaluation children)."""
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.05)


def main(jobs: int, scale_jobs: int) -> dict:
    common.ensure_database(common.BENCH_DB)
    common.setup_django(common.BENCH_DB)
    from benchmarks import fixtures
    from evaluations.models import EvaluationTask

    w = fixtures.world()
    fixtures.project(w, PROJECT)
    if not EvaluationTask.objects.filter(slug=SCALE_TASK).exists():
        from evaluations.services.tasks import task_builtin_upsert

        task_builtin_upsert()
    token = fixtures.api_token(w)
    flush_redis()
    results: dict = {}
    with common.gunicorn(common.BENCH_DB) as base:
        results["dispatch"] = dispatch(base, token, w, jobs)
        results["pool_dispatch"] = pool_dispatch(base, token, w, jobs)
        results["scale_out"] = {str(c): scale_out(base, token, w, scale_jobs, c) for c in (1, 2)}
    flush_redis()
    return results


def pool_rows(results: dict) -> list[tuple[str, str, str]]:
    if "pool_dispatch" not in results:
        return []
    pool, celery = results["pool_dispatch"], results["dispatch"]
    claim, row = pool["post_to_claim"], pool["row_created_to_claim"]
    return [
        (
            "pool dispatch: POST -> pool worker's claim p50",
            f"{claim['p50_ms']:.1f} ms",
            f"p95 {claim['p95_ms']:.1f} ms, n={claim['n']} (long-poll over HTTP, no Celery)",
        ),
        (
            "pool dispatch: pool / Celery POST -> claim (p50)",
            f"{claim['p50_ms'] / celery['post_to_claim']['p50_ms']:.2f}",
            f"p95 ratio {claim['p95_ms'] / celery['post_to_claim']['p95_ms']:.2f}; goal <= 2",
        ),
        (
            "pool dispatch: job row written -> claim p50",
            f"{row['p50_ms']:.1f} ms",
            f"p95 {row['p95_ms']:.1f} ms (Celery: p50 "
            f"{celery['row_created_to_claim']['p50_ms']:.1f} ms)",
        ),
    ]


def cpu_note(run: dict) -> str:
    cpu = run.get("worker_cpu_seconds_per_job")
    return f"; worker CPU {cpu:.2f} s a job" if cpu is not None else ""


def table(results: dict) -> list[tuple[str, str, str]]:
    d = results["dispatch"]
    claim, rt, ow = d["post_to_claim"], d["noop_round_trip"], d["noop_one_way"]
    row = d["row_created_to_claim"]
    one, two = results["scale_out"]["1"], results["scale_out"]["2"]
    return [
        (
            "dispatch: POST -> claim p50",
            f"{claim['p50_ms']:.1f} ms",
            f"p95 {claim['p95_ms']:.1f} ms, n={claim['n']} (POST answered: p50 {d['post_response']['p50_ms']:.1f} ms)",
        ),
        (
            "dispatch: no-op task round trip p50",
            f"{rt['p50_ms']:.1f} ms",
            f"p95 {rt['p95_ms']:.1f} ms (one way: p50 {ow['p50_ms']:.1f} ms, p95 {ow['p95_ms']:.1f} ms)",
        ),
        (
            "dispatch: claim / no-op round trip (p50)",
            f"{claim['p50_ms'] / rt['p50_ms']:.1f}",
            f"p95 ratio {claim['p95_ms'] / rt['p95_ms']:.1f}",
        ),
        (
            "dispatch: job row written -> claim p50",
            f"{row['p50_ms']:.1f} ms",
            f"p95 {row['p95_ms']:.1f} ms (commit, on_commit send, broker, worker, claim UPDATE)",
        ),
        (
            "dispatch: row -> claim / no-op one way (p50)",
            f"{row['p50_ms'] / ow['p50_ms']:.1f}",
            "the way to the worker alone, without the API request",
        ),
        *pool_rows(results),
        (
            f"scale-out: {one['jobs']} jobs, 1 process",
            f"{one['jobs_per_second']:.2f} jobs/s",
            f"{one['seconds']:.1f} s{cpu_note(one)}",
        ),
        (
            f"scale-out: {two['jobs']} jobs, 2 processes",
            f"{two['jobs_per_second']:.2f} jobs/s",
            f"{two['seconds']:.1f} s{cpu_note(two)}",
        ),
        (
            "scale-out: 2 / 1 processes",
            f"{two['jobs_per_second'] / one['jobs_per_second']:.2f}",
            "2.0 = perfect on 2 cores",
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--scale-jobs", type=int, default=40)
    args = parser.parse_args()
    started = time.perf_counter()
    results = main(args.jobs, args.scale_jobs)
    results["seconds"] = time.perf_counter() - started
    rows = table(results)
    common.write_result("dispatch", {"machine": common.machine_info(), **results, "table": rows})
    common.print_rows("4. dispatch and scale-out", rows)
    os._exit(0)
