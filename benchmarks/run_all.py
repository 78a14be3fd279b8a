"""`make bench`: every benchmark in one run, bounded, one table at the end.

1. prepare: the Inspect logs (1k, 10k, 100k samples; cached under benchmarks/data/logs/) and the
   seeded serving database (`concord_bench`; reused when its counts match), side by side; then
   the 10^5-sample run ingested into it beside the seeded runs' stored statistics;
2. ingest.py, serving.py, open_run.py, dispatch.py (each in its own process, each writing
   benchmarks/results/<name>.json), and import_memory.py (the imports work's upload benchmark,
   when present: its figures are in benchmarks/data/import_memory.json);
3. prints one table (also written to benchmarks/results/summary.json, and as Markdown to
   benchmarks/results/summary.md) with the machine it ran on, the seconds of each step and the
   total, and beside every figure the previous run's (matched by measure name, from the
   summary.json this run replaces: the committed one, or the last run's).

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

from benchmarks import common, seed_serving

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


def vacuum_serving_database() -> None:
    """`seed_serving.vacuum_if_written`, without starting Django: the state every run measures."""
    import psycopg

    dsn = common.BENCH_DB.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(seed_serving.VACUUM_NEEDED).fetchone()
        if row is None or row[0]:
            conn.execute("VACUUM (ANALYZE) evaluations_sampleresult")


def previous_summary() -> dict:
    """The summary this run replaces: the working tree's summary.json when it holds figures (a
    run with no benchmark, `--only none`, writes none), else the committed one."""
    path = common.RESULTS_DIR / "summary.json"
    try:
        data = json.loads(path.read_text())
        if data.get("sections"):
            return data
    except (OSError, ValueError):
        pass
    try:
        text = subprocess.run(
            ["git", "show", "HEAD:benchmarks/results/summary.json"],
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        return json.loads(text)
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}


def previous_figures(previous: dict) -> dict[str, str]:
    """measure -> figure of the previous summary (rows are [measure, figure, note, ...])."""
    return {
        row[0]: row[1]
        for section in previous.get("sections", [])
        for row in section.get("rows", [])
        if len(row) >= 2 and row[0] != "FAILED"
    }


def machine_line(machine: dict, recorded: str, loadavg_at_end: float | None) -> str:
    """'2026-11-27 09:17 UTC on 2 cores (AMD EPYC), 23.5 GiB, Python ..., load average ...'"""
    packages = machine.get("packages", {})
    line = (
        f"{recorded} on {machine.get('nproc')} cores ({machine.get('cpu')}), "
        f"{machine.get('memory_gib')} GiB, Python {machine.get('python')}, "
        f"PostgreSQL {str(machine.get('postgresql', '')).split(' ')[0]}, inspect-ai "
        f"{packages.get('inspect_ai')}, Django {packages.get('django')}; "
        f"load average {(machine.get('loadavg_at_start') or [0.0])[0]:.1f} at the start"
    )
    if loadavg_at_end is not None:
        line += f", {loadavg_at_end:.1f} at the end"
    return line


def recorded_at(summary: dict) -> str:
    """summary.json's recorded_at ('2026-11-27T09:17:44Z') as '2026-11-27 09:17 UTC'."""
    stamp = summary.get("recorded_at", "")
    return f"{stamp[:10]} {stamp[11:16]} UTC" if len(stamp) >= 16 else "unknown date"


