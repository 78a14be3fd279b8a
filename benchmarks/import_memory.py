"""Peak memory of the web process while it imports a 50,000-sample Inspect log.

    .venv/bin/python benchmarks/import_memory.py [--samples 10000 50000 100000]   (default 50000)

1. The log: a real `.eval` made with Inspect (the benchmark task of `benchmarks/logs.py`: mockllm
   scripted to answer ~2 KB transcripts, generated with `eval()` and, past 1,000 samples, written
   again through Inspect's own recorder), cached under benchmarks/data/ (gitignored). Without that
   module, the log is generated here with `eval()` (slower: about 100 samples/s on 2 cores).
2. A database of its own (`concord_bench_imports`, migrated on first use) with a project, an
   institute, an evaluator and her API token, the system and the task the log names.
3. The production web process: gunicorn with platform/gunicorn.conf.py (one gthread worker),
   DEBUG off, on 127.0.0.1.
4. A real HTTP request: `POST /api/v1/runs/import/`, multipart, the file streamed from disk in
   1 MiB chunks with a Content-Length computed beforehand (nothing of it is held by the client).
5. The worker's resident set size (RSS) sampled with psutil every 20 ms from before the request to
   the answer: its peak, its growth over the idle baseline, and both as a fraction of the file's
   size. A web process that held the whole file (or the whole log decoded) would grow by at least
   the file's size; this one grows by a small fraction of it.

Prints the figures and writes them to benchmarks/data/import_memory.json.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "data"
WORK = DATA / "import-memory"
DATABASE_URL = os.environ.get(
    "BENCH_IMPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord_bench_imports"
)
REDIS_URL = os.environ.get("BENCH_IMPORT_REDIS_URL", "redis://127.0.0.1:6379/15")
PY = sys.executable
CHUNK = 1 << 20


def environment(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "concord-import-benchmark-not-secret-0123456789abcdef0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CONCORD_LOG_DIR": str(WORK / "logs"),
        "API_THROTTLE_RATE": "100000/minute",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_TIMEOUT": "900",
        "PYTHONUNBUFFERED": "1",
    }


# --- the log ---------------------------------------------------------------------------------


def the_log(samples: int) -> tuple[Path, str, str]:
    """(path, inspect task reference, task name) of a cached `samples`-sample log."""
    try:
        from benchmarks import logs as bench_logs
    except ImportError:
        return _generated_here(samples)
    meta = bench_logs.ensure_log(samples)
    return Path(meta["path"]), bench_logs.INSPECT_REF, bench_logs.TASK_NAME


def _generated_here(samples: int) -> tuple[Path, str, str]:
    """Fallback: the log made here with eval(), mockllm answering ~1.5 KB per question."""
    target = DATA / "logs" / f"import-memory-{samples}.eval"
    ref = "benchmarks.import_memory:import_memory_qa"
    if not target.is_file():
        from inspect_ai import eval as inspect_eval
        from inspect_ai.model import ModelOutput, get_model

        from evaluations.runner.offline import ensure_tiktoken_encodings

        ensure_tiktoken_encodings()

        def answer(input, tools, tool_choice, config) -> ModelOutput:
            question = input[-1].text
            number = int(question.split()[1])
            reasoning = " ".join(
                f"step {i}: weighing the option for item {number}." for i in range(30)
            )
            letter = "ABCD"[number % 4] if number % 5 else "A"
            return ModelOutput.from_content("mockllm/model", f"{reasoning}\nANSWER: {letter}")

        log_dir = target.parent / f"tmp-{uuid.uuid4().hex}"
        [log] = inspect_eval(
            import_memory_qa(samples),
            model=get_model("mockllm/model", custom_outputs=answer),
            log_dir=str(log_dir),
            display="none",
            max_connections=64,
            max_samples=64,
        )
        os.replace(log.location, target)
        for leftover in log_dir.iterdir():
            leftover.unlink()
        log_dir.rmdir()
    return target, ref, "import_memory_qa"


def import_memory_qa(samples: int = 100):
    from inspect_ai import Task, task
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import pattern
    from inspect_ai.solver import generate

    @task(name="import_memory_qa")
    def build() -> Task:
        stem = "Consider the scenario and the four options carefully before answering. " * 8
        dataset = [
            Sample(id=f"q{i:06d}", input=f"Question {i}: {stem}", target="ABCD"[i % 4])
            for i in range(samples)
        ]
        return Task(dataset=dataset, solver=generate(), scorer=pattern(r"ANSWER: ([A-D])"))

    return build()


# --- the world -------------------------------------------------------------------------------


def ensure_database(port: int) -> None:
    """Create the benchmark database when missing, migrate it, and set Django up on it here."""
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    if not name.startswith("concord_bench"):
        raise SystemExit(
            f"refusing to use database {name!r}: benchmark databases are concord_bench*"
        )
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    env = environment(port)
    subprocess.run(
        [PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    import django

    django.setup()


def prepare_world(inspect_ref: str, task_name: str, eval_id: str) -> str:
    """The project, institute, evaluator, system and task the log needs; a run of this log left
    by an earlier benchmark is removed. Returns an API token of the evaluator."""
    from django.db import connection

    from evaluations.models import (
        AISystem,
        EvaluationProject,
        EvaluationRun,
        EvaluationTask,
        Participation,
        ProjectSystem,
    )
    from institutes.models import Institute, Membership, Role, User
    from institutes.services import token_create

    institute, _ = Institute.objects.get_or_create(code="bench-a", defaults={"name": "Bench A"})
    user, _ = User.objects.get_or_create(username="bench-evaluator")
    Membership.objects.get_or_create(
        user=user, institute=institute, defaults={"role": Role.EVALUATOR}
    )
    project, _ = EvaluationProject.objects.get_or_create(
        slug="bench-imports", defaults={"title": "Import benchmark", "status": "active"}
    )
    Participation.objects.get_or_create(
        project=project, institute=institute, defaults={"role": "lead"}
    )
    system, _ = AISystem.objects.get_or_create(
        developer="Bench", name="Mock", version="1", defaults={"inspect_model": "mockllm/model"}
    )
    ProjectSystem.objects.get_or_create(project=project, system=system)
    slug = task_name.replace("_", "-")
    EvaluationTask.objects.get_or_create(
        slug=slug, defaults={"name": task_name, "inspect_ref": inspect_ref}
    )
    old = EvaluationRun.objects.filter(inspect_eval_id=eval_id).first()
    if old is not None:
        # Runs are evidence and refuse deletion; this database holds nothing but the benchmark's
        # imports, so a re-run starts from empty result tables.
        (WORK / "logs" / old.log_file).unlink(missing_ok=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE evaluations_sampleresult, evaluations_runscore, "
                "evaluations_evaluationrun CASCADE"
            )
    _, raw = token_create(user=user, name="import benchmark", scope="write", expires_in_days=1)
    return raw


# --- the request -----------------------------------------------------------------------------


def upload(port: int, token: str, path: Path) -> tuple[int, dict, float]:
    """POST the file as multipart, streamed from disk. Returns (status, body, seconds)."""
    boundary = uuid.uuid4().hex
    fields = {"project": "bench-imports", "institute": "bench-a"}
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1800)
    started = time.perf_counter()
    connection.putrequest("POST", "/api/v1/runs/import/")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    connection.send(head)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = {"raw": body[:500].decode(errors="replace")}
    return response.status, parsed, seconds


class Sampler(threading.Thread):
    """The RSS of a process (and its children) every `interval` seconds; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self.running = True

    def rss(self) -> int:
        total = self.process.memory_info().rss
        for child in self.process.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                total += child.memory_info().rss
        return total

    def run(self) -> None:
        while self.running:
            try:
                self.peak = max(self.peak, self.rss())
                self.samples += 1
            except psutil.NoSuchProcess:
                return
            time.sleep(self.interval)


