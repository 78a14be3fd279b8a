"""`make bench`: every benchmark in one run, bounded, one table at the end.

1. prepare: the Inspect logs (1k, 10k, 100k samples; cached under benchmarks/data/logs/) and the
   seeded serving database (`concord_bench`; reused when its counts match);
2. ingest.py, serving.py, open_run.py, dispatch.py (each in its own process, each writing
   benchmarks/results/<name>.json), and import_memory.py (the imports work's upload benchmark,
   when present: its figures are in benchmarks/data/import_memory.json);
3. prints one table (also written to benchmarks/results/summary.json, and as Markdown to
   benchmarks/results/summary.md) with the machine it ran on.

    python benchmarks/run_all.py [--only ingest,serving,open_run,dispatch,import_memory]

BENCH_SECONDS (default 15) sets the load duration per endpoint of the serving benchmark.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import common

STEPS = ["ingest", "serving", "open_run", "dispatch", "import_memory"]
# Generous bounds: a step stopped by its bound is reported FAILED; on a quiet machine each takes
# a few minutes at most (see the README).
TIMEOUTS = {"ingest": 1200, "serving": 900, "open_run": 600, "dispatch": 900, "import_memory": 900}
TITLES = {
    "ingest": "1. ingest (samples/s; ratios)",
    "serving": "2. serving at scale (10^6 samples; wrk, 16 connections)",
    "open_run": "3. opening a 10^5-sample run: Concord vs inspect view",
    "dispatch": "4. dispatch and scale-out",
    "import_memory": "import memory (upload API, 50,000 samples)",
}


def run_step(name: str, args: list[str], timeout: float) -> tuple[bool, float, str]:
    started = time.perf_counter()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("BENCH_SECONDS", "15")
    try:
        result = subprocess.run(
            [common.PY, str(common.BENCH_DIR / args[0]), *args[1:]],
            cwd=common.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, time.perf_counter() - started, f"timed out after {timeout:.0f} s"
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        return False, seconds, (result.stdout[-1500:] + "\n" + result.stderr[-3000:]).strip()
    return True, seconds, result.stdout


def import_memory_rows() -> list[tuple[str, str, str]]:
    path = common.DATA_DIR / "import_memory.json"
    if not path.is_file():
        return []
    facts = json.loads(path.read_text())
    rows = []
    for run in facts.get("runs", []):
        rows.append(
            (
                f"import {run['samples']:,} via POST /api/v1/runs/import/",
                f"{run['samples_per_second']:,.0f}/s",
                f"worker RSS +{run['worker_rss_growth_bytes'] / 2**20:.0f} MiB "
                f"(growth/file {run['growth_over_file']:.2f})",
            )
        )
    return rows


def main(only: list[str]) -> int:
    started = time.perf_counter()
    machine = common.machine_info()
    durations: dict[str, float] = {}
    failures: dict[str, str] = {}

    print("Preparing: Inspect logs (1k, 10k, 100k) and the seeded serving database ...", flush=True)
    # Both are cached; on a fresh clone the logs (Python) and the 10^6-row seed (mostly
    # PostgreSQL) are made side by side, then the 10^5-sample log is ingested into the database.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        logs = pool.submit(run_step, "logs", ["logs.py", "1000", "10000", "100000"], 1800)
        seed = pool.submit(run_step, "seed", ["seed_serving.py", "--without-large-run"], 1800)
        for name, future in (("logs", logs), ("serving database", seed)):
            ok, seconds, out = future.result()
            durations[f"prepare: {name}"] = seconds
            if not ok:
                print(out)
                return 1
    ok, seconds, out = run_step("seed", ["seed_serving.py"], 1800)
    durations["prepare: 10^5 run and statistics"] = seconds
    if not ok:
        print(out)
        return 1
    print(f"  ready in {time.perf_counter() - started:.0f} s", flush=True)

    for name in [s for s in STEPS if s in only]:
        script = f"{name}.py"
        if not (common.BENCH_DIR / script).is_file():
            continue
        print(f"Running {script} ...", flush=True)
        ok, seconds, out = run_step(name, [script], TIMEOUTS[name])
        durations[name] = seconds
        print(f"  {'done' if ok else 'FAILED'} in {seconds:.0f} s", flush=True)
        if not ok:
            failures[name] = out

    sections = []
    for name in [s for s in STEPS if s in only]:
        if name == "import_memory":
            rows = import_memory_rows() if name not in failures else []
        else:
            path = common.RESULTS_DIR / f"{name}.json"
            rows = (
                [tuple(r) for r in json.loads(path.read_text())["table"]]
                if path.is_file() and name not in failures
                else []
            )
        if name in failures:
            rows = [("FAILED", "", failures[name].strip().splitlines()[-1][:150])]
        if rows:
            sections.append((TITLES[name], rows))

    total = time.perf_counter() - started
    print("\n" + "=" * 100)
    print(
        f"Concord benchmarks, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"{machine['nproc']} cores ({machine['cpu']}), {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, PostgreSQL {machine['postgresql']}, "
        f"load average at start {machine['loadavg_at_start']}"
    )
    print("=" * 100)
    for title, rows in sections:
        common.print_rows(title, rows)
    print(
        "\nSteps (s): "
        + ", ".join(f"{name} {seconds:.0f}" for name, seconds in durations.items())
        + f"; total {total:.0f} s ({total / 60:.1f} min)"
    )
    common.write_result(
        "summary",
        {
            "machine": machine,
            "durations_seconds": durations,
            "total_seconds": total,
            "sections": [{"title": t, "rows": r} for t, r in sections],
            "failures": failures,
        },
    )
    write_markdown(machine, durations, total, sections)
    return 1 if failures else 0


def write_markdown(machine: dict, durations: dict, total: float, sections: list) -> Path:
    """The same table as Markdown (benchmarks/results/summary.md), for the README."""
    lines = [
        f"Recorded {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine['nproc']} "
        f"cores ({machine['cpu']}), {machine['memory_gib']} GiB, Python {machine['python']}, "
        f"PostgreSQL {machine['postgresql'].split(' ')[0]}, inspect-ai "
        f"{machine['packages'].get('inspect_ai')}, Django {machine['packages'].get('django')}; "
        f"load average {machine['loadavg_at_start'][0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end. `make bench` took {total / 60:.1f} min ("
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in durations.items())
        + ").",
        "",
    ]
    for title, rows in sections:
        lines += [f"**{title}**", "", "| measure | figure | note |", "| --- | ---: | --- |"]
        lines += [f"| {w} | {f} | {n.replace('|', '/')} |" for w, f, n in rows]
        lines.append("")
    path = common.RESULTS_DIR / "summary.md"
    path.write_text("\n".join(lines))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=",".join(STEPS))
    args = parser.parse_args()
    sys.exit(main(args.only.split(",")))
