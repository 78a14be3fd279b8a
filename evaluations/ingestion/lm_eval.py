"""EleutherAI lm-evaluation-harness results, read as a log the one ingestion service ingests.

lm-eval (0.4) writes `results_<time>.json` into `<output>/<model>/` and, with `--log_samples`, one
`samples_<task>_<time>.jsonl` per task beside it. This reader takes the results JSON alone, or a
ZIP of the output folder (checked by `safety.SafeArchive` like every archive), and presents it in
Inspect's own models (an `EvalLog` header and `EvalSample`s), so `service.run_ingest_log` writes it
into the same run, score and sample tables as an Inspect log, with `log_format="lm-eval"`.

How lm-eval maps onto a run:

- One run per results file: its only top-level task, or group with its subtasks. A file with
  several top-level tasks needs the Concord task to say which (its slug or `inspect_ref` names
  the lm-eval task); otherwise the import is refused with their names.
- The run's eval id is `lm-eval-` and the SHA-256 of the results file (with the chosen task when
  the file holds several), so importing the same results again is recognised. The identity is
  the results file: importing it alone, then zipped with its samples, finds the first run.
- The task name maps to an EvaluationTask as an Inspect task's does (slug, or `inspect_ref`
  ending in `:<task>` or `/<task>`). The model is `config.model` + `/` + `model_name`, e.g.
  `hf/EleutherAI/pythia-160m`: Inspect's own spelling for Hugging Face and vLLM models.
- Each lm-eval metric (with its filter unless `none`: `exact_match,strict-match`) is a scorer
  whose metric is its aggregation (`mean` unless the task's config names another) with lm-eval's
  standard error; the headline is the first metric of the task (or group). A group's subtasks
  get scores of their own, `<subtask>/<metric>`.
- Each sample line becomes a sample: id the `doc_id` (`<subtask>/<doc_id>` in a group), input the
  prompt, the target, output the filtered response (for multiple choice, the continuation with
  the highest log-likelihood), a score per metric, and the doc and its hashes as metadata. Lines
  of a task's other filters add their scores to the same sample.
- Results without sample files give a run with scores and no samples.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import ijson
from django.core.exceptions import ValidationError
from inspect_ai.log import EvalLog, EvalSample
from pydantic import ValidationError as PydanticValidationError

from evaluations.ingestion import safety
from evaluations.ingestion.errors import LogReadError
from evaluations.ingestion.records import SampleRecord

RESULTS_NAME = re.compile(r"^results(?:_(?P<stamp>.+))?\.json$")
# The keys lm-eval writes first; an Inspect JSON log starts with "version".
_FIRST_KEYS = frozenset(
    {"results", "groups", "group_subtasks", "configs", "versions", "n-shot", "config"}
)
_AGGREGATION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")
_TEXT_LIMIT = 100_000  # characters of an output rendered from non-text responses


def is_results_json(path: Path) -> bool:
    """Whether a JSON file is lm-eval results: looks only at its first key."""
    try:
        with path.open("rb") as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "" and event == "map_key":
                    return value in _FIRST_KEYS
                if event != "start_map":
                    return False
    except (ijson.JSONError, UnicodeDecodeError):
        return False
    return False


def _results_members(archive: safety.SafeArchive) -> list[str]:
    return [n for n in archive.names() if RESULTS_NAME.match(PurePosixPath(n).name)]


def is_results_archive(archive: safety.SafeArchive) -> bool:
    """A ZIP of an lm-eval output folder (not an Inspect `.eval` renamed `.zip`)."""
    if archive.has("header.json") or archive.has("_journal/start.json"):
        return False
    return bool(_results_members(archive))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _model_arg(model_args: Any, *names: str) -> str:
    if isinstance(model_args, dict):
        return next((str(model_args[n]) for n in names if model_args.get(n)), "")
    if isinstance(model_args, str):
        for part in model_args.split(","):
            key, _, value = part.partition("=")
            if key.strip() in names and value.strip():
                return value.strip()
    return ""


def _task_names(task) -> set[str]:
    """The lm-eval task names a Concord EvaluationTask may stand for."""
    if task is None:
        return set()
    names = {task.slug, task.slug.replace("-", "_")}
    ref = task.inspect_ref or ""
    names.add(ref)
    names.add(re.split(r"[:/]", ref)[-1])
    return {n for n in names if n}


class LmEvalReader(AbstractContextManager):
    """lm-eval results (a `results_*.json`, or a ZIP of the output folder) as Inspect models."""

    format = "lm-eval"
    run_log_format = "lm-eval"

    def __init__(self, path: Path, *, task=None, archive: safety.SafeArchive | None = None):
        self.path = Path(path)
        self.label = f"'{self.path.name}'"
        self.limits = safety.Limits.from_settings()
        self._archive = archive
        self._task_hint = task
        self._loaded = False

    def __exit__(self, *exc_info) -> None:
        if self._archive is not None:
            self._archive.close()

    # --- the results file ---------------------------------------------------------------

    def _load(self) -> None:
        if self._loaded:
            return
        digest = hashlib.sha256()
        if self._archive is None:
            self._results_member = None
            with self.path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            with self.path.open("rb") as handle:
                safety.check_value_sizes(handle, label=self.label, limits=self.limits)
                data = safety.json_object(
                    handle, label=self.label, limits=self.limits, skip=frozenset({"samples"})
                )
        else:
            members = _results_members(self._archive)
            if len(members) != 1:
                raise LogReadError(
                    f"{self.label} holds {len(members)} lm-eval results files "
                    f"({', '.join(members[:5])}): zip one run's output folder per import."
                )
            self._results_member = members[0]
            raw = self._archive.read(self._results_member)
            digest.update(raw)
            data = safety.json_object(
                io.BytesIO(raw),
                label=f"{self.label}: '{self._results_member}'",
                limits=self.limits,
                skip=frozenset({"samples"}),
            )
            del raw
        results = data.get("results")
        if not isinstance(results, dict) or not results or not isinstance(data.get("config"), dict):
            raise LogReadError(
                f"{self.label} is not lm-evaluation-harness results: it needs a 'results' object "
                "with at least one task and a 'config' object."
            )
        self._data = data
        self._choose_task(digest)
        self._loaded = True

    def _choose_task(self, digest) -> None:
        data = self._data
        results: dict[str, Any] = data["results"]
        groups = data.get("group_subtasks")
        self._subtasks: dict[str, list[str]] = {
            str(k): [str(s) for s in v]
            for k, v in (groups.items() if isinstance(groups, dict) else [])
            if isinstance(v, list)
        }
        children = {child for subs in self._subtasks.values() for child in subs}
        top = [name for name in results if name not in children]
        if not top:
            raise LogReadError(f"{self.label} has no top-level task in its 'results'.")
        if len(top) == 1:
            chosen = top[0]
        else:
            wanted = _task_names(self._task_hint)
            matches = [name for name in top if name in wanted]
            if len(matches) != 1:
                raise ValidationError(
                    {
                        "task": f"{self.label} holds results for several lm-eval tasks "
                        f"({', '.join(top[:20])}): choose the Concord task of the one to import "
                        "(its slug or Inspect reference names the lm-eval task)."
                    }
                )
            chosen = matches[0]
            digest.update(b"\x00" + chosen.encode())
        self.task_name = chosen
        self.eval_id = f"lm-eval-{digest.hexdigest()[:40]}"
        self.leaves = self._leaves(chosen)

    def _leaves(self, name: str) -> list[str]:
        leaves: list[str] = []
        seen: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop(0)
            if current in seen:
                continue
            seen.add(current)
            subs = self._subtasks.get(current) or []
            if subs:
                stack[0:0] = subs
            else:
                leaves.append(current)
        return leaves

    def _block(self, name: str) -> dict[str, Any]:
        block = (self._data.get("groups") or {}).get(name) if name in self._subtasks else None
        if not isinstance(block, dict) or not self._entries(block, name):
            block = self._data["results"].get(name)
        return block if isinstance(block, dict) else {}

    def _aggregation(self, task: str, metric: str) -> str:
        configs = self._data.get("configs")
        config = configs.get(task) if isinstance(configs, dict) else None
        metric_list = config.get("metric_list") if isinstance(config, dict) else None
        for item in metric_list if isinstance(metric_list, list) else []:
            if isinstance(item, dict) and item.get("metric") == metric:
                aggregation = item.get("aggregation")
                if isinstance(aggregation, str) and _AGGREGATION.match(aggregation):
                    return aggregation
        return "mean"

    def _entries(self, block: dict[str, Any], task: str) -> list[dict[str, Any]]:
        """(scorer, metric, filter, value, stderr) of each metric of a results block."""
        entries = []
        for key, value in block.items():
            metric, sep, filter_name = str(key).partition(",")
            if not sep or metric.endswith("_stderr"):
                continue
            number = _number(value)
            if number is None:
                continue
            entries.append(
                {
                    "scorer": metric if filter_name == "none" else f"{metric},{filter_name}",
                    "metric": metric,
                    "filter": filter_name,
                    "value": number,
                    "stderr": _number(block.get(f"{metric}_stderr,{filter_name}")),
                    "aggregation": self._aggregation(task, metric),
                }
            )
        return entries

    def _effective(self, task: str) -> int | None:
        counts = (self._data.get("n-samples") or {}).get(task)
        if isinstance(counts, dict):
            number = _number(counts.get("effective", counts.get("original")))
            return int(number) if number is not None else None
        return None

    def _original(self, task: str) -> int | None:
        """The task's dataset size before any `limit` (lm-eval's `n-samples.original`)."""
        counts = (self._data.get("n-samples") or {}).get(task)
        if isinstance(counts, dict):
            number = _number(counts.get("original", counts.get("effective")))
            return int(number) if number is not None else None
        return None

    def _scores(self) -> list[dict[str, Any]]:
        scores = []
        counts = [self._effective(leaf) for leaf in self.leaves]
        total = (
            sum(c for c in counts if c is not None) if any(c is not None for c in counts) else None
        )
        blocks = [(self.task_name, "", total)]
        if self.leaves != [self.task_name]:
            blocks += [(leaf, f"{leaf}/", self._effective(leaf)) for leaf in self.leaves]
        for task, prefix, count in blocks:
            for entry in self._entries(self._block(task), task):
                metrics = {
                    entry["aggregation"]: {"name": entry["aggregation"], "value": entry["value"]}
                }
                if entry["stderr"] is not None:
                    metrics["stderr"] = {"name": "stderr", "value": entry["stderr"]}
                name = f"{prefix}{entry['scorer']}"
                scores.append(
                    {
                        "name": name,
                        "scorer": name,
                        "scored_samples": count,
                        "unscored_samples": 0,
                        "params": {},
                        "metrics": metrics,
                    }
                )
        return scores

    @property
    def model(self) -> str:
        config = self._data.get("config") or {}
        kind = str(config.get("model") or "").strip()
        name = str(self._data.get("model_name") or "").strip() or _model_arg(
            config.get("model_args"), "pretrained", "model", "model_name"
        )
        if kind and name and not name.startswith(f"{kind}/"):
            return f"{kind}/{name}"
        return name or kind or "unknown"

    def header(self) -> EvalLog:
        self._load()
        data = self._data
        config = data["config"]
        stamp = _number(data.get("date"))
        completed = datetime.fromtimestamp(stamp, tz=UTC) if stamp is not None else None
        duration = _number(data.get("total_evaluation_time_seconds"))
        started = completed - timedelta(seconds=duration) if completed and duration else None
        counts = [self._effective(leaf) for leaf in self.leaves]
        originals = [self._original(leaf) for leaf in self.leaves]
        spec = {
            "eval_id": self.eval_id,
            "run_id": self.eval_id,
            "task": self.task_name,
            "task_id": self.task_name,
            "created": (completed or datetime.now(tz=UTC)).isoformat(),
            "dataset": {
                "name": self.task_name,
                "samples": sum(c for c in originals if c is not None),
            },
            "model": self.model,
            "config": {"epochs": 1},
            "packages": {"lm_eval": str(data.get("lm_eval_version") or "")},
            "metadata": {
                "lm_eval": {
                    "model": config.get("model"),
                    "model_args": config.get("model_args")
                    if isinstance(config.get("model_args"), str | dict)
                    else None,
                    "git_hash": data.get("git_hash"),
                    "subtasks": self.leaves,
                    "n-shot": {k: (data.get("n-shot") or {}).get(k) for k in self.leaves},
                    "versions": {k: (data.get("versions") or {}).get(k) for k in self.leaves},
                    "task_hashes": {k: (data.get("task_hashes") or {}).get(k) for k in self.leaves},
                    "results_file": self._results_member or self.path.name,
                }
            },
        }
        header = {
            "version": 2,
            "status": "success",
            "eval": spec,
            "results": {
                "total_samples": sum(c for c in counts if c is not None),
                "scores": self._scores(),
            },
            "stats": {
                "started_at": started.isoformat() if started else "",
                "completed_at": completed.isoformat() if completed else "",
            },
        }
        try:
            return EvalLog.model_validate(header)
        except PydanticValidationError as exc:
            raise LogReadError(f"{self.label} has results Concord cannot read ({exc}).") from exc

    # --- the samples --------------------------------------------------------------------

    def _sample_member(self, task: str) -> str | None:
        if self._archive is None or self._results_member is None:
            return None
        results = PurePosixPath(self._results_member)
        stamp = RESULTS_NAME.match(results.name).group("stamp")  # type: ignore[union-attr]
        name = f"samples_{task}_{stamp}.jsonl" if stamp else f"samples_{task}.jsonl"
        wanted = str(results.parent / name) if str(results.parent) != "." else name
        return wanted if self._archive.has(wanted) else None

    def _lines(self, member: str) -> Iterator[tuple[int, dict[str, Any]]]:
        assert self._archive is not None
        label = f"{self.label}: '{member}'"
        for number, value in safety.json_lines(
            self._archive.open(member), label=label, limits=self.limits
        ):
            if not isinstance(value, dict) or "doc_id" not in value:
                raise LogReadError(f"{label}: line {number} is not an lm-eval sample (no doc_id).")
            yield number, value

    def samples(self) -> Iterator[SampleRecord]:
        self._load()
        grouped = self.leaves != [self.task_name]
        for task in self.leaves:
            member = self._sample_member(task)
            if member is None:
                continue
            entries = self._entries(self._results_block(task), task)
            filters = list(dict.fromkeys(e["filter"] for e in entries)) or ["none"]
            metric_names = list(dict.fromkeys(e["metric"] for e in entries))
            extra: dict[str, dict[str, Any]] = {}
            if len(filters) > 1:
                # lm-eval writes one line per doc and filter, filter after filter: the scores of
                # the other filters are gathered first (numbers only), then added to each sample.
                for _, line in self._lines(member):
                    if line.get("filter", filters[0]) != filters[0]:
                        extra.setdefault(str(line["doc_id"]), {}).update(
                            _line_scores(line, metric_names)
                        )
            seen: set[str] = set()
            for number, line in self._lines(member):
                if len(filters) > 1 and line.get("filter", filters[0]) != filters[0]:
                    continue
                doc_id = str(line["doc_id"])
                if doc_id in seen:
                    raise LogReadError(
                        f"{self.label}: '{member}' line {number} repeats doc_id {doc_id}."
                    )
                seen.add(doc_id)
                scores = {**_line_scores(line, metric_names), **extra.get(doc_id, {})}
                sample = self._sample(task, line, scores, grouped)
                yield SampleRecord(sample=sample, entry_name=member)

    def _results_block(self, task: str) -> dict[str, Any]:
        block = self._data["results"].get(task)
        return block if isinstance(block, dict) else {}

    def _sample(self, task: str, line: dict[str, Any], scores: dict, grouped: bool) -> EvalSample:
        doc_id = line["doc_id"]
        arguments = _arguments(line.get("arguments"))
        metadata: dict[str, Any] = {
            "lm_eval_task": task,
            "doc_id": doc_id,
            "filter": line.get("filter", "none"),
            "doc": line.get("doc"),
            **{k: line[k] for k in ("doc_hash", "prompt_hash", "target_hash") if k in line},
        }
        sample_id = f"{task}/{doc_id}" if grouped else doc_id
        if isinstance(sample_id, bool) or not isinstance(sample_id, int | str):
            sample_id = _text(sample_id)[:200]
        data = {
            "id": sample_id,
            "epoch": 1,
            "input": arguments[0][0] if arguments and arguments[0] else "",
            "target": _text(line.get("target")),
            "output": {
                "model": self.model,
                "choices": [
                    {
                        "message": {
                            "role": "assistant",
                            "content": _output(line.get("filtered_resps"), arguments),
                        },
                        "stop_reason": "stop",
                    }
                ],
            },
            "scores": {name: {"value": value} for name, value in scores.items()},
            "metadata": metadata,
        }
        try:
            return EvalSample.model_validate(data)
        except PydanticValidationError as exc:
            raise LogReadError(
                f"{self.label}: sample {doc_id} of '{task}' cannot be read ({exc.errors()[0]['msg']})."
            ) from exc


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)[:_TEXT_LIMIT]


def _arguments(value: Any) -> list[list[str]]:
    """[[context, continuation], ...] from lm-eval's `arguments` ({"gen_args_0": {"arg_0": ...}}
    in the samples files; a list of lists inline)."""
    if isinstance(value, dict):
        items = [value[k] for k in sorted(value, key=_index)]
        value = [[v[k] for k in sorted(v, key=_index)] if isinstance(v, dict) else v for v in items]
    if not isinstance(value, list):
        return []
    return [[_text(a) for a in item] if isinstance(item, list) else [_text(item)] for item in value]


def _index(key: str) -> int:
    digits = re.sub(r"\D", "", str(key))
    return int(digits) if digits else 0


def _output(responses: Any, arguments: list[list[str]]) -> str:
    """What the model answered: generated text as is; for log-likelihood requests
    ([log-likelihood, is-greedy] per choice) the continuation it found most likely."""
    if not isinstance(responses, list) or not responses:
        return "" if responses is None else _text(responses)
    if all(isinstance(r, str) for r in responses):
        return "\n".join(responses)
    if all(isinstance(r, list) and r for r in responses):
        likelihoods = [_number(r[0]) for r in responses]
        if all(x is not None for x in likelihoods):
            best = max(range(len(likelihoods)), key=lambda i: likelihoods[i])  # type: ignore[arg-type,return-value]
            if best < len(arguments) and len(arguments[best]) > 1:
                return arguments[best][1].strip()
            return f"choice {best}"
    return _text(responses)


def _line_scores(line: dict[str, Any], known: list[str]) -> dict[str, Any]:
    """The metric values of one sample line, named as the run's scorers are. The line lists its
    metrics (`metrics`); older files do not, and the task's metrics from the results are used."""
    filter_name = str(line.get("filter", "none"))
    names = line.get("metrics")
    if not isinstance(names, list):
        names = known
    scores = {}
    for metric in names:
        if not isinstance(metric, str) or metric not in line:
            continue
        value = line[metric]
        if isinstance(value, bool):
            value = float(value)
        elif isinstance(value, int | float):
            value = float(value) if math.isfinite(value) else None
        elif not isinstance(value, str):
            # Corpus-level metrics (bleu, f1, ...) log a pair per sample, not a number.
            value = {"lm_eval": _text(value)[:2000]}
        if value is None:
            continue
        scores[metric if filter_name == "none" else f"{metric},{filter_name}"] = value
    return scores
