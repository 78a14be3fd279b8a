"""Benchmark 1: ingesting an Inspect `.eval` log, against the limits of its parts.

For the same log, in one run:
  (a) Concord's ingestion service end to end (`run_ingest_log`: read, validate, write the run, its
      scores and its samples with COPY, commit), in a fresh process per size (peak RSS is then the
      ingestion's own); tracemalloc's peak at two sizes in another process;
  (r) the raw decode limit: read the archive's sample entries with `zipfile` (Zstandard) and
      decode each with orjson, no validation (nothing written): no reader of the log's samples
      can be faster;
  (b) the parse limit of Inspect's model: validate each entry with
      `EvalSample.model_validate_json` (a reference; Concord validates only what it does not
      recognise);
  (e) Concord's sample decoder: read each entry and decode the fields Concord stores
      (`sample_decoder.stored_fields`);
  (c) the database limit: `COPY` of the already-extracted rows (the service's own row function)
      into the same table, in one transaction, committed;
  (d) Inspect's readers, `read_eval_log` and `read_eval_log_samples`, bounded: on the 1k log, and
      `read_eval_log_samples` on the first samples of the largest log; `read_eval_log` on the
      10k log too (bounded by a timeout).
Prints samples/s for each and the ratios a/r, a/min(b,c) and a/d.

    python benchmarks/ingest.py [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import common
from benchmarks.logs import ensure_log, log_path

PROJECT = "bench-ingest"
STREAM_PREFIX = 20  # samples read with read_eval_log_samples from the largest log
LIMITS_MAX = 20_000  # (r), (b), (e) and (c) on at most this many sample entries (time bound)
FULL_READ_SIZE = 10_000  # read_eval_log on this log too
FULL_READ_TIMEOUT = 300  # seconds


def _rss_mib() -> float:
    """The current resident set size (/proc/self/statm). Not ru_maxrss: on Linux a child started
    with fork+exec inherits its parent's high-water mark, which hid the ingestion's own peak."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


class RssPeak:
    """Samples the resident set size every 5 ms in a thread; `.peak` after the block."""

    def __enter__(self):
        self.peak = _rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mib())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mib())


