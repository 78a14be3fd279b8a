"""Benchmark 2: serving at scale.

On the seeded database (10^6 samples in 500 runs over 20 projects, plus a 10^5-sample run; see
seed_serving.py), gunicorn runs with the production settings and configuration on 127.0.0.1 and a
bounded load (wrk: 2 threads, 16 connections, BENCH_SECONDS per endpoint, default 20) is put on:

- the project results matrix page      /projects/<slug>/results/
- a run page (2,000 samples)            /runs/<id>/
- the samples API, first page           /api/v1/runs/<id>/samples/      (the 10^5-sample run)
- the samples API, a deep cursor page   ...?cursor=<95,000th sample>
- the runs list API with filters        /api/v1/runs/?project=..&status=success&task=..
- the framework's ceiling               /bench/ceiling/ (plain Django view, small JSON, through the
                                        product's middleware; benchmark URLconf only), anonymous,
                                        and again signed in (the session and user reads that
                                        every signed-in request pays)

Pages are read with a signed-in session, the API with a bearer token. Prints p50/p95/p99,
requests/s and each endpoint's requests/s as a ratio to the ceiling, anonymous and signed in.

    python benchmarks/serving.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import common

CONNECTIONS = 16
THREADS = 2
WARM_SECONDS = 2


def cursor_for(sample_pk: int) -> str:
    """DRF's CursorPagination cursor for a position (ordering by id): base64 of `p=<id>`."""
    return base64.b64encode(f"p={sample_pk}".encode()).decode()


def targets() -> dict:
    """Endpoints, the credentials to read them, from the seeded database."""
    from benchmarks import fixtures, seed_serving
    from evaluations.models import EvaluationProject, EvaluationRun, SampleResult

    seed = seed_serving.ensure()
    w = fixtures.world()
    project = EvaluationProject.objects.get(slug=f"{seed_serving.PREFIX}03")
    run = (
        EvaluationRun.objects.filter(project=project, status="success")
        .order_by("pk")
        .values("pk", "task__slug", "sample_count")
        .first()
    )
    large = seed["large_run"]["run_id"]
    deep_index = int(seed["large_run"]["samples"] * 0.95)
    deep_pk = (
        SampleResult.objects.filter(run_id=large)
        .order_by("id")
        .values_list("id", flat=True)[deep_index]
    )
    session = fixtures.session_cookie(w)
    token = fixtures.api_token(w)
    return {
        "seed": seed,
        "cookie": session,
        "token": token,
        "endpoints": [
            ("ceiling", "/bench/ceiling/", "anonymous"),
            ("ceiling, signed in", "/bench/ceiling/", "session"),
            ("results matrix page", f"/projects/{project.slug}/results/", "session"),
            ("run page (2,000 samples)", f"/runs/{run['pk']}/", "session"),
            ("samples API, first page (10^5 run)", f"/api/v1/runs/{large}/samples/", "token"),
            (
                "samples API, deep cursor (95%)",
                f"/api/v1/runs/{large}/samples/?cursor={cursor_for(deep_pk)}",
                "token",
            ),
            (
                "runs list API, filtered",
                f"/api/v1/runs/?project={project.slug}&status=success&task={run['task__slug']}",
                "token",
            ),
        ],
    }


def headers_for(kind: str, t: dict) -> dict[str, str]:
    if kind == "token":
        return {"Authorization": f"Bearer {t['token']}"}
    if kind == "session":
        return {"Cookie": t["cookie"]}
    return {}


def check(base: str, path: str, headers: dict[str, str]) -> dict:
    status, body, seconds = common.http_get(base + path, headers)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:500]!r}")
    return {"status": status, "bytes": len(body), "first_seconds": seconds}


def wrk(url: str, headers: dict[str, str], seconds: int) -> dict:
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd += ["-s", str(common.BENCH_DIR / "wrk_report.lua"), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=True)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    data = json.loads(line)
    duration = data["duration_us"] / 1e6
    return {
        "tool": "wrk",
        "requests": data["requests"],
        "seconds": duration,
        "rps": data["requests"] / duration,
        "errors": data["errors"],
        "non2xx": data["non2xx"],
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
    }


