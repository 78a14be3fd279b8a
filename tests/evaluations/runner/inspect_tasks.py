"""Inspect tasks used only by the tests (referenced as `tests.evaluations.runner.inspect_tasks:...`)."""

from __future__ import annotations

import asyncio

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import match
from inspect_ai.solver import Generate, TaskState, generate, solver


@solver
def pause(seconds: float):
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        await asyncio.sleep(seconds)
        return state

    return solve


@solver
def explode_on(sample_id: str):
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if str(state.sample_id) == sample_id:
            raise RuntimeError(f"tool environment broke on sample {sample_id}")
        return state

    return solve


def _samples(count: int) -> list[Sample]:
    """Even samples expect what mockllm always answers ("Default output from mockllm/model"),
    odd ones something else: accuracy 0.5 with a real standard error."""
    return [
        Sample(id=f"s{i:02d}", input=f"Say {i}.", target="mockllm/model" if i % 2 == 0 else str(i))
        for i in range(count)
    ]


@task
def slow_task(samples: int = 40, seconds: float = 0.5) -> Task:
    """One sample at a time (max_samples is set by the job), each pausing `seconds`."""
    return Task(dataset=_samples(samples), solver=[pause(seconds), generate()], scorer=match())


@task
def failing_task(samples: int = 4) -> Task:
    return Task(dataset=_samples(samples), solver=[explode_on("s02"), generate()], scorer=match())


@task
def broken_task() -> Task:
    raise RuntimeError("the dataset server is unreachable")


def not_a_task() -> None:
    return None
