"""A second small task, to run beside arith in an eval set (each task is reported and uploaded
on its own):

    inspect eval-set tests/clients/tasks/arith.py tests/clients/tasks/products.py --log-dir DIR
"""

from __future__ import annotations

import re

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, get_model
from inspect_ai.scorer import match
from inspect_ai.solver import generate


def _answer(input, tools, tool_choice, config) -> ModelOutput:
    question = next((m.text for m in reversed(input) if m.role == "user"), "")
    a, b = (int(n) for n in re.findall(r"\d+", question)[:2])
    return ModelOutput.from_content("mockllm/model", f"The product is {a * b}")


@task
def products() -> Task:
    return Task(
        dataset=[
            Sample(id=f"p-{a}", input=f"What is {a} x 7?", target=str(a * 7)) for a in range(4)
        ],
        solver=generate(),
        scorer=match(),
        model=get_model("mockllm/model", custom_outputs=_answer),
    )
