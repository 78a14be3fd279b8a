"""The HTTP client without a server: the multipart body, the error shape, the request targets."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

import pytest
from concord_client import api
from concord_client.api import Client, ConcordError, MultipartBody, Refused

from tests.clients.conftest import live


def _parse(body: MultipartBody) -> dict[str, tuple[str | None, bytes]]:
    raw = b"".join(body.chunks(size=1000))
    assert len(raw) == body.length
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {body.content_type}\r\n\r\n".encode() + raw
    )
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


def test_multipart_body_holds_the_fields_and_the_file(tmp_path):
    log = tmp_path / "run one.eval"
    content = bytes(range(256)) * 50  # binary, with CR/LF bytes inside
    log.write_bytes(content)
    body = MultipartBody({"project": "joint", "institute": "inst-a", "notes": "é"}, "file", log)
    parts = _parse(body)
    assert parts["project"] == (None, b"joint")
    assert parts["institute"] == (None, b"inst-a")
    assert parts["notes"] == (None, "é".encode())
    assert parts["file"] == ("run one.eval", content)


def test_multipart_body_streams_the_file_in_chunks(tmp_path, monkeypatch):
    log = tmp_path / "big.eval"
    log.write_bytes(b"x" * (3 * api.CHUNK + 5))
    body = MultipartBody({"project": "p"}, "file", log)
    sizes = [len(chunk) for chunk in body.chunks()]
    assert max(sizes) <= api.CHUNK
    assert len(sizes) == 1 + 4 + 1  # the head, the file in four reads, the tail
    assert sum(sizes) == body.length


def test_error_shape_gives_the_message():
    body = b'{"error": {"status": 403, "code": "permission_denied", "message": "No."}}'
    assert api.error_message(403, body) == ("No.", "permission_denied", {})
    assert api.error_message(502, b"<html>Bad gateway</html>")[0].startswith("HTTP 502")


def test_answers_sort_refusals_from_failures():
    client = Client("http://concord.test", "cnc_x")
    with pytest.raises(Refused) as refused:
        client._answer(400, b'{"error": {"status": 400, "code": "invalid", "message": "bad"}}')
    assert (refused.value.http_status, refused.value.message) == (400, "bad")
    with pytest.raises(ConcordError):
        client._answer(503, b"")
    with pytest.raises(ConcordError):
        client._answer(429, b"")  # throttled: retry later
    assert client._answer(200, b'{"id": 1}') == {"id": 1}


def test_request_targets_keep_the_configured_host():
    client = Client("https://concord.test/base/", "cnc_x")
    assert (
        client._target("runs/", {"project": "joint", "x": None})
        == "/base/api/v1/runs/?project=joint"
    )
    assert (
        client._target("http://internal:8000/base/api/v1/runs/?page=2")
        == "/base/api/v1/runs/?page=2"
    )


def test_an_address_that_is_not_http_is_refused():
    with pytest.raises(ValueError, match="Not an http"):
        Client("concord.example.org", "cnc_x")


def test_a_closed_port_is_a_transport_error(closed_port, tmp_path):
    log = tmp_path / "a.eval"
    log.write_bytes(b"x")
    client = Client(f"http://127.0.0.1:{closed_port}", "cnc_x", timeout=2)
    with pytest.raises(ConcordError, match="Cannot reach Concord"):
        client.upload(log, project="joint", institute="inst-a")
    with pytest.raises(ConcordError):
        list(client.runs(project="joint"))


def test_progress_bar_draws_on_the_stream():
    import io

    from concord_client.cli import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar("big.eval", stream)
    bar(0, 4_000_000)
    bar(4_000_000, 4_000_000)
    bar.close()
    text = stream.getvalue()
    assert "big.eval [" in text
    assert "100%  4.0/4.0 MB" in text
    assert text.endswith("\n")


@live
def test_upload_reports_progress_and_read_helpers_page_through(
    live_server, joint, bob_token, arith_log
):
    client = Client(live_server.url, bob_token)
    sent: list[tuple[int, int]] = []
    result = client.upload(
        arith_log, "joint", "inst-a", progress=lambda done, total: sent.append((done, total))
    )
    assert (result.status, result.http_status) == ("imported", 201)
    assert result.message.startswith(f"Imported run {result.run_id}")
    total = sent[-1][1]
    assert sent[-1] == (total, total)
    assert total > arith_log.stat().st_size
    assert [r["id"] for r in client.runs(project="joint", page_size=1)] == [result.run_id]
    assert client.run(result.run_id)["id"] == result.run_id
    assert {s["metric"] for s in client.run_scores(result.run_id)} >= {"accuracy"}
    samples = list(client.samples(result.run_id, page_size=3))  # four cursor pages
    assert len(samples) == 10
    assert len({s["sample_id"] for s in samples}) == 10
    again = client.upload(arith_log, "joint", "inst-a")
    assert (again.status, again.run_id, again.http_status) == ("existing", result.run_id, 200)
    with pytest.raises(Refused) as refused:
        client.run(999_999)
    assert refused.value.http_status == 404