def wait_for(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer")


def warm_up(port: int, token: str) -> None:
    for path in ("/api/v1/runs/", "/api/v1/projects/"):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        connection.getresponse().read()


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def mib(size: float) -> str:
    return f"{size / 2**20:,.1f} MiB"


def measure(samples: int, port: int) -> dict:
    """Import the `samples`-sample log through a fresh gunicorn and measure its worker."""
    cached, inspect_ref, task_name = the_log(samples)
    # Pinned by a hard link of our own: the shared cache may be regenerated meanwhile.
    path = WORK / cached.name
    path.unlink(missing_ok=True)
    try:
        os.link(cached, path)
    except OSError:
        shutil.copyfile(cached, path)
    from inspect_ai.log import read_eval_log

    header = read_eval_log(str(path), header_only=True)
    size = path.stat().st_size
    total = header.results.total_samples if header.results else samples
    print(f"log: {path.name}, {total:,} samples, {mib(size)}")
    token = prepare_world(inspect_ref, task_name, header.eval.eval_id)
    env = {**environment(port), "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    if samples > 75_000:
        # One archive entry per sample: past the default CONCORD_IMPORT_MAX_ENTRIES (80,000).
        env["CONCORD_IMPORT_MAX_ENTRIES"] = str(samples + 10_000)
        print(f"  CONCORD_IMPORT_MAX_ENTRIES={env['CONCORD_IMPORT_MAX_ENTRIES']} for this size")
    server = subprocess.Popen(
        [PY, "-m", "gunicorn", "--config", "platform/gunicorn.conf.py", "config.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=(WORK / f"gunicorn-{samples}.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(port, server)
        warm_up(port, token)
        time.sleep(1.0)
        [worker] = psutil.Process(server.pid).children()
        sampler = Sampler(worker.pid)
        baseline = sampler.rss()
        sampler.start()
        status, body, seconds = upload(port, token, path)
        sampler.running = False
        sampler.join()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    if status not in (200, 201):
        raise SystemExit(f"the import answered {status}: {json.dumps(body)[:1000]}")
    peak = sampler.peak
    figures = {
        "samples": body.get("sample_count"),
        "file_bytes": size,
        "status": status,
        "seconds": round(seconds, 1),
        "samples_per_second": round((body.get("sample_count") or 0) / seconds, 1),
        "worker_rss_baseline_bytes": baseline,
        "worker_rss_peak_bytes": peak,
        "worker_rss_growth_bytes": peak - baseline,
        "peak_over_file": round(peak / size, 3),
        "growth_over_file": round((peak - baseline) / size, 3),
        "rss_samples": sampler.samples,
    }
    print(
        f"  answer {status}: run {body.get('id')}, {figures['samples']:,} samples in "
        f"{seconds:.1f} s ({figures['samples_per_second']:,.0f} samples/s)"
    )
    print(
        f"  web worker RSS: baseline {mib(baseline)}, peak {mib(peak)}, growth "
        f"{mib(peak - baseline)}; peak / file = {figures['peak_over_file']:.3f}, growth / file = "
        f"{figures['growth_over_file']:.3f} ({sampler.samples:,} RSS samples)"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--samples", type=int, nargs="+", default=[50_000], help="log sizes (default 50000)"
    )
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    facts: dict = {"machine": machine(), "runs": []}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ensure_database(port)
    for samples in args.samples:
        facts["runs"].append(measure(samples, port))
    (DATA / "import_memory.json").write_text(json.dumps(facts, indent=2) + "\n")
    print()
    print(
        "| samples | file | seconds | samples/s | RSS baseline | RSS peak | growth | peak/file | growth/file |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for run in facts["runs"]:
        print(
            f"| {run['samples']:,} | {mib(run['file_bytes'])} | {run['seconds']} | "
            f"{run['samples_per_second']:,.0f} | {mib(run['worker_rss_baseline_bytes'])} | "
            f"{mib(run['worker_rss_peak_bytes'])} | {mib(run['worker_rss_growth_bytes'])} | "
            f"{run['peak_over_file']:.2f} | {run['growth_over_file']:.2f} |"
        )
    machine_facts = facts["machine"]
    print(
        f"\nmachine: {machine_facts['cpu']}, {machine_facts['cores']} cores, "
        f"{machine_facts['memory_gib']} GiB, Python {machine_facts['python']}, "
        f"load before {machine_facts['load_before']}"
    )


if __name__ == "__main__":
    main()
