"""What every log reader yields: one sample, with where it came from.

A `SampleRecord` holds the sample two ways. `stored` is what Concord keeps of it (a
`StoredSample`: its id, epoch, scores, texts, metadata, error and tokens, before cleaning);
`sample` is the sample in Inspect's own model, for the pages that show a whole transcript. A
reader may give either: a `.eval` archive decodes the stored fields straight from the sample's
JSON (`sample_decoder`) and validates the whole `EvalSample` only when asked (or when the
decoder does not recognise the sample); the other readers give the `EvalSample`, from which the
stored fields are taken with `rows.stored_sample`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inspect_ai.log import EvalSample

from evaluations.ingestion import rows


@dataclass(slots=True)
class StoredSample:
    """The fields of a sample that Concord stores, as the sample holds them (not yet cleaned of
    NUL characters or non-finite numbers)."""

    id: int | str
    epoch: int
    # Per scorer: {"value", "answer", "explanation", "metadata"} of its Score.
    scores: dict[str, dict[str, Any]]
    input: str
    target: str
    output: str  # the model output's completion
    metadata: dict[str, Any]
    error: str | None  # the error's message, None without an error
    total_tokens: int


def stored_sample(sample: EvalSample) -> StoredSample:
    """What Concord stores of a sample read with Inspect's model."""
    return StoredSample(
        id=sample.id,
        epoch=sample.epoch,
        scores=rows.sample_scores(sample),
        input=rows.input_text(sample),
        target=rows.target_text(sample),
        output=sample.output.completion if sample.output else "",
        metadata=sample.metadata,
        error=sample.error.message if sample.error else None,
        total_tokens=rows.sample_tokens(sample),
    )


class SampleRecord:
    """One sample of a log: `stored` (always) and `sample` (Inspect's model, built on demand)."""

    __slots__ = ("_load", "_sample", "_stored", "entry_name")

    def __init__(
        self,
        sample: EvalSample | None = None,
        entry_name: str = "",
        *,
        stored: StoredSample | None = None,
        load: Callable[[], EvalSample] | None = None,
    ):
        if sample is None and load is None:
            raise ValueError("A SampleRecord needs its sample or a way to load it.")
        self._sample = sample
        self._stored = stored
        self._load = load
        self.entry_name = entry_name  # the archive member (".eval", zipped lm-eval) or ""

    @property
    def sample(self) -> EvalSample:
        if self._sample is None:
            assert self._load is not None
            self._sample = self._load()
        return self._sample

    @property
    def stored(self) -> StoredSample:
        if self._stored is None:
            self._stored = stored_sample(self.sample)
        return self._stored
