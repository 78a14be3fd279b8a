"""The fields Concord stores of an Inspect sample, decoded straight from the sample's JSON.

Validating a whole `EvalSample` (its events, messages, store) costs far more than reading the
few fields Concord keeps. `stored_fields` decodes a `.eval` sample member with msgspec into
structures that declare only those fields (the rest, `events` first, is skipped without being
built) and returns the `records.StoredSample` that `records.stored_sample` would make of the
validated `EvalSample`: the same values, by the same rules (`rows`), with Inspect's own
`ChatMessage.text` and `ModelOutput.completion` reproduced here.

It only answers for shapes it knows exactly, and returns None for anything else, for the caller
to validate the sample with `EvalSample` instead: a log version it does not know, the legacy
keys that `EvalSample`'s validators migrate (`score`, `transcript`), a message role or content
type it does not know, a value whose type differs from the one Inspect's model declares (where
pydantic would coerce it, e.g. a numeric string for an epoch) and anything msgspec cannot
decode. Inspect's bare `NaN` and `Infinity` (an unscored sample's value, a non-finite number in
metadata) are rewritten as sentinel strings first, as `json_constants` does for ijson, and
turned back into floats in the scores and metadata; found where a string belongs, or in a
sample whose strings could pass for a sentinel, they send the sample to `EvalSample`.

Fields Concord does not store are not checked: a sample whose events are malformed is read
(its transcript page, which validates the whole sample, says what is wrong with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from evaluations.ingestion import json_constants, rows
from evaluations.ingestion.records import StoredSample

# Versions of Inspect's log format whose samples this decoder knows (`EvalLog.version`).
KNOWN_LOG_VERSIONS = frozenset({2})

_Scalar = str | int | float | bool
# Inspect's `scorer.Value`.
_ScoreValue = _Scalar | list[_Scalar] | dict[str, _Scalar | None]


class _Text(msgspec.Struct, tag_field="type", tag="text"):
    text: str


class _Reasoning(msgspec.Struct, tag_field="type", tag="reasoning"):
    reasoning: str


class _Image(msgspec.Struct, tag_field="type", tag="image"):
    image: str


_Content = _Text | _Reasoning | _Image


class _System(msgspec.Struct, tag_field="role", tag="system"):
    content: str | list[_Content]


class _User(msgspec.Struct, tag_field="role", tag="user"):
    content: str | list[_Content]


class _Assistant(msgspec.Struct, tag_field="role", tag="assistant"):
    content: str | list[_Content]


class _Tool(msgspec.Struct, tag_field="role", tag="tool"):
    content: str | list[_Content]


_Message = _System | _User | _Assistant | _Tool


class _Choice(msgspec.Struct):
    message: _Assistant


class _Output(msgspec.Struct):
    completion: str = ""
    choices: list[_Choice] = msgspec.field(default_factory=list)


class _Score(msgspec.Struct):
    value: _ScoreValue
    answer: str | None = None
    explanation: str | None = None
    metadata: dict[str, Any] | None = None


class _Usage(msgspec.Struct):
    total_tokens: int = 0


class _Error(msgspec.Struct):
    message: str
    traceback: str
    traceback_ansi: str


class _Sample(msgspec.Struct):
    id: int | str
    epoch: int
    input: str | list[_Message]
    target: str | list[str]
    output: _Output = msgspec.field(default_factory=_Output)
    scores: dict[str, _Score] | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    model_usage: dict[str, _Usage] = msgspec.field(default_factory=dict)
    error: _Error | None = None
    # Legacy keys that EvalSample migrates: their presence sends the sample to EvalSample.
    score: msgspec.Raw = msgspec.Raw()
    transcript: msgspec.Raw = msgspec.Raw()


_DECODER = msgspec.json.Decoder(_Sample)
SENTINEL = "\x00"  # how a rewritten constant's string starts (json_constants)
_ROLES = {_System: "system", _User: "user", _Assistant: "assistant", _Tool: "tool"}


def _text(content: str | list[_Content]) -> str:
    """Inspect's `ChatMessage.text`: the string, or the text parts joined by newlines."""
    if isinstance(content, str):
        return content
    return "\n".join(part.text for part in content if isinstance(part, _Text))


def _constants_rewritten(data: bytes | bytearray) -> bytes | bytearray | None:
    """The member with Inspect's bare `NaN` and `Infinity` rewritten as sentinel strings
    (`json_constants`), or None when a string of it could pass for a sentinel (it holds an
    escaped NUL character)."""
    if b"\\u0000" in data:
        return None
    return json_constants.rewritten(data)


def _strings(sample: _Sample) -> Iterator[str]:
    """Every string the decoder read where Inspect's model wants a string."""
    if isinstance(sample.id, str):
        yield sample.id
    yield from [sample.target] if isinstance(sample.target, str) else sample.target
    messages = [] if isinstance(sample.input, str) else list(sample.input)
    if isinstance(sample.input, str):
        yield sample.input
    messages += [choice.message for choice in sample.output.choices]
    yield sample.output.completion
    for message in messages:
        if isinstance(message.content, str):
            yield message.content
            continue
        for part in message.content:
            yield (
                part.text
                if isinstance(part, _Text)
                else (part.reasoning if isinstance(part, _Reasoning) else part.image)
            )
    for score in (sample.scores or {}).values():
        yield from (text for text in (score.answer, score.explanation) if text is not None)
    if sample.error is not None:
        yield from (sample.error.message, sample.error.traceback, sample.error.traceback_ansi)


def stored_fields(data: bytes | bytearray) -> StoredSample | None:
    """The stored fields of one sample member, or None when its shape is not one this decoder
    reads exactly (the caller validates it with `EvalSample` then)."""
    constants = False
    try:
        sample = _DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError):
        # JSON has no NaN or Infinity: a member holding Inspect's constants is decoded again,
        # with them rewritten (a member without them needs no restoring).
        if b"NaN" not in data and b"Infinity" not in data:
            return None
        rewritten = _constants_rewritten(data)
        if rewritten is None:
            return None
        try:
            sample = _DECODER.decode(rewritten)
        except (msgspec.DecodeError, RecursionError):
            return None
        constants = True
    if len(sample.score) or len(sample.transcript):
        return None
    if constants and any(SENTINEL in text for text in _strings(sample)):
        return None  # a constant where Inspect's model wants a string: EvalSample refuses it
    if isinstance(sample.input, str):
        input_text = sample.input
    else:
        input_text = rows.joined_messages((_ROLES[type(m)], _text(m.content)) for m in sample.input)
    output = sample.output
    completion = output.completion or (
        _text(output.choices[0].message.content) if output.choices else ""
    )
    restore = json_constants.restore if constants else _unchanged
    return StoredSample(
        id=sample.id,
        epoch=sample.epoch,
        scores={
            name: rows.score_fields(restore(s.value), s.answer, s.explanation, restore(s.metadata))
            for name, s in (sample.scores or {}).items()
        },
        input=input_text,
        target=rows.joined_targets(sample.target),
        output=completion,
        metadata=restore(sample.metadata),
        error=sample.error.message if sample.error is not None else None,
        total_tokens=sum(usage.total_tokens for usage in sample.model_usage.values()),
    )


def _unchanged(value: Any) -> Any:
    return value
