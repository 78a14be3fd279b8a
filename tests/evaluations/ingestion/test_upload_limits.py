"""The import's two limits, each at its edge: the file (CONCORD_MAX_UPLOAD_BYTES, streamed to disk)
and the form's other fields (DATA_UPLOAD_MAX_MEMORY_SIZE, held in memory). At the limit the
request is read and imported; one byte more is a 413 in the API's error shape, and nothing is
written. A request that declares a length over the limit is refused before its body is read.

(The file's own edge, at the limit and one byte over while streaming, is in
test_import_hostile.py.)
"""

from __future__ import annotations

import pytest

from evaluations.uploads import FORM_ALLOWANCE
from tests.api_clients import bearer, error_of
from tests.evaluations.ingestion.helpers import files_under, post_log, rows
from tests.unread_body import declared_only

FIELDS_LIMIT = 5_000


def _fields_size(fields: dict[str, str]) -> int:
    """What Django's multipart parser counts against DATA_UPLOAD_MAX_MEMORY_SIZE: each field's
    name and value, plus 2 per field (as `&` and `=` in a urlencoded body)."""
    return sum(len(name) + 2 + len(value.encode()) for name, value in fields.items())


def _notes_to_fill(limit: int) -> str:
    base = {"project": "joint", "institute": "inst-a", "notes": ""}
    return "n" * (limit - _fields_size(base))


def test_form_fields_at_the_limit_are_read_and_one_byte_more_is_refused(
    qa_logs, world, bob, settings, log_dir, upload_dir
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = FIELDS_LIMIT
    client = bearer(bob)
    notes = _notes_to_fill(FIELDS_LIMIT)

    over = post_log(client, qa_logs["eval"], notes=notes + "n")
    assert over.status_code == 413, over.content[:300]
    error = error_of(over)
    assert error["code"] == "too_large"
    assert error["message"] == (
        f"The request's form fields are too large: the API accepts at most {FIELDS_LIMIT:,} "
        "bytes of them (files aside)."
    )
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == files_under(upload_dir) == []

    at_limit = post_log(client, qa_logs["eval"], notes=notes)
    assert at_limit.status_code == 201, at_limit.content[:300]
    assert at_limit.json()["notes"] == notes


@pytest.mark.parametrize("over", [1, 10 << 30])
def test_an_upload_declared_over_the_limit_is_refused_before_its_body_is_read(
    wsgi_app, bob, world, settings, over, upload_dir, log_dir
):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.CONCORD_MAX_UPLOAD_BYTES = 50_000
    status, body = declared_only(
        wsgi_app,
        bob,
        "/api/v1/runs/import/",
        content_type="multipart/form-data; boundary=concord",
        length=50_000 + FORM_ALLOWANCE + over,
    )
    assert status == 413
    assert body["error"]["code"] == "too_large"
    assert "Concord accepts logs of at most 0.0 MiB (50,000 bytes)" in body["error"]["message"]
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == files_under(upload_dir) == []
