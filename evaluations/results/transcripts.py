"""One sample's full transcript, read from the run's Inspect log on demand.

The database keeps what lists and statistics need (scores, input, output, target); the full
transcript (every message, tool call and tool result, each scorer's explanation) stays in the log
and is read here through the ingestion reader (`evaluations.ingestion.reader`): for a `.eval`
archive only the sample's own member is read (`SampleResult.entry_name`), a `.json` log is streamed
until the sample is found. Logs are reached through Django's storage API rooted at
CONCORD_LOG_DIR, so a deployment may keep them in object storage.

When the log cannot be read (moved, deleted, damaged), the transcript is built from the database
row instead and says so.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage
from inspect_ai.log import EvalSample, resolve_sample_attachments
from pydantic import ValidationError as PydanticValidationError

from evaluations.ingestion.errors import LogReadError
from evaluations.ingestion.formats import open_log
from evaluations.ingestion.reader import EvalArchiveReader, get_deserializing_context
from evaluations.ingestion.rows import score_as_float
from evaluations.models import EvaluationRun, SampleResult

REDACTED = "[system hidden]"


# --------------------------------------------------------------------------------------------
# Where a run's log is
# --------------------------------------------------------------------------------------------


def log_storage() -> Storage:
    """Storage holding Inspect logs (CONCORD_LOG_DIR on disk in the demo and the tests)."""
    return FileSystemStorage(location=str(settings.CONCORD_LOG_DIR))


def log_name(run: EvaluationRun) -> str | None:
    """The log's name in `log_storage()`, or None when the run records no log."""
    name = (run.log_file or "").strip()
    return name or None


def log_download_name(run: EvaluationRun) -> str:
    suffix = Path(run.log_file or "").suffix or ".eval"
    return f"concord-run-{run.pk}{suffix}"


def open_log_file(run: EvaluationRun):
    """A binary file object of the run's log (for downloads). FileNotFoundError when it is gone.

    Relative names are resolved in the log storage (which refuses names escaping it); an absolute
    name is a file imported from outside the log directory by `import_log` and is opened as is.
    """
    name = log_name(run)
    if name is None:
        raise FileNotFoundError("This run records no log file.")
    if Path(name).is_absolute():
        return Path(name).open("rb")
    try:
        return log_storage().open(name, "rb")
    except SuspiciousFileOperation as exc:
        raise FileNotFoundError("The run's log file is outside the log directory.") from exc


@contextmanager
def _local_log_path(run: EvaluationRun) -> Iterator[Path]:
    """A local path to the log: the file itself on disk, else a temporary copy (object storage)."""
    name = log_name(run)
    if name is None:
        raise FileNotFoundError("This run records no log file.")
    if Path(name).is_absolute():
        local: Path | None = Path(name)
    else:
        storage = log_storage()
        try:
            local = Path(storage.path(name))
        except NotImplementedError:
            local = None
        except SuspiciousFileOperation as exc:
            raise FileNotFoundError("The run's log file is outside the log directory.") from exc
    if local is not None:
        if not local.is_file():
            raise FileNotFoundError("The run's log file is not where it was stored.")
        yield local
        return
    suffix = Path(name).suffix
    with storage.open(name, "rb") as src, tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        shutil.copyfileobj(src, tmp)
        tmp.flush()
        yield Path(tmp.name)


def read_log_sample(run: EvaluationRun, result: SampleResult) -> EvalSample:
    """The sample as Inspect wrote it, attachments resolved. LogReadError or FileNotFoundError
    when it cannot be read."""
    with _local_log_path(run) as path, open_log(path) as reader:
        if isinstance(reader, EvalArchiveReader):
            name = result.entry_name or f"samples/{result.sample_id}_epoch_{result.epoch}.json"
            if not reader.has(name):
                raise LogReadError(f"The log has no transcript for sample {result.sample_id}.")
            # The reader's own member access (Zstandard members, readable errors).
            data = reader._read(name)
            try:
                sample = EvalSample.model_validate_json(data, context=get_deserializing_context())
            except PydanticValidationError as exc:
                raise LogReadError(f"The transcript of sample '{name}' is invalid.") from exc
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
    except FileNotFoundError:
        return transcript_from_row(
            result, "The log file is not available; showing what the database keeps.", hide=hide
        )
    except LogReadError as exc:
        return transcript_from_row(
            result, hide(f"{exc} Showing what the database keeps."), hide=hide
        )
    return transcript_from_sample(sample, hide=hide)
