"""Fixtures of the webhook tests: a real HTTP receiver on loopback (a thread running
http.server) that records what it gets and answers the statuses it is told to, and webhooks of
institutes A, B and C. The project fixtures are those of the evaluations tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.evaluations.conftest import project, qa_task, target_system  # noqa: F401
from webhooks.services import webhooks as webhook_services


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order; 200 once empty


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port_url():
    """A loopback URL where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


ALL_EVENTS = [
    "job.finished",
    "run.imported",
    "finding.changed",
    "guideline.approved",
    "access_window.closing",
]


def register(user, institute, url, events=None):
    """A webhook and its secret (shown once), registered as `user`."""
    result = webhook_services.webhook_create(
        user=user, institute=institute, url=url, events=events or ALL_EVENTS
    )
    return result.webhook, result.secret
