"""Real Inspect logs for the tests, produced by running Concord's shipped suites with a scripted
mockllm (deterministic: answers depend on the question, not on call order)."""

from __future__ import annotations

from pathlib import Path

from inspect_ai import eval as inspect_eval
from inspect_ai.model import ModelOutput, get_model

from evaluations.runner.offline import ensure_tiktoken_encodings
from evaluations.suites._data import read_records

QA = {r["input"]: r for r in read_records("knowledge_qa.jsonl")}


def qa_model(correct_every: int = 2):
    """A model that answers every `correct_every`-th question correctly, the others wrongly."""

    def answer(input, tools, tool_choice, config) -> ModelOutput:
        question = next(
            (m.text for m in reversed(input) if m.role == "user"), input[-1].text if input else ""
        )
        record = QA.get(question)
        number = int(record["id"].split("-")[1]) if record else 1
        text = record["target"][0] if record and number % correct_every == 0 else "no idea"
        return ModelOutput.from_content("mockllm/model", f"Let me think.\nANSWER: {text}")

    return get_model("mockllm/model", custom_outputs=answer)


def run_qa(log_dir: Path, *, limit: int = 6, epochs: int = 1, log_format: str = "eval") -> Path:
    from evaluations.suites.knowledge_qa import concord_knowledge_qa

    ensure_tiktoken_encodings()
    [log] = inspect_eval(
        concord_knowledge_qa(),
        model=qa_model(),
        limit=limit,
        epochs=epochs,
        log_dir=str(log_dir),
        log_format=log_format,
        display="none",
    )
    assert log.status == "success", log.error
    return Path(log.location)
