"""Shared settings of the property tests: bounded, replayable example counts."""

from hypothesis import HealthCheck, settings


def bounded(examples: int):
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
