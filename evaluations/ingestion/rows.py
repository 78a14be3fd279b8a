"""From Inspect's models to Concord's rows: one place for score conversion and text extraction."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
from inspect_ai.log import EvalLog, EvalSample
from inspect_ai.scorer import value_to_float

_to_float = value_to_float()

# Metrics whose standard error Inspect's `stderr` metric measures (the mean of the sample values).
_MEAN_METRICS = {"accuracy", "mean"}


def clean_text(value: Any) -> str:
    """PostgreSQL text and jsonb cannot hold NUL characters."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text.replace("\x00", "\ufffd")


def clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/Infinity
    if value is None or isinstance(value, bool | int | float):
        return value
    return clean_text(value)


_ORJSON_STRICT = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _not_json(value: Any) -> Any:
    raise TypeError


def jsonb_text(value: Any) -> str:
    """`value` as the JSON text of a jsonb column: what `json.dumps(clean_json(value))` stores,
    written by orjson when it can (NaN and infinities become null there too). A NUL character,
    a key that is not a string, an integer beyond 64 bits or a value that JSON does not hold
    takes `clean_json`."""
    try:
        data = orjson.dumps(value, default=_not_json, option=_ORJSON_STRICT)
    except TypeError:
        return json.dumps(clean_json(value))
    if b"\\u0000" in data:
        return json.dumps(clean_json(value))
    return data.decode()


def finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def score_as_float(value: Any) -> float | None:
    """A sample score as a number, with Inspect's `value_to_float` semantics ("C" -> 1, "I" -> 0,
    "P" -> 0.5, numbers as numbers). Lists and dicts have no single number: None."""
    if value is None or isinstance(value, list | dict):
        return None
    return finite(_to_float(value))


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def primary_score(log: EvalLog) -> tuple[str, str, float | None, float | None]:
    """(scorer, metric, value, stderr) of the headline result: the first scorer, its accuracy (or
    mean, or first metric), and the stderr the scorer reports."""
    if log.results is None or not log.results.scores:
        return "", "", None, None
    first = log.results.scores[0]
    metrics = first.metrics
    name = next(
        (m for m in ("accuracy", "mean") if m in metrics),
        next((m for m in metrics if m != "stderr"), ""),
    )
    value = finite(metrics[name].value) if name else None
    stderr = finite(metrics["stderr"].value) if "stderr" in metrics else None
    return first.name, name, value, stderr if name in _MEAN_METRICS else None


def run_setup(log: EvalLog) -> dict[str, Any]:
    """How the run was set up, as its log's header says: the Inspect version, the sandbox, the
    solver plan (the scaffold or agent, with its parameters), the task's version and arguments.
    What a header does not hold (lm-evaluation-harness results) is left out."""
    spec = log.eval
    setup: dict[str, Any] = {}
    packages = getattr(spec, "packages", None) or {}
    if packages.get("inspect_ai"):
        setup["inspect_version"] = str(packages["inspect_ai"])
    sandbox = getattr(spec, "sandbox", None)
    if sandbox is not None:
        kind = getattr(sandbox, "type", None) or str(sandbox)
        config = getattr(sandbox, "config", None)
        setup["sandbox"] = f"{kind} ({config})" if isinstance(config, str) and config else kind
    plan = getattr(log, "plan", None)
    steps = [step for step in (getattr(plan, "steps", None) or []) if step.solver]
    solver = getattr(spec, "solver", None)
    if solver:
        setup["scaffold"] = solver
        if getattr(spec, "solver_args", None):
            setup["scaffold_args"] = clean_json(spec.solver_args)
    elif steps:
        setup["scaffold"] = " → ".join(step.solver for step in steps)
        setup["scaffold_args"] = clean_json({s.solver: s.params for s in steps if s.params})
    if getattr(spec, "task_version", None) not in (None, 0, ""):
        setup["task_version"] = clean_json(spec.task_version)
    if getattr(spec, "task_args", None):
        setup["task_args"] = clean_json(spec.task_args)
    return setup


