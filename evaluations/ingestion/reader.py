"""Streaming readers for Inspect logs (`.eval` and `.json`), with bounded memory.

We read `.eval` archives ourselves: the header from `header.json`, then each `samples/*.json`
member validated with Inspect's own `EvalSample` model. That is about 50 times faster than
`inspect_ai.log.read_eval_log_samples` and holds one sample in memory at a time. `.json` logs are
streamed with ijson: one pass collects the header (skipping the samples), a second yields the
samples one by one. Every way a file can be damaged surfaces as `LogReadError` with a sentence a
person can act on.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ijson
import zipfile_zstd  # noqa: F401  (registers Zstandard with zipfile; Inspect does the same)
from inspect_ai.log import EvalLog, EvalSample
from pydantic import ValidationError as PydanticValidationError

try:  # Inspect validates with this context (a cache of shared messages); private but stable.
    from inspect_ai._util.constants import get_deserializing_context
except ImportError:  # pragma: no cover

    def get_deserializing_context() -> dict[str, Any]:
        return {}


HEADER_JSON = "header.json"
START_JSON = "_journal/start.json"
SAMPLES_DIR = "samples/"


class LogReadError(ValueError):
    """The file is not a readable Inspect log (damaged, truncated, or not a log at all)."""


@dataclass
class SampleRecord:
    sample: EvalSample
    entry_name: str  # the archive member (".eval") or "" (".json")


def _short(exc: BaseException) -> str:
    if isinstance(exc, PydanticValidationError):
        errors = exc.errors()
        if not errors:
            return "invalid value"
        where = ".".join(str(p) for p in errors[0]["loc"])
        return f"{errors[0]['msg']} at {where or 'top level'}"
    return str(exc) or exc.__class__.__name__


def log_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".eval", ".json"):
        return suffix[1:]
    raise LogReadError(f"'{path.name}' is not an Inspect log: expected a .eval or .json file.")


class EvalArchiveReader(AbstractContextManager):
    """An Inspect `.eval` log: a ZIP archive of Zstandard-compressed JSON members."""

    format = "eval"

    def __init__(self, path: Path):
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise LogReadError(
                f"'{path.name}' is damaged or truncated: it is not a readable .eval archive "
                f"({_short(exc)})."
            ) from exc
        # A re-logged sample appends a second member with the same name; the last one wins, as in
        # Inspect's reader. dict.fromkeys keeps the archive order.
        self._names = list(dict.fromkeys(self._zip.namelist()))

    def __exit__(self, *exc_info) -> None:
        self._zip.close()

    def _read(self, name: str) -> bytes:
        try:
            return self._zip.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
            raise LogReadError(
                f"'{self.path.name}' is damaged: member '{name}' cannot be read ({_short(exc)})."
            ) from exc
        except NotImplementedError as exc:
            raise LogReadError(f"'{name}' uses an unsupported compression ({exc}).") from exc

    def header(self) -> EvalLog:
        if HEADER_JSON not in self._names:
            if START_JSON in self._names:
                # Written at the start of a run; header.json is only written when it ends.
                return _started_header(self._read(START_JSON), self.path)
            raise LogReadError(f"'{self.path.name}' has no header.json: it is not an Inspect log.")
        try:
            return EvalLog.model_validate_json(
                self._read(HEADER_JSON), context=get_deserializing_context()
            )
        except PydanticValidationError as exc:
            raise LogReadError(
                f"'{self.path.name}' has an invalid header ({_short(exc)})."
            ) from exc

    def sample_names(self) -> list[str]:
        return [n for n in self._names if n.startswith(SAMPLES_DIR) and n.endswith(".json")]

    def samples(self) -> Iterator[SampleRecord]:
        for name in self.sample_names():
            data = self._read(name)
            try:
                sample = EvalSample.model_validate_json(data, context=get_deserializing_context())
            except PydanticValidationError as exc:
                raise LogReadError(
                    f"'{self.path.name}': sample '{name}' is invalid ({_short(exc)})."
                ) from exc
            yield SampleRecord(sample=sample, entry_name=name)


def _started_header(data: bytes, path: Path) -> EvalLog:
    try:
        start = json.loads(data)
        return EvalLog.model_validate(
            {"version": start.get("version", 2), "status": "started", "eval": start["eval"]},
            context=get_deserializing_context(),
        )
    except (ValueError, KeyError, TypeError, PydanticValidationError) as exc:
        raise LogReadError(
            f"'{path.name}' has an unreadable start record ({_short(exc)})."
        ) from exc


class JsonLogReader(AbstractContextManager):
    """An Inspect `.json` log, streamed with ijson."""

    format = "json"
    _SKIP = frozenset({"samples", "reductions"})

    def __init__(self, path: Path):
        self.path = path

    def __exit__(self, *exc_info) -> None:
        return None

    def header(self) -> EvalLog:
        """Every top-level key except the samples (and reductions), built from ijson events: the
        whole file is parsed, so a truncated file fails here, before anything is written."""
        header: dict[str, Any] = {}
        key: str | None = None
        builder: ijson.ObjectBuilder | None = None
        try:
            with self.path.open("rb") as handle:
                for prefix, event, value in ijson.parse(handle, use_float=True):
                    if prefix == "":
                        if event == "map_key":
                            if builder is not None and key is not None:
                                header[key] = builder.value
                            key = value
                            builder = None if value in self._SKIP else ijson.ObjectBuilder()
                        elif event == "end_map" and builder is not None and key is not None:
                            header[key] = builder.value
                            builder = None
                        elif event not in ("start_map", "end_map"):
                            raise LogReadError(f"'{self.path.name}' is not an Inspect log.")
                        continue
                    if builder is not None:
                        builder.event(event, value)
        except ijson.JSONError as exc:
            raise LogReadError(
                f"'{self.path.name}' is damaged or truncated: not valid JSON ({_short(exc)})."
            ) from exc
        if "eval" not in header:
            raise LogReadError(f"'{self.path.name}' has no 'eval' section: not an Inspect log.")
        try:
            return EvalLog.model_validate(header, context=get_deserializing_context())
        except PydanticValidationError as exc:
            raise LogReadError(
                f"'{self.path.name}' has an invalid header ({_short(exc)})."
            ) from exc

    def samples(self) -> Iterator[SampleRecord]:
        try:
            with self.path.open("rb") as handle:
                for index, data in enumerate(ijson.items(handle, "samples.item", use_float=True)):
                    try:
                        sample = EvalSample.model_validate(
                            data, context=get_deserializing_context()
                        )
                    except PydanticValidationError as exc:
                        raise LogReadError(
                            f"'{self.path.name}': sample {index + 1} is invalid ({_short(exc)})."
                        ) from exc
                    yield SampleRecord(sample=sample, entry_name="")
        except ijson.JSONError as exc:
            raise LogReadError(
                f"'{self.path.name}' is damaged or truncated: not valid JSON ({_short(exc)})."
            ) from exc


def open_log(path: str | Path) -> EvalArchiveReader | JsonLogReader:
    path = Path(path)
    if not path.is_file():
        raise LogReadError(f"There is no log file at '{path}'.")
    if log_format(path) == "eval":
        return EvalArchiveReader(path)
    return JsonLogReader(path)
