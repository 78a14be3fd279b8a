"""A small HTTP client for Concord's REST API (standard library only).

Two kinds of failure, kept apart because callers treat them differently:

- `ConcordError`: Concord could not be reached or did not answer properly (connection refused,
  timeout, a 5xx). Worth retrying later: the Inspect hook and `concord upload` keep the log
  pending.
- `Refused`: Concord answered with a 4xx (a bad file, a token that may not write to the project,
  an unknown project...). Retrying the same request will not help; the message says why.

`Client.upload` streams the log from disk as a multipart body (never the whole file in memory)
and returns an `UploadResult` instead of raising `Refused`, so a batch of uploads can report each
file.
"""

from __future__ import annotations

import http.client
import json
import secrets
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode, urljoin, urlsplit

from concord_client import __version__

API = "/api/v1/"
CHUNK = 256 * 1024
USER_AGENT = f"concord-client/{__version__}"


class ConcordError(Exception):
    """Concord could not be reached, timed out, or failed (5xx): retry later."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status


class Refused(Exception):
    """Concord answered 4xx: the request as made will not succeed (the message says why)."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int,
        code: str = "",
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.fields = fields or {}


@dataclass(frozen=True)
class UploadResult:
    status: Literal["imported", "existing", "refused"]
    run_id: int | None
    message: str
    http_status: int

    @property
    def ok(self) -> bool:
        return self.status in ("imported", "existing")


Progress = Callable[[int, int], None]  # (bytes sent, bytes in all)


