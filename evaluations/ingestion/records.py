"""What every log reader yields: one sample in Inspect's own model, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass

from inspect_ai.log import EvalSample


@dataclass
class SampleRecord:
    sample: EvalSample
    entry_name: str  # the archive member (".eval", zipped lm-eval output) or "" (".json")
