"""Demo personnel exchanges. Idempotent."""

from __future__ import annotations


def seed_exchanges(people) -> None:
    """Extended by the exchanges feature."""
