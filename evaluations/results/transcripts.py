"""One sample's full transcript, read from the run's Inspect log on demand.

The database keeps what lists and statistics need (scores, input, output, target); the full
transcript (every message, tool call and tool result, each scorer's explanation) stays in the log
and is read here through the ingestion reader (`evaluations.ingestion.reader`): for a `.eval`
archive only the sample's own member is read (`SampleResult.entry_name`), a `.json` log is streamed
until the sample is found. Logs are reached through `evaluations.logstore`: on disk under
CONCORD_LOG_DIR, or in an S3-compatible bucket, where a `.eval` is read with ranged requests (its
central directory and the one member: never the whole object).

When the log cannot be read (moved, deleted, damaged), the transcript is built from the database
row instead and says so; when the storage does not answer, it says the transcript is temporarily
unavailable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalSample, resolve_sample_attachments
from pydantic import ValidationError as PydanticValidationError

from evaluations import logstore
from evaluations.ingestion import safety
from evaluations.ingestion.errors import LogReadError
from evaluations.ingestion.formats import open_log
from evaluations.ingestion.reader import EvalArchiveReader, get_deserializing_context
from evaluations.ingestion.rows import score_as_float
from evaluations.logstore import StorageUnavailable
from evaluations.logstore import log_storage as log_storage  # where callers have found it
from evaluations.models import EvaluationRun, SampleResult

REDACTED = "[system hidden]"


# --------------------------------------------------------------------------------------------
# Where a run's log is
# --------------------------------------------------------------------------------------------


def log_name(run: EvaluationRun) -> str | None:
    """The log's name in `log_storage()`, or None when the run records no log."""
    name = (run.log_file or "").strip()
    return name or None


def log_download_name(run: EvaluationRun) -> str:
    suffix = Path(run.log_file or "").suffix or ".eval"
    return f"concord-run-{run.pk}{suffix}"


def open_log_file(run: EvaluationRun, *, read_ahead: int = logstore.DOWNLOAD_CHUNK):
    """A seekable binary file object of the run's log (for downloads). FileNotFoundError when it
    is gone, StorageUnavailable when the storage does not answer.

    Relative names are resolved in the log storage (which refuses names escaping it); an absolute
    name is a file imported from outside the log directory by `import_log` and is opened as is.
    """
    name = log_name(run)
    if name is None:
        raise FileNotFoundError("This run records no log file.")
    return logstore.open_log(name, read_ahead=read_ahead)


def _archive_sample(reader: EvalArchiveReader, result: SampleResult) -> EvalSample:
    name = result.entry_name or f"samples/{result.sample_id}_epoch_{result.epoch}.json"
    if not reader.has(name):
        raise LogReadError(f"The log has no transcript for sample {result.sample_id}.")
    # The reader's own member access (Zstandard members, readable errors).
    data = reader._read(name)
    try:
        return EvalSample.model_validate_json(data, context=get_deserializing_context())
    except PydanticValidationError as exc:
        raise LogReadError(f"The transcript of sample '{name}' is invalid.") from exc


def read_log_sample(run: EvaluationRun, result: SampleResult) -> EvalSample:
    """The sample as Inspect wrote it, attachments resolved. LogReadError or FileNotFoundError
    when it cannot be read, StorageUnavailable when the storage does not answer.

    A `.eval` archive is read in place, through a seekable file (ranged requests from a bucket):
    its central directory, then the sample's member. Other logs are read from a local path."""
    name = log_name(run)
    if name is None:
        raise FileNotFoundError("This run records no log file.")
    if Path(name).suffix.lower() == ".eval":
        handle = logstore.open_log(name)
        try:  # the directory's checks refuse a file that is not a ZIP archive
            archive = safety.SafeArchive(Path(name), handle=handle)
        except BaseException:
            handle.close()
            raise
        with EvalArchiveReader(Path(name), archive=archive) as archive_reader:
            sample = _archive_sample(archive_reader, result)
        return resolve_sample_attachments(sample, "core")
    with logstore.local_copy(name) as path, open_log(path) as reader:
        if isinstance(reader, EvalArchiveReader):
            sample = _archive_sample(reader, result)
        else:
            found: EvalSample | None = next(
                (
                    record.sample
                    for record in reader.samples()
                    if str(record.sample.id) == result.sample_id
                    and record.sample.epoch == result.epoch
                ),
                None,
            )
            if found is None:
                raise LogReadError(f"The log has no transcript for sample {result.sample_id}.")
            sample = found
    return resolve_sample_attachments(sample, "core")


# --------------------------------------------------------------------------------------------
# What the sample page shows
# --------------------------------------------------------------------------------------------


@dataclass
class ToolCallView:
    id: str
    function: str
    arguments: str
    parse_error: str = ""


@dataclass
class MessageView:
    role: str
    text: str
    reasoning: list[str] = field(default_factory=list)
    tool_calls: list[ToolCallView] = field(default_factory=list)
    tool_call_id: str = ""
    function: str = ""
    error: str = ""
    media: list[str] = field(default_factory=list)  # "[image]", ... (not displayed inline)


@dataclass
class ScoreView:
    name: str
    value: str
    numeric: float | None
    answer: str
    explanation: str
    metadata: str


@dataclass
class Transcript:
    source: str  # "log" or "database"
    note: str
    messages: list[MessageView]
    output: str
    target: str
    scores: list[ScoreView]
    error: str
    metadata: str
    total_tokens: int | None = None
    total_time: float | None = None
    working_time: float | None = None