class MultipartBody:
    """A multipart/form-data body of text fields and one file, produced in chunks from disk.

    `length` is known up front (so the request has a Content-Length and the server can refuse an
    oversized file before reading it)."""

    def __init__(
        self, fields: dict[str, str], file_field: str, path: Path, filename: str | None = None
    ) -> None:
        self.boundary = f"concord-{secrets.token_hex(16)}"
        self.path = path
        head = bytearray()
        for name, value in fields.items():
            head += self._part_header(f'name="{_quote(name)}"')
            head += value.encode() + b"\r\n"
        disposition = f'name="{_quote(file_field)}"; filename="{_quote(filename or path.name)}"'
        head += self._part_header(disposition, "application/octet-stream")
        self.head = bytes(head)
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.file_size = path.stat().st_size
        self.length = len(self.head) + self.file_size + len(self.tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _part_header(self, disposition: str, content_type: str | None = None) -> bytes:
        lines = [f"--{self.boundary}", f"Content-Disposition: form-data; {disposition}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as handle:
            while block := handle.read(size):
                yield block
        yield self.tail


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def error_message(status: int, body: bytes) -> tuple[str, str, dict[str, Any]]:
    """(message, code, fields) from Concord's error shape, or the start of the body."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        error = data["error"]
        fields = error.get("fields") if isinstance(error.get("fields"), dict) else {}
        return str(error.get("message") or f"HTTP {status}"), str(error.get("code", "")), fields
    text = body[:300].decode("utf-8", "replace").strip()
    return (f"HTTP {status}: {text}" if text else f"HTTP {status}"), "", {}


class Client:
    """`Client(url, token)`: the API of the Concord at `url` (e.g. https://concord.example.org)."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not an http(s) address: {url!r}")
        self.url = url.rstrip("/")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout

    # --- transport ---------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _target(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The request target: `path` under the API (or a full address Concord gave, such as
        a `next` page, kept to its path and query so the configured host is always used)."""
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        else:
            target = urljoin(self.prefix + API, path.lstrip("/"))
        if params:
            query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
            if query:
                target += ("&" if "?" in target else "?") + query
        return target

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        headers.update(extra or {})
        return headers

    def _send(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        chunks: Iterator[bytes] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[int, bytes]:
        connection = self._connection()
        try:
            try:
                connection.putrequest(method, target, skip_accept_encoding=True)
                for name, value in headers.items():
                    connection.putheader(name, value)
                connection.endheaders()
                sent = 0
                for chunk in chunks or ():
                    connection.send(chunk)
                    sent += len(chunk)
                    if progress:
                        progress(sent)
            except (BrokenPipeError, ConnectionResetError):
                # The server may answer before reading the whole body (e.g. a file over its
                # limit): read that answer if there is one.
                if chunks is None:
                    raise
            response = connection.getresponse()
            return response.status, response.read()
        except TimeoutError as exc:
            raise ConcordError(
                f"Concord at {self.url} did not answer in {self.timeout:g} s"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise ConcordError(f"Cannot reach Concord at {self.url}: {exc}") from exc
        finally:
            connection.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """The JSON answer of a request; `Refused` for a 4xx, `ConcordError` otherwise."""
        headers = self._headers()
        chunks = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
            headers["Content-Length"] = str(len(data))
            chunks = iter([data])
        status, body = self._send(method, self._target(path, params), headers, chunks)
        return self._answer(status, body)

    def _answer(self, status: int, body: bytes) -> Any:
        if 200 <= status < 300:
            if not body:
                return None
            try:
                return json.loads(body)
            except ValueError as exc:
                raise ConcordError(
                    f"Concord answered {status} with a body that is not JSON"
                ) from exc
        message, code, fields = error_message(status, body)
        if 400 <= status < 500 and status not in (408, 429):
            raise Refused(message, http_status=status, code=code, fields=fields)
        raise ConcordError(message, http_status=status)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every result of a paginated list (page-number or cursor: both give `next`)."""
        page = self.get(path, **params)
        while True:
            if isinstance(page, list):  # an unpaginated list
                yield from page
                return
            yield from page.get("results", [])
            following = page.get("next")
            if not following:
                return
            page = self.get(following)

    # --- read helpers -------------------------------------------------------------------------

    def runs(self, project: str | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every run visible to the token (of `project` if given), across all pages."""
        return self._pages("runs/", {"project": project, **filters})

    def run(self, run_id: int) -> dict[str, Any]:
        """A run with its scores (values, standard errors and intervals) as the API gives it."""
        return self.get(f"runs/{int(run_id)}/")

    def run_scores(self, run_id: int) -> list[dict[str, Any]]:
        """The run's scores, each with its interval (e.g. `primary_ci95`)."""
        return list(self.run(run_id).get("scores", []))

    def samples(self, run_id: int, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every sample result of the run, following the cursor pages."""
        return self._pages(f"runs/{int(run_id)}/samples/", filters)

    # --- external runs ------------------------------------------------------------------------

    def external_run_report(
        self,
        *,
        project: str,
        institute: str,
        eval_id: str,
        task: str,
        model: str,
        run_id: str | None = None,
        samples_total: int = 0,
        host: str = "",
        inspect_version: str = "",
    ) -> dict[str, Any]:
        """Report an evaluation that started (idempotent by `eval_id`): the external run."""
        body: dict[str, Any] = {
            "project": project,
            "institute": institute,
            "eval_id": eval_id,
            "task": task,
            "model": model,
            "samples_total": max(0, int(samples_total)),
        }
        if run_id:
            body["run_id"] = run_id
        if host:
            body["host"] = host
        if inspect_version:
            body["inspect_version"] = inspect_version
        return self.request("POST", "external-runs/", json_body=body)

    def external_run_progress(
        self,
        external_run_id: int,
        *,
        samples_done: int | None = None,
        samples_total: int | None = None,
        status: str | None = None,
        error: str | None = None,
    ) -> dict[str, Any]:
        """Progress and outcome of a reported run (samples_done never goes backwards)."""
        body = {
            key: value
            for key, value in {
                "samples_done": samples_done,
                "samples_total": samples_total,
                "status": status,
                "error": error,
            }.items()
            if value is not None
        }
        return self.request("PATCH", f"external-runs/{int(external_run_id)}/", json_body=body)

    def external_runs(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Reported runs (filters: project, institute, status)."""
        return self._pages("external-runs/", filters)

    def external_run(self, external_run_id: int) -> dict[str, Any]:
        return self.get(f"external-runs/{int(external_run_id)}/")

    # --- upload -------------------------------------------------------------------------------

    def upload(
        self,
        path: str | Path,
        project: str,
        institute: str,
        task: str | None = None,
        notes: str = "",
        progress: Progress | None = None,
    ) -> UploadResult:
        """Import a log into a run. `imported` (201), `existing` (200: the same log was imported
        before), or `refused` (4xx, with Concord's reason). `ConcordError` when Concord could not
        be reached or failed: the upload may be retried as is."""
        path = Path(path)
        fields = {"project": project, "institute": institute}
        if task:
            fields["task"] = task
        if notes:
            fields["notes"] = notes
        try:
            body = MultipartBody(fields, "file", path)
        except OSError as exc:
            return UploadResult("refused", None, f"cannot read the file: {exc}", 0)
        headers = self._headers(
            {"Content-Type": body.content_type, "Content-Length": str(body.length)}
        )
        on_sent = None
        if progress is not None:
            report = progress

            def on_sent(sent: int) -> None:
                report(min(sent, body.length), body.length)

        status, raw = self._send(
            "POST", self._target("runs/import/"), headers, body.chunks(), on_sent
        )
        try:
            data = self._answer(status, raw)
        except Refused as exc:
            return UploadResult("refused", None, exc.message, exc.http_status)
        run_id = data.get("id") if isinstance(data, dict) else None
        message = str(data.get("message", "")) if isinstance(data, dict) else ""
        return UploadResult("imported" if status == 201 else "existing", run_id, message, status)
