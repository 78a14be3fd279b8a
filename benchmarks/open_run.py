"""Benchmark 3: opening a large run (10^5 samples) in Concord versus `inspect view`.

Concord: time from request to the first page of samples, on gunicorn with the production
settings: the run page (HTML, its first 50 samples) and the samples API's first page (100). Each
on one kept-alive connection (so on one gunicorn worker): the first request (cold: the worker's
first view of the kind, the run's rows not yet in PostgreSQL's cache) is reported apart, the
figure is the median of the next REPEAT (warm) requests, their spread beside it. The ratio is
the median `inspect view` opening (of VIEW_REPEAT) over that median.

`inspect view` (started on 127.0.0.1 with a log dir holding the same `.eval` file): its viewer
opens a `.eval` log through the server's byte-range API (inspect_ai/_view/fastapi_server.py and
the viewer's `openRemoteLogFile` in _view/dist/assets/index.js): `GET /api/log-info/<log>`,
then `GET /api/log-bytes/<log>?start=&end=` for the ZIP's end record, its central directory, and
the `header.json` and `summaries.json` members (8 MiB chunks, up to 10 in parallel), which it
decompresses (Zstandard) and parses before it lists the samples. This client replays those
requests and does the same decoding in Python (zstandard, json); the server part and the client
part are reported apart, the ratio uses their sum.

    python benchmarks/open_run.py
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import struct
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import common

REPEAT = 9  # warm requests per Concord endpoint, after the first
VIEW_REPEAT = 3  # inspect view openings (each reads and parses 200+ MiB)
CHUNK = 8 * 1024 * 1024  # the viewer's PARALLEL_CHUNK_SIZE
PARALLEL = 10  # its MAX_PARALLEL_CHUNKS


class ViewClient:
    def __init__(self, base: str, log: str):
        self.base = base
        self.quoted = urllib.parse.quote(log, safe="")
        self.requests = 0
        self.bytes = 0

    def _get(self, path: str) -> bytes:
        status, body, _ = common.http_get(self.base + path)
        if status != 200:
            raise RuntimeError(f"inspect view answered {status} for {path}: {body[:200]!r}")
        self.requests += 1
        self.bytes += len(body)
        return body

    def size(self) -> int:
        return json.loads(self._get(f"/api/log-info/{self.quoted}"))["size"]

    def read(self, start: int, size: int) -> bytes:
        if size <= CHUNK:
            return self._get(f"/api/log-bytes/{self.quoted}?start={start}&end={start + size - 1}")
        chunks = [(start + o, min(CHUNK, size - o)) for o in range(0, size, CHUNK)]
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
            parts = list(pool.map(lambda c: self.read(*c), chunks))
        return b"".join(parts)


def _central_directory(data: bytes) -> dict[str, tuple[int, int, int, int]]:
    """name -> (local header offset, compressed size, uncompressed size, method), ZIP64 aware."""
    entries = {}
    pos = 0
    while pos + 46 <= len(data) and data[pos : pos + 4] == b"PK\x01\x02":
        (method,) = struct.unpack_from("<H", data, pos + 10)
        csize, usize = struct.unpack_from("<II", data, pos + 20)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        (offset,) = struct.unpack_from("<I", data, pos + 42)
        name = data[pos + 46 : pos + 46 + name_len].decode("utf-8")
        extra = data[pos + 46 + name_len : pos + 46 + name_len + extra_len]
        e = 0
        while e + 4 <= len(extra):
            tag, length = struct.unpack_from("<HH", extra, e)
            if tag == 1:  # ZIP64: the 0xFFFFFFFF fields, in order
                values = list(struct.unpack_from(f"<{length // 8}Q", extra, e + 4))
                if usize == 0xFFFFFFFF:
                    usize = values.pop(0)
                if csize == 0xFFFFFFFF:
                    csize = values.pop(0)
                if offset == 0xFFFFFFFF:
                    offset = values.pop(0)
            e += 4 + length
        entries[name] = (offset, csize, usize, method)
        pos += 46 + name_len + extra_len + comment_len
    return entries


def open_with_inspect_view(base: str, log: str) -> dict:
    """Replay the viewer's requests to show a `.eval` log's sample list; time each part."""
    import zstandard

    client = ViewClient(base, log)
    started = time.perf_counter()
    length = client.size()
    eocd = client.read(length - 22, 22)
    cd_size, cd_offset = struct.unpack_from("<II", eocd, 12)
    if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        locator = client.read(length - 42, 20)
        (record_at,) = struct.unpack_from("<Q", locator, 8)
        record = client.read(record_at, 56)
        cd_size, cd_offset = struct.unpack_from("<QQ", record, 40)
    directory = client.read(cd_offset, cd_size)
    server_seconds = time.perf_counter() - started
    decode_started = time.perf_counter()
    entries = _central_directory(directory)
    decode_seconds = time.perf_counter() - decode_started

    def member(name: str) -> tuple[bytes, float]:
        offset, csize, _usize, _method = entries[name]
        t0 = time.perf_counter()
        head = client.read(offset, min(30 + len(name) + csize + 256, length - offset))
        name_len, extra_len = struct.unpack_from("<HH", head, 26)
        start = 30 + name_len + extra_len
        if start + csize > len(head):
            head = client.read(offset, start + csize)
        return head[start : start + csize], time.perf_counter() - t0

    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # header and summaries in parallel
        t0 = time.perf_counter()
        fetched = list(pool.map(member, ["header.json", "summaries.json"]))
        server_seconds += time.perf_counter() - t0
    decompress_seconds = parse_seconds = 0.0
    decoded = []
    for (raw, _), name in zip(fetched, ["header.json", "summaries.json"], strict=True):
        method = entries[name][3]
        t0 = time.perf_counter()
        data = zstandard.ZstdDecompressor().stream_reader(raw).read() if method == 93 else raw
        t1 = time.perf_counter()
        decoded.append(json.loads(data))
        decompress_seconds += t1 - t0
        parse_seconds += time.perf_counter() - t1
    decode_seconds += decompress_seconds + parse_seconds
    summaries = decoded[1]
    return {
        "total_seconds": server_seconds + decode_seconds,
        "server_seconds": server_seconds,
        "client_decode_seconds": decode_seconds,
        "decompress_seconds": decompress_seconds,
        "json_parse_seconds": parse_seconds,
        "requests": client.requests,
        "bytes": client.bytes,
        "samples_listed": len(summaries),
        "summaries_json_bytes": entries["summaries.json"][2],
    }


def start_inspect_view(log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = common.free_port()
    log = (common.DATA_DIR / "inspect-view.log").open("ab")
    process = subprocess.Popen(
        [
            str(Path(common.PY).with_name("inspect")),
            "view",
            "--log-dir",
            str(log_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=log_dir,
        env={**os.environ, "INSPECT_LOG_LEVEL": "warning"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    common.wait_http(base + "/api/log-files", timeout=240, process=process)
    return process, base


def timed_gets(base: str, path: str, headers: dict[str, str], count: int) -> tuple[list, int]:
    """`count` GETs of `path` one after the other on one kept-alive connection: (seconds of
    each, size of the last body)."""
    import http.client

    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    times, size = [], 0
    try:
        for _ in range(count):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            times.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
            size = len(body)
    finally:
        conn.close()
    return times, size


def main(size: int = 100_000) -> dict:
    from benchmarks import seed_serving

    seed = seed_serving.ensure()  # migrates and sets Django up on the benchmark database
    from benchmarks import fixtures

    large = seed["large_run"]
    w = fixtures.world()
    cookie = fixtures.session_cookie(w)
    token = fixtures.api_token(w)
    concord: dict = {}
    with common.gunicorn(common.BENCH_DB) as base:
        for name, path, headers in (
            ("run page", f"/runs/{large['run_id']}/", {"Cookie": cookie}),
            (
                "samples API first page",
                f"/api/v1/runs/{large['run_id']}/samples/",
                {"Authorization": f"Bearer {token}"},
            ),
        ):
            times, size_bytes = timed_gets(base, path, headers, REPEAT + 1)
            concord[name] = {
                "path": path,
                "first_seconds": times[0],
                "median_seconds": common.median(times[1:]),
                "min_seconds": min(times[1:]),
                "max_seconds": max(times[1:]),
                "warm_requests": len(times) - 1,
                "bytes": size_bytes,
            }
    # inspect view on a folder holding only this log (a hard link to the generated file)
    view_dir = common.DATA_DIR / "view"
    view_dir.mkdir(parents=True, exist_ok=True)
    target = view_dir / Path(large["log"]).name
    if not target.exists():
        os.link(large["log"], target)
    process, base = start_inspect_view(view_dir)
    try:
        files = json.loads(common.http_get(base + "/api/log-files")[1])["files"]
        name = next(f["name"] for f in files if f["name"].endswith(target.name))
        runs = [open_with_inspect_view(base, name) for _ in range(VIEW_REPEAT)]
    finally:
        common.stop(process)
    totals = [r["total_seconds"] for r in runs]
    view = {**sorted(runs, key=lambda r: r["total_seconds"])[len(runs) // 2], "all_totals": totals}
    return {
        "samples": large["samples"],
        "run_id": large["run_id"],
        "concord": concord,
        "inspect_view": view,
    }


def table(results: dict) -> list[tuple[str, str, str]]:
    view = results["inspect_view"]
    rows = [
        (
            "open 10^5 run: inspect view",
            f"{view['total_seconds']:.2f} s",
            f"server {view['server_seconds']:.2f} s + client {view['client_decode_seconds']:.2f} s "
            f"(unzstd {view['decompress_seconds']:.2f} s, JSON {view['json_parse_seconds']:.2f} s "
            f"of {view['summaries_json_bytes'] / 2**20:.0f} MiB summaries), {view['requests']} "
            f"requests, {view['bytes'] / 2**20:.0f} MiB",
        )
    ]
    for name, c in results["concord"].items():
        rows.append(
            (
                f"open 10^5 run: Concord {name}",
                f"{c['median_seconds'] * 1000:.0f} ms",
                f"median of {c['warm_requests']} warm requests "
                f"({c['min_seconds'] * 1000:.0f}-{c['max_seconds'] * 1000:.0f} ms); "
                f"first request {c['first_seconds'] * 1000:.0f} ms; {c['bytes'] / 1024:.0f} KiB",
            )
        )
        rows.append(
            (
                f"open 10^5 run: inspect view / Concord {name}",
                f"{view['total_seconds'] / c['median_seconds']:.0f}",
                f"x faster in Concord (medians: inspect view of {len(view['all_totals'])} "
                "openings, Concord of its warm requests)",
            )
        )
    return rows


if __name__ == "__main__":
    started = time.perf_counter()
    results = main()
    results["seconds"] = time.perf_counter() - started
    rows = table(results)
    common.write_result("open_run", {"machine": common.machine_info(), **results, "table": rows})
    common.print_rows("3. opening a large run", rows)
    os._exit(0)
