"""A small Inspect task for the client tests: ten sums, one sample at a time (run it with
`--max-samples 1`), each pausing a moment so progress can be watched; a scripted mockllm answers
seven right and three wrong (accuracy 0.7, with a real standard error).

    inspect eval tests/clients/tasks/arith.py --max-samples 1
"""

from __future__ import annotations

import re

import anyio
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, get_model
from inspect_ai.scorer import match
from inspect_ai.solver import Generate, TaskState, generate, solver

SAMPLES = 10
WRONG = {2, 5, 8}  # the scripted model gets these sums wrong


def _answer(input, tools, tool_choice, config) -> ModelOutput:
    question = next((m.text for m in reversed(input) if m.role == "user"), "")
    a, b = (int(n) for n in re.findall(r"\d+", question)[:2])
    answer = a + b + (1 if a in WRONG else 0)
    return ModelOutput.from_content("mockllm/model", f"The sum is {answer}")


@solver
def pause(seconds: float):
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        await anyio.sleep(seconds)
        return state

    return solve


@task
def arith(seconds: float = 0.4) -> Task:
    """`seconds`: the pause before each answer (`-T seconds=0` to go fast)."""
    return Task(
        dataset=[
            Sample(id=f"sum-{a}", input=f"What is {a} + {a * 3}?", target=str(a + a * 3))
            for a in range(SAMPLES)
        ],
        solver=[pause(seconds), generate()],
        scorer=match(),
        model=get_model("mockllm/model", custom_outputs=_answer),
    )
