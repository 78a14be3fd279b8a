"""Shared helpers for the benchmarks: paths, the benchmark databases and Redis db, the environment
of the processes a benchmark starts (production settings), machine facts, results files, stats.

Benchmarks never touch the test databases: they use `concord_bench` (serving, opening a run,
dispatch) and `concord_bench_ingest` (ingestion), and Redis db 14. Override with
BENCH_DATABASE_URL, BENCH_INGEST_DATABASE_URL and BENCH_REDIS_URL.
"""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", BENCH_DIR / "data"))  # gitignored
RESULTS_DIR = BENCH_DIR / "results"
PY = sys.executable

BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord_bench")
INGEST_DB = os.environ.get(
    "BENCH_INGEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord_bench_ingest"
)
BENCH_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET = "concord-benchmark-key-not-secret-0123456789abcdef-0123456789"
# A 100k-sample log holds more archive entries than the import default (80,000) accepts: the
# benchmarks raise it, as an operator would (see the README).
MAX_ENTRIES = "1200000"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def production_env(database_url: str = BENCH_DB, **extra: str) -> dict[str, str]:
    """Environment of a Concord process under the production settings (DEBUG off, a secret key,
    one allowed host), on plain HTTP on 127.0.0.1 (no TLS redirect, no secure-only cookies), with
    the benchmark URLconf (`benchmarks.bench_settings`: the product plus one ceiling view).
    The API throttle is raised: the load test is one client, and 1200/minute would answer 429."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": BENCH_REDIS,
        "CELERY_BROKER_URL": BENCH_REDIS,
        "CONCORD_LOG_DIR": str(DATA_DIR / "concord-logs"),
        "STATIC_ROOT": str(DATA_DIR / "staticfiles"),
        "API_THROTTLE_RATE": "100000000/minute",
        "CONCORD_IMPORT_MAX_ENTRIES": MAX_ENTRIES,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "TIKTOKEN_CACHE_DIR": str(DATA_DIR / "tiktoken"),
    }
    env.update(extra)
    return env


def setup_django(database_url: str = BENCH_DB) -> None:
    """Configure Django in this process with the production settings on a benchmark database."""
    os.environ.update(production_env(database_url))
    import django

    django.setup()


def db_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def admin_dsn(url: str) -> str:
    """The same server, database `postgres` (to create databases)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/postgres"))


def ensure_database(url: str) -> bool:
    """Create the database when missing and migrate it. Returns True when it was created."""
    import psycopg

    name = db_name(url)
    if not re.fullmatch(r"[a-z0-9_]+", name) or not name.startswith("concord_bench"):
        raise SystemExit(
            f"refusing to use database {name!r}: benchmark databases are concord_bench*"
        )
    with psycopg.connect(admin_dsn(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=production_env(url))
    return not exists


def run(cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 900, **kw) -> str:
    result = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False, **kw
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answers
        except Exception as exc:
            last = exc
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s ({last})")


def stop(process: subprocess.Popen | None, timeout: float = 15) -> None:
    """Stop a process started by a benchmark (its own session: it and its children)."""
    import signal

    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks."""
    if not values:
        return float("nan")
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    k = (len(data) - 1) * q / 100
    low = int(k)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (k - low)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@contextmanager
def timer():
    box = {"seconds": 0.0}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def _first_line(cmd: list[str]) -> str:
    try:
        return (
            subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            .stdout.strip()
            .splitlines()[0]
        )
    except Exception:
        return "unknown"


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    postgres = "unknown"
    try:
        import psycopg

        with psycopg.connect(admin_dsn(BENCH_DB), autocommit=True) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:
        pass
    versions = {}
    for package in ("inspect_ai", "django", "celery", "psycopg", "gunicorn"):
        try:
            from importlib.metadata import version

            versions[package] = version(package.replace("_", "-"))
        except Exception:
            versions[package] = "unknown"
    return {
        "nproc": os.cpu_count(),
        "memory_gib": memory_gib,
        "cpu": cpu,
        "python": platform.python_version(),
        "postgresql": postgres,
        "redis": _first_line(["redis-server", "--version"]),
        "wrk": _first_line(["wrk", "--version"]) if _which("wrk") else "not installed",
        "kernel": platform.release(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "packages": versions,
    }


def _which(name: str) -> bool:
    import shutil

    return shutil.which(name) is not None


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    data = {
        "benchmark": name,
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        **data,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def fmt_rate(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def print_rows(title: str, rows: list[tuple[str, str, str]]) -> None:
    """rows: (what, figure, note)."""
    print(f"\n== {title}")
    width = max((len(r[0]) for r in rows), default=10)
    for what, figure, note in rows:
        print(f"  {what:<{width}}  {figure:>16}  {note}")


# --------------------------------------------------------------------------------------------
# The web server under test: gunicorn with the production configuration
# --------------------------------------------------------------------------------------------


def static_fingerprint() -> str:
    """What the collected files are made from: the project's static files (paths, sizes, times),
    the settings, and the installed packages (their apps' static files, whitenoise)."""
    import hashlib
    from importlib.metadata import distributions

    digest = hashlib.sha256()
    for path in sorted((ROOT / "static").rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(ROOT)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    digest.update(str((ROOT / "config" / "settings.py").stat().st_mtime_ns).encode())
    packages = sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions())
    digest.update("\n".join(packages).encode())
    return digest.hexdigest()


def collectstatic(env: dict[str, str]) -> None:
    """The production static storage (compressed, manifest) needs collected files. Collecting
    compresses every file again (a minute of CPU here), so it is skipped when the files it
    would collect from are the ones last collected (a stamp beside them)."""
    root = Path(env.get("STATIC_ROOT", DATA_DIR / "staticfiles"))
    stamp = root / ".bench-collected"
    fingerprint = static_fingerprint()
    collected = (root / "staticfiles.json").is_file() and stamp.is_file()
    if collected and stamp.read_text() == fingerprint:
        return
    run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], env=env, timeout=600)
    stamp.write_text(fingerprint)


@contextmanager
def gunicorn(database_url: str = BENCH_DB, **extra: str):
    """Start `gunicorn --config platform/gunicorn.conf.py config.wsgi:application` (the production
    process: gthread workers, 2 x cores + 1 of them, 2 threads each) on 127.0.0.1 with the
    production settings; yields its base URL. Access log to benchmarks/data/gunicorn.log."""
    import subprocess as sp

    port = free_port()
    env = production_env(database_url, GUNICORN_BIND=f"127.0.0.1:{port}", **extra)
    collectstatic(env)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    log = (DATA_DIR / "gunicorn.log").open("ab")
    process = sp.Popen(
        [PY, "-m", "gunicorn", "--config", "platform/gunicorn.conf.py", "config.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=sp.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz", timeout=90, process=process)
        yield base
    finally:
        stop(process)
        log.close()


def http_get(
    url: str, headers: dict[str, str] | None = None, timeout: float = 300
) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one GET on a fresh connection."""
    import urllib.request

    request = urllib.request.Request(url, headers=headers or {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body = exc.read()
        status = exc.code
    return status, body, time.perf_counter() - started
