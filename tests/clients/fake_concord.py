"""A small fake of Concord's worker API (docs: the worker routes in docs/api.md), served from a
thread, for testing `concord worker` on its own: it hands out the jobs it is given, answers
heartbeats (cancel or 409 when told to), stores uploaded logs idempotently by eval id (failing
the first uploads when told to), and records every request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "cwp_fake-pool-credential"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class FakeConcord:
    jobs: list[dict[str, Any]] = field(default_factory=list)
    claim_failures: int = 0  # answer 503 to this many claims first
    cancel_after: int | None = None  # heartbeats answered before `cancel: true`
    conflict_after: int | None = None  # heartbeats answered before 409
    upload_failures: int = 0  # answer 503 to this many uploads first
    revoke_after: int | None = None  # heartbeats answered before the credential is revoked
    token: str = TOKEN
    requests: list[Seen] = field(default_factory=list)
    logs: dict[tuple[int, int, str], bytes] = field(default_factory=dict)
    finished: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self, method: str, fragment: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method and fragment in r.path]

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers, body: bytes):
        revoked = self.revoke_after is not None and len(self.heartbeats) >= self.revoke_after
        if revoked or headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": {"code": "not_authenticated", "message": "Bad credential."}}
        if path == "/api/v1/worker/claim/":
            wait = float(json.loads(body or b"{}").get("wait", 0))
            with self.lock:
                if self.claim_failures > 0:
                    self.claim_failures -= 1
                    return 503, {"error": {"code": "unavailable", "message": "Try later."}}
                if self.jobs:
                    return 200, {"job": self.jobs.pop(0)}
            time.sleep(min(wait, 0.2))
            return 204, None
        parts = path.strip("/").split("/")  # api v1 worker jobs <id> <action>
        if len(parts) != 6 or parts[:4] != ["api", "v1", "worker", "jobs"]:
            return 404, {"error": {"code": "not_found", "message": "No such route."}}
        job_id, action = int(parts[4]), parts[5]
        if action == "heartbeat":
            data = json.loads(body)
            with self.lock:
                count = len(self.heartbeats)
                self.heartbeats.append(data)
            if self.conflict_after is not None and count >= self.conflict_after:
                return 409, {"error": {"code": "conflict", "message": "Not held."}}
            cancel = self.cancel_after is not None and count >= self.cancel_after
            return 200, {"cancel": cancel}
        if action == "log":
            with self.lock:
                if self.upload_failures > 0:
                    self.upload_failures -= 1
                    return 503, {"error": {"code": "unavailable", "message": "Storage is down."}}
                key = (job_id, int(query["attempt"][0]), headers.get("X-Concord-Eval-Id", ""))
                if key in self.logs:
                    return 200, {"stored": True}
                self.logs[key] = body
            return 201, {"stored": True}
        if action == "finish":
            with self.lock:
                self.finished.append({"job": job_id, **json.loads(body)})
            return 202, {"accepted": True}
        return 404, {"error": {"code": "not_found", "message": "No such route."}}


def _handler(fake: FakeConcord) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, data = fake.answer(
                self.command, parts.path, parse_qs(parts.query), self.headers, body
            )
            with fake.lock:
                fake.requests.append(
                    Seen(self.command, parts.path, dict(self.headers), body, status)
                )
            raw = json.dumps(data).encode() if data is not None else b""
            self.send_response(status)
            if raw:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = _serve

    return Handler


@contextmanager
def serving(fake: FakeConcord) -> Iterator[FakeConcord]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def job(job_id: int = 7, *, attempt: int = 1, heartbeat: float = 0.3, **spec: Any) -> dict:
    """A claim's job as Concord gives it: a slow mock task by default."""
    return {
        "id": job_id,
        "attempt": attempt,
        "heartbeat_seconds": heartbeat,
        "time_limit_seconds": 600,
        "cancel_grace_seconds": 3.0,
        "spec": {
            "ref": "tests.evaluations.runner.inspect_tasks:slow_task",
            "task_args": {"samples": 4, "seconds": 0.05},
            "eval_kwargs": {
                "model": "mockllm/model",
                "model_base_url": None,
                "model_args": {},
                "log_format": "eval",
                "display": "none",
                "max_samples": 1,
                "tags": [f"concord-job-{job_id}"],
            },
            "api_key_env": "",
            **spec,
        },
    }
