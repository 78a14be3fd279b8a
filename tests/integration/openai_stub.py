"""A tiny OpenAI-compatible server (standard library only) for the integration tests.

`POST /v1/chat/completions` answers the knowledge-QA suite: even-numbered questions correctly,
the others wrongly, after a short pause per request so progress can be watched. It records the
Authorization headers it received.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from evaluations.suites._data import read_records

QA = {r["input"]: r for r in read_records("knowledge_qa.jsonl")}


class StubServer:
    def __init__(self, *, pause: float = 0.2):
        self.pause = pause
        self.authorizations: list[str] = []
        self.requests = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self.send_error(404)
                    return
                stub.requests += 1
                stub.authorizations.append(self.headers.get("Authorization", ""))
                time.sleep(stub.pause)
                question = next(
                    (
                        m["content"]
                        for m in reversed(body.get("messages", []))
                        if m.get("role") == "user" and isinstance(m.get("content"), str)
                    ),
                    "",
                )
                record = QA.get(question)
                number = int(record["id"].split("-")[1]) if record else 1
                answer = record["target"][0] if record and number % 2 == 0 else "no idea"
                payload = {
                    "id": f"chatcmpl-{stub.requests}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "stub-model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": f"ANSWER: {answer}"},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
