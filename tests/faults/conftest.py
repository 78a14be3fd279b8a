"""The fault runs' figures, repeated at the end of the pytest run (docs/security.md)."""

from __future__ import annotations

FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter):
    for text in FIGURES:
        terminalreporter.write_line(f"faults: {text}")
