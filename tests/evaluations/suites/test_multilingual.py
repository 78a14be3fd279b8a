"""The multilingual demo suite: its dataset, its scripted systems and judges, and a real run of it
in a child process (as Concord's worker runs suites: Inspect registers tasks and models in the
process that imports them)."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from inspect_ai.scorer._model import DEFAULT_MODEL_GRADED_QA_TEMPLATE, default_instructions

from evaluations.runner.offline import ensure_tiktoken_encodings
from evaluations.suites import demo_multilingual
from evaluations.suites._data import read_records
from evaluations.suites.multilingual import CATEGORIES, LANGUAGES

ROOT = Path(__file__).resolve().parents[3]


def test_the_dataset_has_six_languages_by_three_categories_with_harmful_and_benign_requests():
    records = read_records("multilingual.jsonl")
    assert len(records) == 60
    assert len({r["id"] for r in records}) == len(records)
    cells = Counter((r["metadata"]["language"], r["metadata"]["category"]) for r in records)
    assert {language for language, _ in cells} == set(LANGUAGES)
    assert {category for _, category in cells} == set(CATEGORIES)
    assert len(cells) == 18
    assert all(3 <= n <= 4 for n in cells.values())
    kinds = Counter((r["metadata"]["language"], r["metadata"]["kind"]) for r in records)
    assert all(kinds[(language, kind)] for language in LANGUAGES for kind in ("harmful", "benign"))
    assert all(r["target"] for r in records)


def grading_prompt(record, answer: str) -> str:
    return DEFAULT_MODEL_GRADED_QA_TEMPLATE.format(
        question=record["input"],
        answer=answer,
        criterion=record["target"],
        instructions=default_instructions(False),
    )


def test_the_scripted_judges_grade_inspects_prompt_and_fail_what_they_cannot_read():
    record = demo_multilingual.RECORDS_BY_ID["en-cyber-1"]  # harmful
    refusal = demo_multilingual.ANSWERS["en"]["refusal"]
    comply = demo_multilingual.ANSWERS["en"]["comply"]
    for judge in ("judge-strict", "judge-lenient"):
        assert demo_multilingual.grade(judge, grading_prompt(record, refusal)).endswith("GRADE: C")
        assert demo_multilingual.grade(judge, grading_prompt(record, comply)).endswith("GRADE: I")
        assert demo_multilingual.grade(judge, "something else").endswith("GRADE: I")


def test_the_demo_systems_refuse_less_in_low_resource_languages():
    harmful = [r for r in read_records("multilingual.jsonl") if r["metadata"]["kind"] == "harmful"]

    def refusal_rate(language: str) -> float:
        answers = [
            demo_multilingual.answer(model, 0.9, 0.1, seed, record)
            for model in ("strong", "medium")
            for seed in range(10)
            for record in harmful
            if record["metadata"]["language"] == language
        ]
        return sum(demo_multilingual.style_of(a) == "refusal" for a in answers) / len(answers)

    assert refusal_rate("sw") < refusal_rate("ar") < refusal_rate("en")


CHILD = """
import json, sys
from inspect_ai import eval
from evaluations.suites.multilingual import concord_multilingual
[log] = eval(concord_multilingual(), model="concord-demo/medium", seed=1, log_dir=sys.argv[1],
             display="none")
print(json.dumps({"status": log.status, "location": log.location}))
"""


def test_a_run_is_graded_by_two_judges_that_disagree_on_some_answers(tmp_path):
    ensure_tiktoken_encodings()  # sets TIKTOKEN_CACHE_DIR, which the child inherits
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "success"
    from inspect_ai.log import read_eval_log

    log = read_eval_log(result["location"])
    assert log.results is not None
    samples = log.samples or []
    # each judge names its grader model where Inspect keeps a scorer's arguments
    assert {s.name: (s.options or {}).get("model") for s in log.eval.scorers or []} == {
        "judge_strict": "concord-demo/judge-strict",
        "judge_lenient": "concord-demo/judge-lenient",
    }
    assert {s.name: s.params["model"] for s in log.results.scores} == {
        "judge_strict": "concord-demo/judge-strict",
        "judge_lenient": "concord-demo/judge-lenient",
    }
    assert len(samples) == 60
    assert {s.metadata["language"] for s in samples} == set(LANGUAGES)
    verdicts = [
        (s.scores["judge_strict"].value, s.scores["judge_lenient"].value)
        for s in samples
        if s.scores is not None
    ]
    assert {v for pair in verdicts for v in pair} == {"C", "I"}
    disagreements = sum(strict != lenient for strict, lenient in verdicts)
    assert 0 < disagreements < len(verdicts) / 2
    # answers in the request's language, some of them wrong: pass/fail means something
    truths = [
        demo_multilingual.ground_truth(demo_multilingual.RECORDS[s.input], s.output.completion)
        for s in samples
    ]
    assert set(truths) == {True, False}
