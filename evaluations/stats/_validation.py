"""Input checks shared by the statistics modules: readable ValueErrors, never a division by
zero."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def as_floats(values: Iterable[float], name: str) -> list[float]:
    out: list[float] = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{name}[{i}] is {v!r}: expected a number.")
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(f"{name}[{i}] is {v!r}: expected a finite number.")
        out.append(f)
    return out


def check_same_length(a: Sequence[object], b: Sequence[object], name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same length (got {len(a)} and {len(b)})."
        )


def check_finite(x: float, name: str) -> None:
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number (got {x!r}).")


def check_open_unit(p: float, name: str) -> None:
    if not 0.0 < p < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1 (got {p!r}).")


def check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1 (got {confidence!r}).")


def check_df(df: float) -> None:
    if not (df > 0 and math.isfinite(df)):
        raise ValueError(f"Degrees of freedom must be a positive number (got {df!r}).")
