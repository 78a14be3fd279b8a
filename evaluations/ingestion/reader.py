"""Streaming readers for Inspect logs (`.eval` and `.json`), with bounded memory.

We read `.eval` archives ourselves: the header from `header.json`, then each `samples/*.json`
member, one at a time: the fields Concord stores are decoded straight from its JSON
(`sample_decoder`), and Inspect's own `EvalSample` model validates the sample when a page asks
for all of it, or at once when the decoder does not recognise its shape. That is much faster
than `inspect_ai.log.read_eval_log_samples` (figures in benchmarks/README.md) and holds one
sample in memory at a time. `.json` logs are streamed with ijson: one pass collects the header (skipping
the samples), a second yields the samples one by one. Every way a file can be damaged surfaces
as `LogReadError` with a sentence a person can act on.

Every archive and JSON document passes the checks of `evaluations.ingestion.safety` (ZIP bombs,
forged or path-traversing archives, JSON nested too deeply or too large to hold); Zstandard
members are decompressed there, so `zipfile` needs no patching. `formats.open_log` picks this
reader or the lm-evaluation-harness one for a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Any

import ijson
from inspect_ai.log import EvalLog, EvalSample
from pydantic import ValidationError as PydanticValidationError

from evaluations.ingestion import json_constants, safety, sample_decoder
from evaluations.ingestion.errors import LogReadError, UnsafeInput
from evaluations.ingestion.records import SampleRecord

try:  # Inspect validates with this context (a cache of shared messages); private but stable.
    from inspect_ai._util.constants import get_deserializing_context
except ImportError:  # pragma: no cover

    def get_deserializing_context() -> dict[str, Any]:
        return {}


HEADER_JSON = "header.json"
START_JSON = "_journal/start.json"
SAMPLES_DIR = safety.SAMPLES_PREFIX
_UNREAD = object()


def _short(exc: BaseException) -> str:
    if isinstance(exc, PydanticValidationError):
        errors = exc.errors()
        if not errors:
            return "invalid value"
        where = ".".join(str(p) for p in errors[0]["loc"])
        return f"{errors[0]['msg']} at {where or 'top level'}"
    return str(exc) or exc.__class__.__name__


def _refusal(exc: PydanticValidationError, label: str, what: str) -> LogReadError:
    """Pydantic's JSON parser stops at a fixed nesting depth: say so in the safety checks' words."""
    if "recursion limit" in str(exc):
        return UnsafeInput(f"{label}: {what} is nested too deeply: refused.")
    return LogReadError(f"{label}: {what} is invalid ({_short(exc)}).")


class EvalArchiveReader(AbstractContextManager):
    """An Inspect `.eval` log: a ZIP archive of Zstandard-compressed JSON members."""

    format = "eval"
    run_log_format = "inspect"

    def __init__(self, path: Path, archive: safety.SafeArchive | None = None):
        self.path = path
        # Checked before anything is decompressed (safety.SafeArchive). A re-logged sample
        # appends a second member with the same name; the last one wins, as in Inspect's reader.
        self._archive = archive or safety.SafeArchive(path)
        self._version: object = _UNREAD

    def __exit__(self, *exc_info) -> None:
        self._archive.close()

    def _read(self, name: str | safety.Member) -> bytes | bytearray:
        """The member, decompressed in bounded chunks and checked against its declared size."""
        return self._archive.read(name)

    def has(self, name: str) -> bool:
        return self._archive.has(name)

    def header(self) -> EvalLog:
        if not self.has(HEADER_JSON):
            if self.has(START_JSON):
                # Written at the start of a run; header.json is only written when it ends.
                return _started_header(self._read(START_JSON), self.path)
            raise LogReadError(f"'{self.path.name}' has no header.json: it is not an Inspect log.")
        try:
            return EvalLog.model_validate_json(
                self._read(HEADER_JSON), context=get_deserializing_context()
            )
        except PydanticValidationError as exc:
            raise _refusal(exc, f"'{self.path.name}'", "its header") from exc

    def _sample_members(self) -> Iterator[safety.Member]:
        return self._archive.members(SAMPLES_DIR, ".json")

    def _log_version(self) -> int | None:
        """The log format's version, from the header (or the start record of a running log)."""
        if self._version is _UNREAD:
            name = HEADER_JSON if self.has(HEADER_JSON) else START_JSON
            try:  # json, not orjson: a header's metrics may be NaN
                version = json.loads(self._read(name)).get("version") if self.has(name) else None
            except (ValueError, AttributeError, RecursionError):
                version = None
            self._version = version if isinstance(version, int) else None
        return self._version  # type: ignore[return-value]

    def _validated(self, data: bytes | bytearray, name: str) -> EvalSample:
        try:
            return EvalSample.model_validate_json(data, context=get_deserializing_context())
        except PydanticValidationError as exc:
            raise _refusal(exc, f"'{self.path.name}'", f"sample '{name}'") from exc

    def samples(self, *, decode: bool = True) -> Iterator[SampleRecord]:
        """One sample at a time, in the archive's order (nothing is kept per sample).

        With `decode`, the stored fields of a sample of a known log version are decoded directly
        (`sample_decoder`) and its `EvalSample` is only validated when `record.sample` is read;
        a sample the decoder does not recognise is validated at once, as without `decode`."""
        fast = decode and self._log_version() in sample_decoder.KNOWN_LOG_VERSIONS
        for member in self._sample_members():
            name = member.name
            data = self._read(member)
            stored = sample_decoder.stored_fields(data) if fast else None
            if stored is None:
                yield SampleRecord(sample=self._validated(data, name), entry_name=name)
            else:
                yield SampleRecord(
                    stored=stored,
                    entry_name=name,
                    load=partial(self._validated, data, name),
                )


