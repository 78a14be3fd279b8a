"""Demo projects, systems, guidelines, tasks and results. Idempotent."""

from __future__ import annotations


def seed_evaluations(people) -> None:
    """Extended by the projects, jobs and results features."""