def run_scores(log: EvalLog) -> list[dict[str, Any]]:
    """Every scorer and metric of the log. `stderr` is filled for the metrics it measures."""
    rows: list[dict[str, Any]] = []
    if log.results is None:
        return rows
    for score in log.results.scores:
        stderr = finite(score.metrics["stderr"].value) if "stderr" in score.metrics else None
        for metric_name, metric in score.metrics.items():
            rows.append(
                {
                    "scorer": score.name[:200],
                    "metric": metric_name[:100],
                    "value": finite(metric.value),
                    "stderr": stderr if metric_name in _MEAN_METRICS else None,
                    "scored_samples": score.scored_samples,
                }
            )
    return rows


def joined_messages(messages: Iterable[tuple[str, str]]) -> str:
    """A message-list input as one text: `role: text` per message, a blank line between."""
    return "\n\n".join(f"{role}: {text}" for role, text in messages)


def joined_targets(target: str | list[str] | None) -> str:
    if isinstance(target, list):
        return " | ".join(target)
    return target or ""


def input_text(sample: EvalSample) -> str:
    if isinstance(sample.input, str):
        return sample.input
    return joined_messages((m.role, m.text) for m in sample.input)


def target_text(sample: EvalSample) -> str:
    return joined_targets(sample.target)


def score_fields(value: Any, answer: Any, explanation: Any, metadata: Any) -> dict[str, Any]:
    """What Concord keeps of one Score."""
    return {"value": value, "answer": answer, "explanation": explanation, "metadata": metadata}


def sample_scores(sample: EvalSample) -> dict[str, Any]:
    return {
        name: score_fields(score.value, score.answer, score.explanation, score.metadata)
        for name, score in (sample.scores or {}).items()
    }


def primary_value(scores: dict[str, dict[str, Any]], scorer: str) -> float | None:
    """A sample's value for the headline scorer, from its stored scores (`sample_scores`): the
    scorer's own value, or the key of a dict-valued scorer that bears its name."""
    if scorer in scores:
        return score_as_float(scores[scorer]["value"])
    for score in scores.values():
        value = score["value"]
        if isinstance(value, dict) and scorer in value:
            return score_as_float(value[scorer])
    if not scorer and len(scores) == 1:
        return score_as_float(next(iter(scores.values()))["value"])
    return None


def sample_primary_value(sample: EvalSample, scorer: str) -> float | None:
    """The sample's value for the headline scorer (a key of a dict-valued scorer counts too)."""
    return primary_value(sample_scores(sample), scorer)


def sample_tokens(sample: EvalSample) -> int:
    return sum(usage.total_tokens or 0 for usage in sample.model_usage.values())


def usage_totals(log: EvalLog) -> tuple[int, int, int]:
    usage = log.stats.model_usage.values() if log.stats else []
    inputs = outputs = totals = 0
    for item in usage:
        inputs += item.input_tokens or 0
        outputs += item.output_tokens or 0
        totals += item.total_tokens or 0
    return inputs, outputs, totals


def completeness(log: EvalLog, *, sample_ids: int, sample_rows: int) -> tuple[int | None, bool]:
    """(dataset size, complete) of a run: complete when it covers every sample of its dataset at
    every configured epoch. The header's dataset size counts the whole dataset, before a `limit`
    or `sample_id` subset (lm-eval's `n-samples.original`); a log that stores no samples is
    judged by the number its results say were run. Without a known dataset size, a run is
    complete unless its config asked for a subset."""
    spec = log.eval
    dataset = spec.dataset.samples if spec.dataset is not None else None
    epochs = spec.config.epochs or 1
    if not dataset:
        return None, spec.config.limit is None and not spec.config.sample_id
    if sample_rows:
        return dataset, sample_ids >= dataset and sample_rows >= dataset * epochs
    run = (log.results.completed_samples or log.results.total_samples) if log.results else 0
    return dataset, run >= dataset * epochs