def _started_header(data: bytes | bytearray, path: Path) -> EvalLog:
    try:
        start = json.loads(data)
        return EvalLog.model_validate(
            {"version": start.get("version", 2), "status": "started", "eval": start["eval"]},
            context=get_deserializing_context(),
        )
    except (ValueError, KeyError, TypeError, RecursionError, PydanticValidationError) as exc:
        raise LogReadError(
            f"'{path.name}' has an unreadable start record ({_short(exc)})."
        ) from exc


class JsonLogReader(AbstractContextManager):
    """An Inspect `.json` log, streamed with ijson."""

    format = "json"
    run_log_format = "inspect"
    _SKIP = frozenset({"samples", "reductions"})

    def __init__(self, path: Path):
        self.path = path

    def __exit__(self, *exc_info) -> None:
        return None

    def header(self) -> EvalLog:
        """Every top-level key except the samples (and reductions), built from ijson events: the
        whole file is parsed, so a truncated file fails here, before anything is written, and so
        are nesting and sizes checked (safety.json_object), the samples' included."""
        limits = safety.Limits.from_settings()
        with self.path.open("rb") as handle:
            safety.check_value_sizes(handle, label=f"'{self.path.name}'", limits=limits)
            header = safety.json_object(
                handle,
                label=f"'{self.path.name}'",
                limits=limits,
                skip=self._SKIP,
                item_prefix="samples.item",
            )
        if "eval" not in header:
            raise LogReadError(
                f"'{self.path.name}' is JSON but not a log Concord reads: an Inspect log has an "
                "'eval' section, lm-evaluation-harness results have 'results' and 'config'."
            )
        try:
            return EvalLog.model_validate(header, context=get_deserializing_context())
        except PydanticValidationError as exc:
            raise LogReadError(
                f"'{self.path.name}' has an invalid header ({_short(exc)})."
            ) from exc

    def samples(self) -> Iterator[SampleRecord]:
        try:
            with self.path.open("rb") as raw:
                handle, rewritten = json_constants.readable(raw)
                for index, data in enumerate(ijson.items(handle, "samples.item", use_float=True)):
                    if rewritten:
                        data = json_constants.restore(data)
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
