"""One error shape for the whole API.

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"name": ["..."]}}}

`message` is a sentence a person can read; `fields` names each invalid field and why.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            text = _flatten(value)
            parts.append(
                text if key in ("non_field_errors", "__all__", "detail") else f"{key}: {text}"
            )
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def _codes(detail):
    if isinstance(detail, exceptions.ErrorDetail):
        return detail.code
    if isinstance(detail, dict):
        for value in detail.values():
            return _codes(value)
    if isinstance(detail, list) and detail:
        return _codes(detail[0])
    return "error"


def _messages(detail, prefix: str = "") -> list[str]:
    """Every message under one field, as strings; nested ones (a list item, a nested object) say
    where they are, e.g. "1: Object with code=x does not exist."."""
    if isinstance(detail, dict):
        return [m for key, value in detail.items() for m in _messages(value, f"{prefix}{key}: ")]
    if isinstance(detail, list):
        return [m for item in detail for m in _messages(item, prefix)]
    return [f"{prefix}{detail}"]


def exception_handler(exc, context):
    if isinstance(exc, DataError):
        # The database refused a value the request carried (a number out of range, a NUL
        # character, a time zone it cannot store): the request's fault, not the server's.
        logger.warning("API request refused by the database: %s", exc)
        exc = exceptions.ValidationError(
            {
                "non_field_errors": [
                    "A value in the request is out of range or contains characters that "
                    "cannot be stored."
                ]
            }
        )
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, RequestDataTooBig):
        # Django refuses a body held in memory past DATA_UPLOAD_MAX_MEMORY_SIZE: `request.body`
        # (JSON, forms) on its Content-Length before reading it, the multipart parser when the
        # form's fields (files aside) pass it. A 413 in the API's shape, not Django's bare 400.
        from config.api.parsers import BodyTooLarge, declared_length

        request = context.get("request")
        multipart = (getattr(request, "content_type", "") or "").startswith("multipart/")
        exc = (
            BodyTooLarge(form_fields=True) if multipart else BodyTooLarge(declared_length(request))
        )
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # Services say why ("Only leads of a participating institute manage this project.").
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    body = {
        "status": response.status_code,
        "code": _codes(detail),
        "message": _flatten(detail),
    }
    if isinstance(exc, exceptions.ValidationError) and isinstance(detail, dict):
        # Django's model validation names errors of the whole "__all__"; DRF's non_field_errors.
        body["fields"] = {
            ("non_field_errors" if key == "__all__" else key): _messages(value)
            for key, value in detail.items()
        }
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        body["retry_after_seconds"] = int(wait)
    response.data = {"error": body}
    return response
