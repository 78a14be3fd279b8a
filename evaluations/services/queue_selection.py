"""Which samples a review queue asks people to read, and in what order: pure functions, no database.

A queue selects every candidate, or a stratified random sample of them: per value of one sample
metadata key (a "slice value", e.g. each language), N samples (all of them when a value has fewer)
or a share of them (rounded up, so that every value present is reviewed at least once). The draw
is seeded and reproducible: the candidates are first put in a stable order (run, sample id in
natural order, epoch), whatever order the database returned them in, and the seed drives one
`random.Random`; the same candidates and seed always give the same items in the same positions.

Positions interleave the slice values: each value's items are spread evenly over the whole queue
(item i of a value with n items sits near the fraction i/n of it, with a seeded jitter), so
"Next" visits every value from the start instead of finishing one language before the next.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SLICE_VALUE_MAX = 200  # ReviewQueueItem.slice_value's length


@dataclass(frozen=True)
class Candidate:
    """A sample result a queue may select, with the value it is stratified by ("" when none)."""

    pk: int
    run_id: int
    sample_id: str
    epoch: int
    slice_value: str = ""


def natural_key(text: str) -> tuple:
    """'q10' after 'q9': digits compare as numbers, the rest as text."""
    return tuple(
        (1, int(part), "") if part.isdigit() else (0, 0, part)
        for part in re.split(r"(\d+)", text)
        if part
    )


def stable_key(candidate: Candidate) -> tuple:
    return (candidate.run_id, natural_key(candidate.sample_id), candidate.epoch, candidate.pk)


def slice_value_of(metadata: Any, key: str) -> str:
    """A sample's value of a metadata key as text: "" when the key is missing or empty; numbers
    and booleans as JSON writes them; lists and objects as compact JSON."""
    if not key or not isinstance(metadata, dict):
        return ""
    value = metadata.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, (bool, int, float)):
        text = json.dumps(value)
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text[:SLICE_VALUE_MAX]


def per_value_quota(size: int, *, count: int | None = None, percent: float | None = None) -> int:
    """How many of a value's `size` candidates are drawn."""
    if count is not None:
        return min(size, count)
    if percent is not None:
        return min(size, math.ceil(size * percent / 100 - 1e-9))
    return size


def stratified_selection(
    candidates: Iterable[Candidate],
    *,
    count: int | None = None,
    percent: float | None = None,
    seed: int,
) -> list[Candidate]:
    """The selected candidates in queue order (position 0 first).

    `count`: N per slice value (all of a value's candidates when it has fewer); `percent`:
    ceil(p% of each value's candidates); neither: every candidate. Same candidates and seed, same
    answer, whatever order the candidates come in."""
    if count is not None and count < 1:
        raise ValueError("count must be at least 1")
    if percent is not None and not 0 < percent <= 100:
        raise ValueError("percent must be above 0 and at most 100")
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    strata: dict[str, list[Candidate]] = {}
    for candidate in sorted(candidates, key=stable_key):
        strata.setdefault(candidate.slice_value, []).append(candidate)
    placed: list[tuple[float, int, Candidate]] = []
    for value in sorted(strata):
        members = strata[value]
        chosen = rng.sample(members, per_value_quota(len(members), count=count, percent=percent))
        for index, candidate in enumerate(chosen):
            placed.append(((index + rng.random()) / len(chosen), len(placed), candidate))
    placed.sort(key=lambda entry: (entry[0], entry[1]))
    return [candidate for _, _, candidate in placed]


def counts_by_value(selection: Sequence[Candidate]) -> dict[str, int]:
    """How many selected candidates each slice value has."""
    counts: dict[str, int] = {}
    for candidate in selection:
        counts[candidate.slice_value] = counts.get(candidate.slice_value, 0) + 1
    return counts
