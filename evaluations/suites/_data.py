"""Reading the JSONL datasets shipped inside this package (works from an installed wheel too)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from inspect_ai.dataset import MemoryDataset, Sample


def read_records(filename: str) -> list[dict[str, Any]]:
    text = resources.files("evaluations.suites").joinpath("data", filename).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def dataset(filename: str, name: str, to_sample) -> MemoryDataset:
    return MemoryDataset(
        [to_sample(record) for record in read_records(filename)], name=name, location=filename
    )


def sample(record: dict[str, Any], **overrides: Any) -> Sample:
    fields = {
        "id": record["id"],
        "input": record["input"],
        "target": record.get("target", ""),
        "metadata": record.get("metadata", {}),
    }
    fields.update(overrides)
    return Sample(**fields)
