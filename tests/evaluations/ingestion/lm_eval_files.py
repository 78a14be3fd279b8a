"""lm-evaluation-harness output folders for the tests, written the way lm-eval 0.4 writes them
(`<output>/<model>/results_<time>.json` and `samples_<task>_<time>.jsonl`; responses sanitised to
strings as its tracker does). The per-sample metrics are chosen here, and the aggregate figures in
the results file are computed from them exactly as lm-eval does (mean, and the standard error of
the mean with n - 1), so every stored figure can be checked against both files."""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

STAMP = "2024-06-10T12-00-00.123456"
MODEL = "EleutherAI/pythia-160m"
MODEL_DIR = "EleutherAI__pythia-160m"
INSPECT_MODEL = f"hf/{MODEL}"


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def stderr(values: list[float]) -> float:
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1) / len(values))


@dataclass
class Task:
    name: str
    lines: list[dict]
    metrics: dict[str, list[float]]  # "metric,filter" -> per-doc values (first filter's docs)
    output_type: str = "multiple_choice"
    group: str | None = None

    def block(self) -> dict:
        block: dict = {"alias": self.name if not self.group else f" - {self.name}"}
        for key, values in self.metrics.items():
            metric, _, filter_name = key.partition(",")
            block[key] = mean(values)
            block[f"{metric}_stderr,{filter_name}"] = stderr(values)
        return block

    def config(self) -> dict:
        names = dict.fromkeys(k.partition(",")[0] for k in self.metrics)
        return {
            "task": self.name,
            "output_type": self.output_type,
            "metric_list": [
                {"metric": m, "aggregation": "mean", "higher_is_better": True} for m in names
            ],
            "num_fewshot": 0,
        }

    @property
    def docs(self) -> int:
        return len(next(iter(self.metrics.values())))


def mc_task(name: str, answers: list[int], chosen: list[int], *, group: str | None = None) -> Task:
    """Multiple choice: doc i's target is answers[i]; the model's most likely choice chosen[i]."""
    lines, acc, acc_norm = [], [], []
    for doc_id, (answer, pick) in enumerate(zip(answers, chosen, strict=True)):
        choices = [f"choice {c} of doc {doc_id}" for c in "ABCD"]
        loglik = [-5.0 - i for i in range(4)]
        loglik[pick], loglik[0] = loglik[0], loglik[pick]  # the picked one is the most likely
        correct = float(pick == answer)
        norm = float(pick == answer or doc_id % 3 == 0)
        acc.append(correct)
        acc_norm.append(norm)
        lines.append(
            {
                "doc_id": doc_id,
                "doc": {"question": f"Question {doc_id} of {name}?", "choices": choices},
                "target": answer,
                "arguments": {
                    f"gen_args_{i}": {
                        "arg_0": f"Question: Question {doc_id} of {name}?\nAnswer:",
                        "arg_1": f" {c}",
                    }
                    for i, c in enumerate(choices)
                },
                "resps": [[[str(x), "False"]] for x in loglik],
                "filtered_resps": [[str(x), "False"] for x in loglik],
                "filter": "none",
                "metrics": ["acc", "acc_norm"],
                "doc_hash": f"d{doc_id}",
                "prompt_hash": f"p{doc_id}",
                "target_hash": f"t{doc_id}",
                "acc": correct,
                "acc_norm": norm,
            }
        )
    return Task(name, lines, {"acc,none": acc, "acc_norm,none": acc_norm}, group=group)


def generation_task(name: str, strict: list[float], flexible: list[float]) -> Task:
    """Generation with two filters, written as lm-eval does: every doc for the first filter,
    then every doc for the second."""
    lines = []
    for filter_name, values in (("strict-match", strict), ("flexible-extract", flexible)):
        for doc_id, value in enumerate(values):
            lines.append(
                {
                    "doc_id": doc_id,
                    "doc": {"question": f"What is {doc_id} + 1?", "answer": f"#### {doc_id + 1}"},
                    "target": f"#### {doc_id + 1}",
                    "arguments": {
                        "gen_args_0": {
                            "arg_0": f"Question: What is {doc_id} + 1?\nAnswer:",
                            "arg_1": {"until": ["Question:"], "do_sample": False},
                        }
                    },
                    "resps": [[f"The answer is {doc_id + 1}."]],
                    "filtered_resps": [f"{doc_id + 1}" if value else "[invalid]"],
                    "filter": filter_name,
                    "metrics": ["exact_match"],
                    "exact_match": value,
                }
            )
    return Task(
        name,
        lines,
        {"exact_match,strict-match": strict, "exact_match,flexible-extract": flexible},
        output_type="generate_until",
    )


@dataclass
class Output:
    folder: Path
    results: Path
    data: dict
    tasks: list[Task] = field(default_factory=list)

    def zip(self, target: Path) -> Path:
        """The output folder zipped as a person would: `<model>/results_*.json` and samples."""
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(self.folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(self.folder.parent))
        return target


def write_output(
    root: Path, tasks: list[Task], *, groups: dict[str, list[str]] | None = None
) -> Output:
    folder = root / MODEL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    groups = groups or {}
    results, group_results = {}, {}
    for group, members in groups.items():
        member_tasks = [t for t in tasks if t.name in members]
        block = {"alias": group}
        for key in member_tasks[0].metrics:
            values = [v for t in member_tasks for v in t.metrics[key]]
            metric, _, filter_name = key.partition(",")
            block[key] = mean(values)
            block[f"{metric}_stderr,{filter_name}"] = stderr(values)
        results[group] = block
        group_results[group] = block
    for task in tasks:
        results[task.name] = task.block()
    data = {
        "results": results,
        **({"groups": group_results} if group_results else {}),
        "group_subtasks": {**groups, **{t.name: [] for t in tasks}},
        "configs": {t.name: t.config() for t in tasks},
        "versions": {t.name: 1.0 for t in tasks},
        "n-shot": {t.name: 0 for t in tasks},
        "higher_is_better": {t.name: {k.partition(",")[0]: True for k in t.metrics} for t in tasks},
        "n-samples": {t.name: {"original": 1000, "effective": t.docs} for t in tasks},
        "config": {
            "model": "hf",
            "model_args": f"pretrained={MODEL},dtype=float",
            "batch_size": "1",
            "limit": 4.0,
            "bootstrap_iters": 100000,
            "random_seed": 0,
        },
        "git_hash": "8138fd52",
        "date": 1718020800.5,
        "task_hashes": {t.name: f"hash-{t.name}" for t in tasks},
        "model_source": "hf",
        "model_name": MODEL,
        "model_name_sanitized": MODEL_DIR,
        "start_time": 1234.5,
        "end_time": 1267.8,
        "total_evaluation_time_seconds": "33.3",
        "lm_eval_version": "0.4.5",
    }
    results_path = folder / f"results_{STAMP}.json"
    results_path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    for task in tasks:
        with (folder / f"samples_{task.name}_{STAMP}.jsonl").open("w") as handle:
            for line in task.lines:
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return Output(folder=folder, results=results_path, data=data, tasks=tasks)


def arc_easy(root: Path) -> Output:
    """One multiple-choice task, 4 docs: acc 0.75."""
    return write_output(root, [mc_task("arc_easy", [0, 1, 2, 3], [0, 2, 2, 3])])
