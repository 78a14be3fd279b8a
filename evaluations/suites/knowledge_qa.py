"""Knowledge QA demonstration suite: short answers checked by a pattern scorer."""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.scorer import accuracy, grouped, pattern, stderr
from inspect_ai.solver import generate, system_message

from evaluations.suites._data import dataset, sample

SYSTEM_PROMPT = (
    "Answer the question. Think briefly if you need to, then give your final answer on the last "
    "line in the form 'ANSWER: <answer>', with the answer as short as possible."
)

# The first line that starts with 'ANSWER:'; a trailing full stop and spaces are not part of the answer.
ANSWER_PATTERN = r"(?im)^\s*ANSWER\s*:\s*(.+?)\s*\.?\s*$"


@task
def concord_knowledge_qa() -> Task:
    """Short-answer knowledge questions, answered as 'ANSWER: ...' (demo suite)."""
    return Task(
        dataset=dataset("knowledge_qa.jsonl", "concord-knowledge-qa", sample),
        solver=[system_message(SYSTEM_PROMPT), generate()],
        scorer=pattern(ANSWER_PATTERN),
        metrics=[accuracy(), stderr(), grouped(accuracy(), "topic", all=False)],
        metadata={"concord_suite": "knowledge_qa", "demonstration": True},
    )