def main(only: list[str]) -> int:
    started = time.perf_counter()
    previous = previous_summary()  # read before this run overwrites it
    before = previous_figures(previous)
    machine = common.machine_info()
    durations: dict[str, float] = {}
    failures: dict[str, str] = {}

    print("Preparing: Inspect logs (1k, 10k, 100k) and the seeded serving database ...", flush=True)
    # All cached. On a fresh clone: the logs (Python) beside the 10^6-row seed (mostly
    # PostgreSQL); then the 10^5-sample log ingested into the database beside the seeded runs'
    # stored statistics; then one vacuum. A re-run finds all of it in seconds.
    phases = [
        (
            ("logs", ["logs.py", "1000", "10000", "100000"]),
            ("serving database", ["seed_serving.py", "--without-large-run"]),
        ),
        (
            ("10^5 run", ["seed_serving.py", "--only-large-run"]),
            ("statistics", ["seed_serving.py", "--only-statistics"]),
        ),
    ]
    for phase in phases:
        with concurrent.futures.ThreadPoolExecutor(len(phase)) as pool:
            futures = [(name, pool.submit(run_step, name, args, 1800)) for name, args in phase]
            for name, future in futures:
                ok, seconds, out = future.result()
                durations[f"prepare: {name}"] = seconds
                if not ok:
                    print(out)
                    return 1
    seconds = time.perf_counter()
    vacuum_serving_database()
    durations["prepare: vacuum"] = time.perf_counter() - seconds
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

    sections: list[tuple[str, list[tuple[str, ...]]]] = []
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
            # (measure, figure, note, previous figure or "" when the measure is new)
            sections.append((TITLES[name], [(*r[:3], before.get(r[0], "")) for r in rows]))

    total = time.perf_counter() - started
    print("\n" + "=" * 100)
    print(
        f"Concord benchmarks, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"{machine['nproc']} cores ({machine['cpu']}), {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, PostgreSQL {machine['postgresql']}, "
        f"load average at start {machine['loadavg_at_start']}"
    )
    print("=" * 100)
    for title, section_rows in sections:
        common.print_rows(
            title,
            [(w, f, f"{n} [previous: {p}]" if p else n) for w, f, n, p, *_ in section_rows],
        )
    was = previous.get("durations_seconds", {})
    print(
        "\nSteps (s; previous run's in brackets): "
        + ", ".join(
            f"{name} {seconds:.0f}" + (f" [{was[name]:.0f}]" if name in was else "")
            for name, seconds in durations.items()
        )
        + f"\nTotal: {total:.0f} s ({total / 60:.1f} min)"
        + (
            f"; previous run ({recorded_at(previous)}): {previous['total_seconds'] / 60:.1f} min"
            if previous.get("total_seconds")
            else ""
        ),
        flush=True,
    )
    if not sections and not failures:
        # Preparation only (`--only none`): no figures, and the previous summary stays.
        return 0
    common.write_result(
        "summary",
        {
            "machine": machine,
            "durations_seconds": durations,
            "total_seconds": total,
            "sections": [{"title": t, "rows": r} for t, r in sections],
            "failures": failures,
            "previous": {
                "recorded_at": previous.get("recorded_at"),
                "machine": previous.get("machine"),
                "durations_seconds": was,
                "total_seconds": previous.get("total_seconds"),
            },
        },
    )
    write_markdown(machine, durations, total, sections, previous)
    return 1 if failures else 0


def write_markdown(
    machine: dict, durations: dict, total: float, sections: list, previous: dict
) -> Path:
    """The same table as Markdown (benchmarks/results/summary.md), for the README: each figure
    with the previous run's beside it, and the previous run's date, machine and duration."""
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"Recorded {machine_line(machine, now, os.getloadavg()[0])}. `make bench` took "
        f"{total / 60:.1f} min ("
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in durations.items())
        + ")."
    ]
    if previous.get("machine"):
        ends = previous.get("loadavg_at_end") or [None]
        lines.append(
            f'Previous run (the "previous" column): {machine_line(previous["machine"], recorded_at(previous), ends[0])}'
            + (
                f"; `make bench` took {previous['total_seconds'] / 60:.1f} min"
                if previous.get("total_seconds")
                else ""
            )
            + "."
        )
    lines.append("")
    was = previous.get("durations_seconds", {})
    lines += ["| step | seconds | previous |", "| --- | ---: | ---: |"]
    lines += [
        f"| {name} | {seconds:.0f} | {was[name]:.0f} |"
        if name in was
        else f"| {name} | {seconds:.0f} |  |"
        for name, seconds in durations.items()
    ]
    total_was = previous.get("total_seconds")
    lines += [f"| total | {total:.0f} | {f'{total_was:.0f}' if total_was else ''} |", ""]
    for title, rows in sections:
        lines += [
            f"**{title}**",
            "",
            "| measure | figure | previous | note |",
            "| --- | ---: | ---: | --- |",
        ]
        lines += [f"| {w} | {f} | {p} | {n.replace('|', '/')} |" for w, f, n, p, *_ in rows]
        lines.append("")
    path = common.RESULTS_DIR / "summary.md"
    path.write_text("\n".join(lines))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=",".join(STEPS))
    args = parser.parse_args()
    sys.exit(main(args.only.split(",")))
