"""Requests whose body must not be read, sent to the WSGI application itself: `wsgi.input`
raises if anything reads it, so an answer to such a request cannot have come from a body held in
memory (or written to disk)."""

from __future__ import annotations

import io
import json

from institutes.services import token_create


class UnreadableInput(io.RawIOBase):
    """A request body that must not be read: any read fails the test."""

    def __init__(self):
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size=-1):
        self.reads += 1
        raise AssertionError("the request body was read")

    readinto = readline = read


def declared_only(wsgi_app, user, path: str, *, content_type: str, length: int):
    """POST `path` with a Content-Length of `length` and a body that fails if read: (status,
    JSON body)."""
    _, raw = token_create(user=user, name="limits", scope="write", expires_in_days=1)
    body = UnreadableInput()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": f"Bearer {raw}",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(length),
        "wsgi.input": body,
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"] = int(status.split()[0])

    chunks = wsgi_app(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    assert body.reads == 0, "the request body was read"
    return started["status"], json.loads(content)
