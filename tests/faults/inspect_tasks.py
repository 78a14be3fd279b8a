"""Inspect tasks used only by the fault runs (referenced as `tests.faults.inspect_tasks:...`)."""

from __future__ import annotations

import asyncio
import os
import signal

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import match
from inspect_ai.solver import Generate, TaskState, generate, solver


@solver
def kill_supervising_process():
    """Kills the process that supervises the evaluation (the worker's pool process), as the
    kernel's out-of-memory killer or a crash in native code would, on every attempt."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        os.kill(os.getppid(), signal.SIGKILL)
        await asyncio.sleep(60)  # the kernel ends this process with its parent
        return state

    return solve


@task
def crashes_its_worker() -> Task:
    return Task(
        dataset=[Sample(id="s00", input="Say 0.", target="0")],
        solver=[kill_supervising_process(), generate()],
        scorer=match(),
    )