def python_load(url: str, headers: dict[str, str], seconds: int) -> dict:
    """Fallback without wrk: CONNECTIONS threads, each a keep-alive connection in a loop."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
            except Exception:
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    return {
        "tool": "python threads (wrk not installed)",
        "requests": len(latencies),
        "seconds": duration,
        "rps": len(latencies) / duration,
        "errors": errors[0],
        "non2xx": errors[0],
        "p50_ms": common.percentile(latencies, 50) * 1000,
        "p95_ms": common.percentile(latencies, 95) * 1000,
        "p99_ms": common.percentile(latencies, 99) * 1000,
        "max_ms": max(latencies, default=0) * 1000,
    }


def single_requests(t: dict) -> dict:
    """Each endpoint once, in this process (Django's test client, production settings): the best
    of 5 wall times, its number of queries and their time. Says where a request's time goes."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = {}
    for name, path, kind in t["endpoints"]:
        headers = headers_for(kind, t)
        client = Client(HTTP_HOST="127.0.0.1", headers=headers)
        client.get(path)
        best = None
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                seconds = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")
            if best is None or seconds < best["ms"] / 1000:
                best = {
                    "ms": seconds * 1000,
                    "queries": len(queries.captured_queries),
                    "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
                    "bytes": len(response.content),
                }
        out[name] = best
    return out


def main(seconds: int) -> dict:
    common.ensure_database(common.BENCH_DB)
    common.setup_django(common.BENCH_DB)
    t = targets()
    load = wrk if shutil.which("wrk") else python_load
    results: dict = {"seconds_per_endpoint": seconds, "connections": CONNECTIONS, "endpoints": {}}
    with common.gunicorn(common.BENCH_DB) as base:
        for name, path, kind in t["endpoints"]:
            headers = headers_for(kind, t)
            first = check(base, path, headers)
            for _ in range(3):  # warm the workers (imports, template and query caches)
                check(base, path, headers)
            # A short unmeasured load first: right after gunicorn starts, some of the 16
            # keep-alive connections wait up to the keep-alive timeout (5 s) for a gthread
            # worker's thread; that start-up stall is not the endpoint's cost.
            load(base + path, headers, WARM_SECONDS)
            measured = load(base + path, headers, seconds)
            results["endpoints"][name] = {"path": path, "auth": kind, **first, **measured}
    results["single_request"] = single_requests(t)
    results["seed"] = t["seed"]
    return results


def table(results: dict) -> list[tuple[str, str, str]]:
    ceiling = results["endpoints"]["ceiling"]["rps"]
    signed_in = results["endpoints"].get("ceiling, signed in", {}).get("rps")
    rows = []
    for name, e in results["endpoints"].items():
        one = results.get("single_request", {}).get(name)
        note = (
            f"p50 {e['p50_ms']:.0f} ms, p95 {e['p95_ms']:.0f} ms, p99 {e['p99_ms']:.0f} ms"
            + (f", {e['errors']} errors" if e["errors"] else "")
            + (
                f"; alone: {one['ms']:.1f} ms, {one['queries']} queries ({one['sql_ms']:.0f} ms)"
                if one
                else ""
            )
        )
        rows.append((f"serve: {name} req/s", common.fmt_rate(e["rps"]), note))
        if name != "ceiling":
            rows.append((f"serve: {name} / ceiling", f"{e['rps'] / ceiling:.3f}", ""))
        if name not in ("ceiling", "ceiling, signed in") and signed_in:
            rows.append(
                (
                    f"serve: {name} / signed-in ceiling",
                    f"{e['rps'] / signed_in:.3f}",
                    "goal >= 0.3",
                )
            )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "20")))
    args = parser.parse_args()
    started = time.perf_counter()
    results = main(args.seconds)
    results["seconds"] = time.perf_counter() - started
    rows = table(results)
    common.write_result("serving", {"machine": common.machine_info(), **results, "table": rows})
    common.print_rows("2. serving at scale", rows)
    os._exit(0)
