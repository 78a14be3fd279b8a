"""Request bodies are bounded: a JSON (or form) body of DATA_UPLOAD_MAX_MEMORY_SIZE bytes is read
and parsed, one byte more is refused with 413 in the API's error shape, and a body that declares
a length over the limit is refused before a byte of it is read (config.api.parsers).

The last point is shown at the WSGI level: the request's `wsgi.input` raises if anything reads
it, so the 413 cannot have come from a body held in memory.
"""

from __future__ import annotations

import json

from tests.api_clients import bearer, error_of
from tests.unread_body import declared_only

URL = "/api/v1/findings/"


def padded(body: dict, size: int) -> bytes:
    """`body` as JSON, padded with spaces (still the same JSON) to exactly `size` bytes."""
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def post_json(client, raw: bytes):
    return client.generic("POST", URL, raw, content_type="application/json")


def test_a_json_body_at_the_limit_is_parsed_and_one_byte_more_is_refused(alice, project, settings):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 10 * 1024 * 1024  # the default, tested as shipped
    client = bearer(alice)
    body = {"project": project.slug, "title": 5}  # parsed, then refused for its content

    at_limit = post_json(client, padded(body, limit))
    assert at_limit.status_code == 400, at_limit.content[:300]
    assert error_of(at_limit)["fields"]["title"] == ["Not a valid string."]

    over = post_json(client, padded(body, limit + 1))
    assert over.status_code == 413
    error = error_of(over)
    assert error["code"] == "too_large"
    assert error["message"] == (
        f"The request body is too large ({limit + 1:,} bytes): the API accepts bodies of at most "
        f"{limit:,} bytes (logs are uploaded as multipart files to runs/import/)."
    )


def test_a_form_body_is_bounded_the_same_way(alice, project, settings):
    """The import route also takes a plain form (refused for lacking the file): bounded too."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    client = bearer(alice)
    at_limit = client.generic(
        "POST",
        "/api/v1/runs/import/",
        b"project=x&notes=" + b"n" * (2_000 - 16),
        content_type="application/x-www-form-urlencoded",
    )
    assert at_limit.status_code == 400
    assert "file" in error_of(at_limit)["fields"]
    over = client.generic(
        "POST",
        "/api/v1/runs/import/",
        b"project=x&notes=" + b"n" * (2_000 - 15),
        content_type="application/x-www-form-urlencoded",
    )
    assert over.status_code == 413
    assert error_of(over)["code"] == "too_large"


def test_json_nested_deeper_than_the_parser_goes_is_a_400_not_a_500(alice, project):
    response = post_json(bearer(alice), b"[" * 200_000 + b"]" * 200_000)
    assert response.status_code == 400
    assert "nested too deeply" in error_of(response)["message"]


# --- at the WSGI level: the body is not read --------------------------------------------------


def test_a_json_body_declared_over_the_limit_is_refused_unread(wsgi_app, alice, project, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    status, body = declared_only(
        wsgi_app, alice, URL, content_type="application/json", length=limit + 1
    )
    assert status == 413
    assert body["error"]["code"] == "too_large"
    assert f"at most {limit:,} bytes" in body["error"]["message"]
