"""An Inspect task graded by judges and a rule, run by the judge tests in a child `inspect eval`
(`tests/evaluations/judges/judged_tasks.py@judged`, from the repository's root, with mockllm).

Its scorers, in order: Inspect's `model_graded_qa` with an explicit grader model, `match` (a
rule), a custom scorer that names its grader in each score's metadata, and `model_graded_fact`
grading with the model bound to the "grader" role (`--model-role grader=...`)."""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import (
    CORRECT,
    INCORRECT,
    Score,
    Target,
    accuracy,
    match,
    model_graded_fact,
    model_graded_qa,
    scorer,
    stderr,
)
from inspect_ai.solver import TaskState, generate

EXPLICIT_GRADER = "mockllm/model"
NAMED_GRADER = "mockllm/panel-judge"
ROLE_GRADER = "mockllm/grader"


@scorer(metrics=[accuracy(), stderr()])
def named_judge():
    """A judge whose verdicts say which model gave them (as custom judges often do)."""

    async def score(state: TaskState, target: Target) -> Score:
        right = target.text in state.output.completion
        return Score(value=CORRECT if right else INCORRECT, metadata={"grader_model": NAMED_GRADER})

    return score


@task
def judged(samples: int = 4) -> Task:
    # Even samples expect what mockllm answers ("Default output from mockllm/model").
    dataset = [
        Sample(id=f"j{i:02d}", input=f"Say {i}.", target="mockllm/model" if i % 2 == 0 else str(i))
        for i in range(samples)
    ]
    return Task(
        dataset=dataset,
        solver=generate(),
        scorer=[
            model_graded_qa(model=EXPLICIT_GRADER),
            match(),
            named_judge(),
            model_graded_fact(),
        ],
    )
