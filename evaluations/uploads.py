"""Log uploads stream to a temporary file on disk, never into memory, and stop as soon as they
pass CONCORD_MAX_UPLOAD_BYTES.

Django's default handlers keep uploads under FILE_UPLOAD_MAX_MEMORY_SIZE in memory and write the
rest to disk with no upper bound. The import views install `LimitedUploadHandler` instead, before
anything reads the body: it refuses a request whose Content-Length already says it is too large
(nothing is read), and counts the file's bytes as they arrive, so a request that lies about its
length, or sends no length, is cut off at the limit too. The partial file is deleted at once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from rest_framework import status
from rest_framework.exceptions import APIException

# Room for the multipart framing and the form's other fields, on top of the file itself.
FORM_ALLOWANCE = 1 << 20


def max_upload_bytes() -> int:
    return int(settings.CONCORD_MAX_UPLOAD_BYTES)


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MiB"


class UploadTooLarge(APIException):
    """413 in the API's error shape; the page view turns it into a form error."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, size: int | None = None):
        limit = max_upload_bytes()
        said = f" ({_mib(size)})" if size else ""
        super().__init__(
            f"The file is too large{said}: Concord accepts logs of at most {_mib(limit)} "
            f"({limit:,} bytes)."
        )


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Every uploaded file goes to a temporary file on disk (whatever its size), and no file may
    pass `max_upload_bytes()`."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = max_upload_bytes()
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.limit + FORM_ALLOWANCE:
            raise UploadTooLarge(content_length)
        return None  # go on: the multipart parser calls us for each file

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()  # a TemporaryUploadedFile: closing deletes it
            raise UploadTooLarge()
        return super().receive_data_chunk(raw_data, start)


def install(request) -> None:
    """Use the limited handler for this request; call before anything reads the body."""
    request.upload_handlers = [LimitedUploadHandler(request)]
