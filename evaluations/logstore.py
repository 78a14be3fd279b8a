"""Where Inspect logs are kept: one storage, on disk or in an S3-compatible bucket.

`CONCORD_LOG_STORAGE=file` (the default, the demo's) keeps logs under CONCORD_LOG_DIR; `s3` keeps
them in a bucket (AWS_STORAGE_BUCKET_NAME at AWS_S3_ENDPOINT_URL) through django-storages' S3
backend, configured as the "logs" alias of Django's STORAGES (config/settings.py). Everything that
writes or reads a log goes through this module:

- `log_storage()`: the Django storage (save/open/delete/exists/size/url), for uploads and imports;
- `store_job_log`: a worker's log, written by Inspect to a local scratch folder, stored under
  `jobs/<job id>/attempt-<n>/<file>` (retried with backoff while the bucket does not answer);
- `open_log`: a seekable binary file over the stored log. From a bucket it reads with ranged GETs
  and a small read-ahead buffer, so a transcript reads the `.eval` archive's central directory and
  its one sample member, never the whole object;
- `local_copy`: a path on local disk (the file itself, or a temporary download), for readers that
  need one (ingestion of a `.json` log);
- `download_url`: a short-lived presigned link for a download (s3 only);
- `storage_status`: what /healthz says about the storage.

A bucket that does not answer raises `StorageUnavailable`; a log that is not there raises
`FileNotFoundError`, as on disk.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from rest_framework.exceptions import APIException

logger = logging.getLogger(__name__)

FILE_BACKEND = "django.core.files.storage.FileSystemStorage"
READ_AHEAD = 16 * 1024  # bytes fetched beyond what a small read asks for (a sample is a few KiB)
DOWNLOAD_CHUNK = 1024 * 1024  # bytes per ranged GET when a download streams through Concord
STORE_ATTEMPTS = 4  # tries to store a worker's log while the bucket does not answer
STORE_BACKOFF_SECONDS = 1.0  # first wait between tries; doubles each time


class StorageUnavailable(APIException):
    """The log storage does not answer (bucket down, network cut, credentials refused). The API
    answers it with a 503 in its one error shape; pages catch it and say so."""

    status_code = 503
    default_code = "storage_unavailable"
    default_detail = "The log storage does not answer; try again later."

    def __str__(self) -> str:
        return str(self.detail)


# --------------------------------------------------------------------------------------------
# The storage
# --------------------------------------------------------------------------------------------


def log_storage() -> Storage:
    """The storage holding Inspect logs: CONCORD_LOG_DIR on disk, or the "logs" bucket."""
    config = settings.STORAGES.get("logs") or {"BACKEND": FILE_BACKEND}
    if config["BACKEND"] == FILE_BACKEND:
        # Built from the setting each time: the folder follows CONCORD_LOG_DIR (tests move it).
        return FileSystemStorage(location=str(settings.CONCORD_LOG_DIR))
    return storages["logs"]


def kind() -> str:
    """`file` or `s3`: which kind of storage holds the logs."""
    config = settings.STORAGES.get("logs") or {"BACKEND": FILE_BACKEND}
    return "file" if config["BACKEND"] == FILE_BACKEND else "s3"


def _s3(storage: Storage) -> tuple[Any, str] | None:
    """(boto3 client, bucket name) of an S3 storage, None for any other storage."""
    bucket = getattr(storage, "bucket_name", None)
    if not bucket or not hasattr(storage, "connection"):
        return None
    return storage.connection.meta.client, bucket


def _key(storage: Storage, name: str) -> str:
    """The object key of a stored name (the storage's location prefix, names checked)."""
    from storages.utils import clean_name

    normalize = getattr(storage, "_normalize_name", None)
    if normalize is None:
        return name
    try:
        return normalize(clean_name(name))
    except SuspiciousFileOperation as exc:
        raise FileNotFoundError("The log's name is outside the log storage.") from exc


def _unavailable(exc: BaseException) -> BaseException:
    """A boto/botocore error as FileNotFoundError (no such object) or StorageUnavailable."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("404", "NoSuchKey", "NotFound") or status == 404:
            return FileNotFoundError("The log is not in the log storage.")
        if code in ("InvalidRange", "416"):
            return EOFError("read past the end of the log")
    return StorageUnavailable(f"The log storage does not answer ({exc.__class__.__name__}).")


def _boto_errors() -> tuple[type[BaseException], ...]:
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover (boto3 is a dependency)
        return ()
    return (BotoCoreError, ClientError)


@contextlib.contextmanager
def answering() -> Iterator[None]:
    """Around direct calls to `log_storage()`: a bucket that does not answer raises
    StorageUnavailable (an API answers 503; a task retries), a missing object
    FileNotFoundError, never a transport error of boto's."""
    try:
        yield
    except _boto_errors() as exc:
        raise _unavailable(exc) from exc


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


class RangedObject(io.RawIOBase):
    """A seekable, read-only file over one S3 object, read with ranged GETs.

    Each miss fetches what was asked for plus `read_ahead` bytes; what was fetched last is kept,
    so the many small reads of a ZIP reader cost few requests. `bytes_fetched` and `requests`
    count what went over the network."""

    def __init__(self, client, bucket: str, key: str, *, read_ahead: int = READ_AHEAD):
        super().__init__()
        self._client, self._bucket, self.key = client, bucket, key
        self._read_ahead = read_ahead
        try:
            head = client.head_object(Bucket=bucket, Key=key)
        except _boto_errors() as exc:
            raise _unavailable(exc) from exc
        self.size = int(head["ContentLength"])
        self._position = 0
        self._buffer = b""
        self._buffer_start = 0
        self.bytes_fetched = 0
        self.requests = 1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self.size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if position < 0:
            raise OSError("negative seek position")
        self._position = position
        return position

    def _fetch(self, start: int, end: int) -> bytes:
        """Bytes [start, end) of the object."""
        try:
            response = self._client.get_object(
                Bucket=self._bucket, Key=self.key, Range=f"bytes={start}-{end - 1}"
            )
            data = response["Body"].read()
        except _boto_errors() as exc:
            raise _unavailable(exc) from exc
        self.requests += 1
        self.bytes_fetched += len(data)
        return data

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("read of a closed log")
        start = self._position
        if start >= self.size:
            return b""
        end = self.size if size is None or size < 0 else min(self.size, start + size)
        buffer_end = self._buffer_start + len(self._buffer)
        if not (self._buffer_start <= start and end <= buffer_end):
            fetch_end = min(self.size, max(end, start + self._read_ahead))
            self._buffer = self._fetch(start, fetch_end)
            self._buffer_start = start
        offset = start - self._buffer_start
        data = self._buffer[offset : offset + (end - start)]
        self._position = start + len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        return self.read(-1)

    def close(self) -> None:
        self._buffer = b""
        super().close()


def _file_path(storage: Storage, name: str) -> Path | None:
    """The log's path on local disk, or None when the storage is not a local folder."""
    if Path(name).is_absolute():
        # A log imported with `import_log` from outside the log folder (file mode, older runs).
        return Path(name)
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        return None
    except SuspiciousFileOperation as exc:
        raise FileNotFoundError("The log's name is outside the log storage.") from exc


def open_log(name: str, *, read_ahead: int = READ_AHEAD):
    """A seekable binary file over the stored log `name`. FileNotFoundError when it is not there,
    StorageUnavailable when the storage does not answer."""
    storage = log_storage()
    local = _file_path(storage, name)
    if local is not None:
        if not local.is_file():
            raise FileNotFoundError("The log file is not where it was stored.")
        return local.open("rb")
    s3 = _s3(storage)
    if s3 is None:  # another remote storage: its own file object
        try:
            return storage.open(name, "rb")
        except _boto_errors() as exc:
            raise _unavailable(exc) from exc
    client, bucket = s3
    return RangedObject(client, bucket, _key(storage, name), read_ahead=read_ahead)


@contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """A path on local disk holding the stored log: the file itself on disk, else a temporary
    download (deleted on leaving)."""
    storage = log_storage()
    local = _file_path(storage, name)
    if local is not None:
        if not local.is_file():
            raise FileNotFoundError("The log file is not where it was stored.")
        yield local
        return
    with (
        open_log(name, read_ahead=DOWNLOAD_CHUNK) as source,
        tempfile.NamedTemporaryFile(prefix="concord-log-", suffix=Path(name).suffix) as copy,
    ):
        shutil.copyfileobj(source, copy, DOWNLOAD_CHUNK)
        copy.flush()
        yield Path(copy.name)


def download_url(name: str, *, filename: str) -> str | None:
    """A presigned link to the stored log, valid CONCORD_LOG_PRESIGNED_SECONDS, that downloads it
    as `filename`; None when the storage has no such links (on disk) or they are turned off.
    FileNotFoundError when the log is not there, StorageUnavailable when the bucket is down."""
    seconds = int(getattr(settings, "CONCORD_LOG_PRESIGNED_SECONDS", 300))
    storage = log_storage()
    if seconds <= 0 or _s3(storage) is None or Path(name).is_absolute():
        return None
    try:
        # Asked first, so a missing log is a 404 here and a bucket that is down a 503, not a
        # link that fails in the browser.
        if not storage.exists(name):
            raise FileNotFoundError("The log is not in the log storage.")
        s3_storage: Any = storage  # django-storages' url() takes parameters and expire
        return s3_storage.url(
            name,
            parameters={
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
                "ResponseContentType": "application/octet-stream",
            },
            expire=seconds,
        )
    except _boto_errors() as exc:
        raise _unavailable(exc) from exc


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def save_file(path: Path, name: str, *, move: bool = False) -> str:
    """Store the local file at `path` as `name` (a free name is chosen when it is taken); returns
    the stored name. `move`: the file is a disposable copy, which the storage on disk moves into
    place instead of copying. StorageUnavailable when the storage does not answer."""
    storage = log_storage()
    try:
        if move and kind() == "file":
            return storage.save(name, _LocalFile(None, name=str(path)))
        with path.open("rb") as handle:
            return storage.save(name, File(handle, name=name))
    except _boto_errors() as exc:
        raise _unavailable(exc) from exc


class _LocalFile(File):
    """A file on local disk that the file system storage moves instead of copying."""

    def temporary_file_path(self) -> str:
        return str(self.name)


def job_log_name(job_id: int, attempt: int, filename: str) -> str:
    return f"jobs/{job_id}/attempt-{attempt}/{filename}"


def store_job_log(local: Path, name: str) -> str:
    """Store the log a worker wrote at `local` as `name`; returns the stored name.

    On disk the worker writes straight into the log folder, so there is nothing to do. Into a
    bucket, a failure of the storage is retried STORE_ATTEMPTS times with a doubling wait before
    StorageUnavailable goes up."""
    storage = log_storage()
    if _file_path(storage, name) is not None:
        return name
    wait = STORE_BACKOFF_SECONDS
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with local.open("rb") as handle:
                return storage.save(name, File(handle, name=name))
        except _boto_errors() as exc:
            error = _unavailable(exc)
            if not isinstance(error, StorageUnavailable):
                raise error from exc
            if attempt == STORE_ATTEMPTS:
                raise StorageUnavailable(
                    f"The log could not be stored after {attempt} tries: {error}"
                ) from exc
            logger.warning("storing log %s failed (try %s), retrying: %s", name, attempt, exc)
            time.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def store_job_log_quietly(local: Path | None, name: str) -> str:
    """`store_job_log` for a log kept only for reading (a cancelled or failed job's partial log):
    the stored name, or "" when there is no log or it could not be stored."""
    if local is None or not name:
        return name
    try:
        return store_job_log(local, name)
    except (StorageUnavailable, OSError):
        logger.warning("the partial log %s could not be stored", name, exc_info=True)
        return ""


def discard_scratch(folder: Path) -> None:
    """Remove a worker's local log folder once its log is stored in a bucket (on disk the folder
    is the storage itself and stays)."""
    if kind() == "file":
        return
    shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Health
# --------------------------------------------------------------------------------------------


def storage_status() -> dict:
    """Whether the log storage answers: the folder exists and is writable, or the bucket answers
    a HEAD request."""
    started = time.monotonic()
    storage = log_storage()
    s3 = _s3(storage)
    if s3 is None:
        folder = Path(settings.CONCORD_LOG_DIR)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            return {"ok": False, "kind": "file", "error": exc.__class__.__name__}
    else:
        client, bucket = s3
        try:
            client.head_bucket(Bucket=bucket)
        except _boto_errors() as exc:
            return {"ok": False, "kind": "s3", "error": exc.__class__.__name__}
    return {"ok": True, "kind": kind(), "ms": round(1000 * (time.monotonic() - started), 1)}