class Redactor:
    """Hides a system's names (blind review): every occurrence, ignoring case."""

    def __init__(self, terms: Sequence[str] = ()):
        words = sorted(
            {t.strip() for t in terms if t and len(t.strip()) >= 3}, key=len, reverse=True
        )
        self._pattern = (
            re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None
        )

    def __call__(self, text: Any) -> str:
        value = "" if text is None else str(text)
        return self._pattern.sub(REDACTED, value) if self._pattern else value


def blind_terms(run: EvaluationRun) -> list[str]:
    """What would name the run's system: its names, its Inspect model, the model in the log."""
    system = run.system
    terms = [str(system), f"{system.developer} {system.name}", system.name, system.inspect_model]
    terms += [run.inspect_model, system.inspect_model.rsplit("/", 1)[-1]]
    if system.version:
        terms.append(f"{system.name} {system.version}")
    return [t for t in terms if t]


def _json(value: Any) -> str:
    if value in (None, {}, []):
        return ""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def _display_value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def _content(message) -> tuple[str, list[str], list[str]]:
    """(text, reasoning blocks, media placeholders) of a chat message."""
    content = message.content
    if isinstance(content, str):
        return content, [], []
    texts: list[str] = []
    reasoning: list[str] = []
    media: list[str] = []
    for part in content:
        kind = getattr(part, "type", "")
        if kind == "text":
            texts.append(part.text)
        elif kind == "reasoning":
            reasoning.append(
                part.summary or ("[redacted reasoning]" if part.redacted else part.reasoning)
            )
        elif kind == "tool_use":
            texts.append(f"[{part.name}] {_display_value(getattr(part, 'result', ''))}")
        else:
            media.append(f"[{kind or 'content'}]")
    return "\n\n".join(texts), reasoning, media


def _message(message, hide) -> MessageView:
    text, reasoning, media = _content(message)
    view = MessageView(
        role=message.role,
        text=hide(text),
        reasoning=[hide(r) for r in reasoning],
        media=media,
    )
    if message.role == "assistant":
        for call in message.tool_calls or []:
            view.tool_calls.append(
                ToolCallView(
                    id=call.id,
                    function=call.function,
                    arguments=hide(_json(call.arguments) or "{}"),
                    parse_error=hide(call.parse_error or ""),
                )
            )
    elif message.role == "tool":
        view.tool_call_id = message.tool_call_id or ""
        view.function = message.function or ""
        if message.error is not None:
            view.error = hide(f"{message.error.type}: {message.error.message}")
    return view


def _scores_from_log(sample: EvalSample, hide) -> list[ScoreView]:
    out = []
    for name, score in (sample.scores or {}).items():
        out.append(
            ScoreView(
                name=name,
                value=_display_value(score.value),
                numeric=score_as_float(score.value),
                answer=hide(score.answer or ""),
                explanation=hide(score.explanation or ""),
                metadata=hide(_json(score.metadata)),
            )
        )
    return out


def _scores_from_row(result: SampleResult, hide) -> list[ScoreView]:
    out = []
    for name, score in (result.scores or {}).items():
        score = score if isinstance(score, dict) else {"value": score}
        out.append(
            ScoreView(
                name=name,
                value=_display_value(score.get("value")),
                numeric=score_as_float(score.get("value")),
                answer=hide(score.get("answer") or ""),
                explanation=hide(score.get("explanation") or ""),
                metadata=hide(_json(score.get("metadata"))),
            )
        )
    return out


def transcript_from_sample(sample: EvalSample, *, hide=None) -> Transcript:
    hide = hide or Redactor()
    target = sample.target
    usage = sum((u.total_tokens or 0) for u in (sample.model_usage or {}).values())
    return Transcript(
        source="log",
        note="",
        messages=[_message(m, hide) for m in sample.messages],
        output=hide(sample.output.completion if sample.output else ""),
        target=hide(" | ".join(target) if isinstance(target, list) else (target or "")),
        scores=_scores_from_log(sample, hide),
        error=hide(sample.error.message if sample.error else ""),
        metadata=hide(_json(sample.metadata)),
        total_tokens=usage or None,
        total_time=sample.total_time,
        working_time=sample.working_time,
    )


def transcript_from_row(result: SampleResult, note: str, *, hide=None) -> Transcript:
    """What the database keeps of the sample, when its log cannot be read."""
    hide = hide or Redactor()
    messages = [MessageView(role="user", text=hide(result.input))] if result.input else []
    if result.output:
        messages.append(MessageView(role="assistant", text=hide(result.output)))
    return Transcript(
        source="database",
        note=note,
        messages=messages,
        output=hide(result.output),
        target=hide(result.target),
        scores=_scores_from_row(result, hide),
        error=hide(result.error),
        metadata=hide(_json(result.metadata)),
        total_tokens=result.total_tokens or None,
    )


def transcript_for(
    run: EvaluationRun, result: SampleResult, *, redact: Sequence[str] = ()
) -> Transcript:
    """The sample's transcript from the log, or from the database with a note saying why.
    `redact`: strings to hide wherever they appear (a blind review hides the system's names)."""
    hide = Redactor(redact)
    try:
        sample = read_log_sample(run, result)
    except StorageUnavailable:
        return transcript_from_row(
            result,
            "The transcript is temporarily unavailable: the log storage does not answer. "
            "Showing what the database keeps; try again later.",
            hide=hide,
        )
    except FileNotFoundError:
        return transcript_from_row(
            result, "The log file is not available; showing what the database keeps.", hide=hide
        )
    except LogReadError as exc:
        return transcript_from_row(
            result, hide(f"{exc} Showing what the database keeps."), hide=hide
        )
    return transcript_from_sample(sample, hide=hide)
