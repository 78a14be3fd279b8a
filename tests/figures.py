"""Figures that some tests measure (how many routes, requests, inputs...), repeated at the end of
the pytest run by the terminal summary hook of tests/conftest.py (docs/security.md quotes them).

A figure is labelled with the test folder it comes from ("security: ...", "faults: ...").
Figures computed from several tests register a function with `summary`, which the hook calls
after the run, when no test failed (such a figure states what the passing tests showed).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

FIGURES: list[str] = []
SUMMARIES: list[tuple[str, Callable[[], str | None]]] = []


def _area(depth: int) -> str:
    module = sys._getframe(depth + 1).f_globals.get("__name__", "")
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else parts[0]


def figure(text: str) -> None:
    """Print `text` now and repeat it in the terminal summary."""
    FIGURES.append(f"{_area(1)}: {text}")
    print(text)


def summary(make: Callable[[], str | None]) -> Callable[[], str | None]:
    """Decorator: `make()` gives a figure at the end of the run (None: nothing to say)."""
    SUMMARIES.append((_area(1), make))
    return make


def lines(*, failed: bool) -> list[str]:
    made = [] if failed else [(area, make()) for area, make in SUMMARIES]
    return [*FIGURES, *(f"{area}: {text}" for area, text in made if text)]