def _reset_tables() -> None:
    """The ingest database holds nothing else: start each measurement from empty result tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE evaluations_sampleresult, evaluations_runscore, evaluations_evaluationrun "
            "CASCADE"
        )


def _context():
    from benchmarks import fixtures

    w = fixtures.world()
    return w, fixtures.project(w, PROJECT)


# --------------------------------------------------------------------------------------------
# children (one process per measurement)
# --------------------------------------------------------------------------------------------


def child_ingest(size: int, trace: bool) -> dict:
    """(a): the ingestion service, end to end."""
    common.setup_django(common.INGEST_DB)
    import tracemalloc

    from django.urls import get_resolver

    from evaluations.ingestion import run_ingest_log

    w, project = _context()
    _reset_tables()
    path = log_path(size)
    # A worker has its URLs loaded (an ingestion reverses webhook links when it ends): their
    # one-off import in this fresh process is not a cost of ingesting the log.
    get_resolver().url_patterns  # noqa: B018
    rss_before = _rss_mib()
    if trace:
        tracemalloc.start()
    with RssPeak() as rss:
        started = time.perf_counter()
        result = run_ingest_log(path=path, project=project, institute=w.institute, source="upload")
        seconds = time.perf_counter() - started
    out = {
        "size": size,
        "seconds": seconds,
        "samples_per_second": size / seconds,
        "rss_before_mib": rss_before,
        "rss_peak_mib": rss.peak,
        "sample_count": result.run.sample_count,
        "created": result.created,
    }
    if trace:
        out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 1024**2
        tracemalloc.stop()
    assert result.created, out
    assert result.run.sample_count == size, out
    return out


def child_limits(size: int, limit: int) -> dict:
    """(r) the raw decode limit, (b) the parse limit, (e) Concord's decoder and (c) the database
    limit on the same log: its first `limit` sample entries (per-sample costs do not depend on
    the log's size; this bounds the time)."""
    common.setup_django(common.INGEST_DB)
    import zipfile

    import orjson
    import zipfile_zstd  # noqa: F401
    from django.db import connection, transaction
    from inspect_ai._util.constants import get_deserializing_context
    from inspect_ai.log import EvalSample

    from evaluations.ingestion import rows as row_rules
    from evaluations.ingestion import sample_decoder, service
    from evaluations.ingestion.records import SampleRecord
    from evaluations.models import EvaluationRun, SampleResult

    w, project = _context()
    _reset_tables()
    run = EvaluationRun.objects.create(
        project=project,
        task=w.task,
        system=w.system,
        institute=w.institute,
        source="upload",
        inspect_eval_id=f"bench-copy-{size}-{time.time()}",
    )
    context = get_deserializing_context()
    parse_seconds = 0.0
    extracted = []
    with zipfile.ZipFile(log_path(size)) as archive:
        names = [n for n in archive.namelist() if n.startswith("samples/") and n.endswith(".json")]
        names = names[:limit]
        header_scorer = "pattern"
        started = time.perf_counter()
        for name in names:
            orjson.loads(archive.read(name))
        raw_seconds = time.perf_counter() - started
        started = time.perf_counter()
        declined = sum(sample_decoder.stored_fields(archive.read(name)) is None for name in names)
        decoder_seconds = time.perf_counter() - started
        for name in names:
            started = time.perf_counter()
            sample = EvalSample.model_validate_json(archive.read(name), context=context)
            parse_seconds += time.perf_counter() - started
            # Extraction (outside both timings): the service's own row function.
            values = service._sample_values(
                run, SampleRecord(sample, name), header_scorer, as_json=True
            )
            extracted.append([values[c] for c in service._COLUMNS])
    del sample
    fields = {f.name: f.column or f.name for f in SampleResult._meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(fields[c]) for c in service._COLUMNS)
    table = connection.ops.quote_name(SampleResult._meta.db_table)
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in extracted:
            copy.write_row(row)
    copy_seconds = time.perf_counter() - started
    assert SampleResult.objects.filter(run=run).count() == len(names)
    assert row_rules  # the same conversion rules as the service
    return {
        "size": size,
        "samples_measured": len(names),
        "raw_seconds": raw_seconds,
        "raw_samples_per_second": len(names) / raw_seconds,
        "decoder_seconds": decoder_seconds,
        "decoder_samples_per_second": len(names) / decoder_seconds,
        "decoder_declined": declined,
        "parse_seconds": parse_seconds,
        "parse_samples_per_second": len(names) / parse_seconds,
        "copy_seconds": copy_seconds,
        "copy_rows_per_second": len(names) / copy_seconds,
        "row_bytes_avg": sum(sum(len(str(v)) for v in r) for r in extracted[:1000])
        / min(len(extracted), 1000),
    }


def child_inspect(size: int, prefix_size: int) -> dict:
    """(d) Inspect's own readers: read_eval_log and read_eval_log_samples on the `size` log, and
    read_eval_log_samples for the first STREAM_PREFIX samples of the `prefix_size` log."""
    from inspect_ai.log import read_eval_log, read_eval_log_samples

    path = str(log_path(size))
    started = time.perf_counter()
    log = read_eval_log(path)
    full_seconds = time.perf_counter() - started
    count = len(log.samples or [])
    del log
    started = time.perf_counter()
    streamed = sum(1 for _ in read_eval_log_samples(path, all_samples_required=False))
    stream_seconds = time.perf_counter() - started
    out = {
        "size": size,
        "read_eval_log_seconds": full_seconds,
        "read_eval_log_samples_per_second": count / full_seconds,
        "read_eval_log_samples_seconds": stream_seconds,
        "read_eval_log_samples_samples_per_second": streamed / stream_seconds,
    }
    if prefix_size and prefix_size != size:
        started = time.perf_counter()
        seen = 0
        for _ in read_eval_log_samples(str(log_path(prefix_size)), all_samples_required=False):
            seen += 1
            if seen >= STREAM_PREFIX:
                break
        seconds = time.perf_counter() - started
        out["prefix"] = {
            "log_size": prefix_size,
            "samples": seen,
            "seconds": seconds,
            "samples_per_second": seen / seconds,
        }
    return out


def child_read_full(size: int) -> dict:
    """(d) `read_eval_log` on the `size` log, whole."""
    from inspect_ai.log import read_eval_log

    started = time.perf_counter()
    log = read_eval_log(str(log_path(size)))
    seconds = time.perf_counter() - started
    count = len(log.samples or [])
    return {"size": size, "seconds": seconds, "samples_per_second": count / seconds}


# --------------------------------------------------------------------------------------------
# the benchmark
# --------------------------------------------------------------------------------------------


def _child(*args: str, timeout: float = 600) -> dict:
    env = common.production_env(common.INGEST_DB)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # set by setup_django in the child
    result = subprocess.run(
        [common.PY, __file__, "--child", *args],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"child {args} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def default_limits_check(size: int) -> str:
    """Does Concord's import accept the `size` log with its default safety limits?"""
    code = (
        "import sys, django; sys.path.insert(0, '.'); django.setup();"
        "from evaluations.ingestion.formats import open_log;"
        "from evaluations.ingestion.errors import LogReadError\n"
        "try:\n"
        "    open_log(sys.argv[1]).__exit__(None, None, None); print('accepted')\n"
        "except LogReadError as exc:\n"
        "    print('refused: ' + str(exc))"
    )
    env = common.production_env(common.INGEST_DB)
    for name in ("CONCORD_IMPORT_MAX_ENTRIES", "CONCORD_IMPORT_MAX_ENTRY_BYTES"):
        env.pop(name, None)
    result = subprocess.run(
        [common.PY, "-c", code, str(log_path(size))],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return (result.stdout.strip().splitlines() or [result.stderr.strip()[-300:]])[-1]


def main(sizes: list[int]) -> dict:
    logs = {size: ensure_log(size) for size in sizes}
    common.ensure_database(common.INGEST_DB)
    largest = max(sizes)
    smallest = min(sizes)
    results: dict = {"sizes": sizes, "logs": logs, "by_size": {}}
    for size in sizes:
        entry = {
            "a": _child("ingest", str(size)),
            "bc": _child("limits", str(size), str(min(size, LIMITS_MAX))),
        }
        results["by_size"][size] = entry
    # tracemalloc at the two smaller sizes (it slows the run down), RSS at every size
    traced = sorted(sizes)[:2]
    results["tracemalloc"] = {s: _child("ingest", str(s), "--trace") for s in traced}
    results["d"] = _child("inspect", str(smallest), str(largest))
    if FULL_READ_SIZE in sizes and smallest != FULL_READ_SIZE:
        try:
            results["d_full"] = _child("read_full", str(FULL_READ_SIZE), timeout=FULL_READ_TIMEOUT)
        except subprocess.TimeoutExpired:
            results["d_full"] = {"size": FULL_READ_SIZE, "timeout": FULL_READ_TIMEOUT}
    results["default_limits"] = {largest: default_limits_check(largest)}
    return results


def _entry(results: dict, size) -> dict:
    by_size = results["by_size"]
    return by_size[size] if size in by_size else by_size[str(size)]


def table(results: dict) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    d = results["d"]
    d_full = d["read_eval_log_samples_per_second"]
    d_stream = d["read_eval_log_samples_samples_per_second"]
    smallest, largest = min(results["sizes"]), max(results["sizes"])
    for size in results["sizes"]:
        e = _entry(results, size)
        a = e["a"]["samples_per_second"]
        b = e["bc"]["parse_samples_per_second"]
        r = e["bc"].get("raw_samples_per_second")
        decoder = e["bc"].get("decoder_samples_per_second")
        c = e["bc"]["copy_rows_per_second"]
        measured = e["bc"].get("samples_measured", size)
        on = "" if measured == size else f", on its first {measured:,} entries"
        growth = e["a"]["rss_peak_mib"] - e["a"]["rss_before_mib"]
        rows.append(
            (
                f"ingest {size:,}: (a) Concord",
                f"{common.fmt_rate(a)}/s",
                "end to end, committed (URLs loaded, as in a worker)",
            )
        )
        if r and decoder:
            rows += [
                (
                    f"ingest {size:,}: (r) raw decode limit",
                    f"{common.fmt_rate(r)}/s",
                    "zip + zstd + orjson, no validation" + on,
                ),
                (
                    f"ingest {size:,}: (e) Concord's decoder",
                    f"{common.fmt_rate(decoder)}/s",
                    "zip + zstd + stored fields"
                    + on
                    + f", {e['bc']['decoder_declined']:,} left to EvalSample",
                ),
                (f"ingest {size:,}: a/r", f"{a / r:.2f}", "1 = as fast as decoding the log"),
            ]
        rows += [
            (
                f"ingest {size:,}: (b) parse limit",
                f"{common.fmt_rate(b)}/s",
                "zip + EvalSample (reference)" + on,
            ),
            (f"ingest {size:,}: (c) COPY limit", f"{common.fmt_rate(c)}/s", "extracted rows" + on),
            (
                f"ingest {size:,}: a/min(b,c)",
                f"{a / min(b, c):.2f}",
                "1 = as fast as its slowest part",
            ),
            (
                f"ingest {size:,}: peak RSS of (a)",
                f"{e['a']['rss_peak_mib']:.0f} MiB",
                f"{growth:+.0f} MiB over the process before ingesting",
            ),
        ]
        if size == smallest:
            rows += [
                (
                    f"ingest {size:,}: a/d read_eval_log",
                    f"{a / d_full:.1f}",
                    f"d = {common.fmt_rate(d_full)}/s",
                ),
                (
                    f"ingest {size:,}: a/d read_eval_log_samples",
                    f"{a / d_stream:.1f}",
                    f"d = {common.fmt_rate(d_stream)}/s",
                ),
            ]
        full = results.get("d_full")
        if full and int(full["size"]) == size:
            if "samples_per_second" in full:
                rows.append(
                    (
                        f"ingest {size:,}: a/d read_eval_log",
                        f"{a / full['samples_per_second']:.1f}",
                        f"d = {common.fmt_rate(full['samples_per_second'])}/s",
                    )
                )
            else:
                rows.append(
                    (
                        f"ingest {size:,}: a/d read_eval_log",
                        f">{a * full['timeout'] / size:.1f}",
                        f"read_eval_log did not finish in {full['timeout']} s",
                    )
                )
    a_big = _entry(results, largest)["a"]["samples_per_second"]
    rows.append(
        (f"ingest {largest:,}: a(10^5) / d read_eval_log(10^3)", f"{a_big / d_full:.1f}", "")
    )
    if "prefix" in d:
        p = d["prefix"]
        rows.append(
            (
                f"read_eval_log_samples, first {p['samples']} of {p['log_size']:,}",
                f"{common.fmt_rate(p['samples_per_second'])}/s",
                f"a/d = {a_big / p['samples_per_second']:.0f} (its per-sample cost grows with the log)",
            )
        )
    for size, t in results["tracemalloc"].items():
        rows.append(
            (
                f"ingest {int(size):,}: tracemalloc peak of (a)",
                f"{t['tracemalloc_peak_mib']:.1f} MiB",
                "Python heap during run_ingest_log",
            )
        )
    for size, verdict in results["default_limits"].items():
        rows.append(
            (f"default import limits, {int(size):,} log", verdict.split(":")[0], verdict[:160])
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--child", nargs="*")
    parser.add_argument("--trace", action="store_true")
    args, rest = parser.parse_known_args()
    if args.child:
        kind, *params = args.child
        if kind == "ingest":
            print(json.dumps(child_ingest(int(params[0]), args.trace or "--trace" in rest)))
        elif kind == "limits":
            print(json.dumps(child_limits(int(params[0]), int(params[1]))))
        elif kind == "read_full":
            print(json.dumps(child_read_full(int(params[0]))))
        elif kind == "inspect":
            print(json.dumps(child_inspect(int(params[0]), int(params[1]))))
        sys.exit(0)
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()
    results = main(sizes)
    results["seconds"] = time.perf_counter() - started
    rows = table(results)
    common.write_result("ingest", {"machine": common.machine_info(), **results, "table": rows})
    common.print_rows("1. ingest", rows)
    os._exit(0)
