"""Request body parsers of the API: JSON and forms, never larger than DATA_UPLOAD_MAX_MEMORY_SIZE.

DRF (3.15 on) hands its JSON and form parsers `request.body`, which Django refuses, before
reading it, when the Content-Length is over DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig,
answered as a 413 in the API's error shape by `config.api.errors`). These parsers apply the same
bound themselves to whatever stream they are given, reading at most one byte past the limit, so
no path through them holds more than the limit in memory; and JSON nested deeper than Python's
parser goes is a 400, not a server error (DRF's parser lets RecursionError through). Multipart
uploads (`runs/import/`) stream to disk instead (`evaluations.uploads`); their form fields fall
under the same limit, counted by Django's multipart parser.
"""

from __future__ import annotations

import codecs

from django.conf import settings
from django.http import QueryDict
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json


def max_body_bytes() -> int | None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return None if limit is None else int(limit)


class BodyTooLarge(APIException):
    """413 in the API's error shape, naming the limit."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, size: int | None = None, *, form_fields: bool = False):
        limit = max_body_bytes() or 0
        said = f" ({size:,} bytes)" if size else ""
        if form_fields:
            message = (
                f"The request's form fields are too large: the API accepts at most {limit:,} "
                "bytes of them (files aside)."
            )
        else:
            message = (
                f"The request body is too large{said}: the API accepts bodies of at most "
                f"{limit:,} bytes (logs are uploaded as multipart files to runs/import/)."
            )
        super().__init__(message)


def declared_length(request) -> int | None:
    """The request's Content-Length (None when it is not a number)."""
    meta = getattr(request, "META", {}) if request is not None else {}
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return None


def read_bounded(stream, parser_context) -> bytes:
    """The whole body, or BodyTooLarge: refused on its declared length before anything is read,
    and never more than one byte past the limit read whatever it declares."""
    limit = max_body_bytes()
    if limit is None:
        return stream.read()
    declared = declared_length((parser_context or {}).get("request"))
    if declared is not None and declared > limit:
        raise BodyTooLarge(declared)
    chunks: list[bytes] = []
    received = 0
    while received <= limit:
        chunk = stream.read(min(64 * 1024, limit + 1 - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    if received > limit:
        raise BodyTooLarge()
    return b"".join(chunks)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded (see the module)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        body = read_bounded(stream, parser_context)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(body, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not {encoding} text.") from exc
        try:
            # NaN and Infinity refused, as by DRF's parser (STRICT_JSON).
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc


class FormParser(parsers.FormParser):
    """DRF's form parser (application/x-www-form-urlencoded), bounded (see the module)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        body = read_bounded(stream, parser_context)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        return QueryDict(body, encoding=encoding)
