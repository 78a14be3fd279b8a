"""Which scorers of a log are judges (a model grading the answers) and which model graded.

An Inspect log says it in four places, read here in this order for each scorer:

1. the scorer's parameters (`results.scores[].params`, the arguments it was created with): a
   `model=` (a name, a serialised `Model`, or a list for a panel of graders), or a
   `grader_model=` / `judge_model=` of a custom scorer;
2. the per-sample `Score.metadata` of the scorer: a `grader_model` (or `judge_model`, `grader`,
   `judge`, `model`) that names the model which graded that sample;
3. the model roles of the evaluation (`eval.model_roles`): Inspect's model-graded scorers grade
   with the model bound to their role (`model_role=`, "grader" unless given), when no `model=`
   was passed;
4. the scorer's name: `model_graded_qa` and `model_graded_fact` always grade with a model. With
   no model passed and no role bound, Inspect grades with the evaluated model itself.

A scorer whose samples carry a grader's transcript (`metadata["grading"]`, what Inspect's
model-graded scorers keep) is a judge too; the model named in that transcript is the last
resort for its grader model. Every other scorer is a rule (`match`, `includes`, ...).

`scorer_records(log, graders)` answers for a log; ingestion calls it inside its transaction, with
a `SampleGraders` that has watched the samples stream by (one sample in memory at a time).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from inspect_ai.log import EvalLog, EvalSample

from evaluations.ingestion import rows
from evaluations.ingestion.records import SampleRecord

# Inspect's scorers that always grade with a model.
MODEL_GRADED_SCORERS = frozenset({"model_graded_qa", "model_graded_fact"})
DEFAULT_ROLE = "grader"  # the role Inspect's model-graded scorers use unless told otherwise
PARAM_KEYS = ("model", "grader_model", "judge_model", "grader", "judge")
METADATA_KEYS = ("grader_model", "judge_model", "grader", "judge", "model")
GRADER_MAX_LENGTH = 200  # RunScorer.grader_model
_KEEP = 8  # distinct grader names remembered per scorer (a panel; never one per sample)
_NUMBERED = re.compile(r"^(?P<base>.+?)(?P<n>\d+)$")


def _model_name(value: Any) -> str | None:
    """A model as the parameters or metadata hold it: a name as Inspect writes it
    (`provider/model`: a bare word such as "strict" is not a model), or a serialised `Model`
    ({"model": name})."""
    if isinstance(value, str) and "/" in value.strip(" /"):
        return value.strip()
    if isinstance(value, Mapping):
        return _model_name(value.get("model"))
    return None


def _transcript_model(value: Any) -> str | None:
    """The model a grader's reply names (Inspect keeps the API's name, without its provider)."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _model_names(value: Any) -> list[str]:
    """One model or a panel (a list) of them, in the order given."""
    items = value if isinstance(value, list | tuple) else [value]
    names = [name for name in (_model_name(item) for item in items) if name]
    return list(dict.fromkeys(names))


def _joined(names: Iterable[str]) -> str:
    return ", ".join(names)[:GRADER_MAX_LENGTH]


class SampleGraders:
    """What the samples say about the graders of their scorers, gathered as they stream by: per
    scorer, the models its `Score.metadata` names, and whether it kept a grader's transcript."""

    def __init__(self) -> None:
        self.named: dict[str, Counter[str]] = {}
        self.transcripts: dict[str, Counter[str]] = {}

    @staticmethod
    def _count(table: dict[str, Counter[str]], scorer: str, model: str | None) -> None:
        counter = table.setdefault(scorer, Counter())
        if model and (model in counter or len(counter) < _KEEP):
            counter[model] += 1

    def observe(self, sample: EvalSample) -> None:
        self.observe_scores(rows.sample_scores(sample))

    def observe_scores(self, scores: Mapping[str, Mapping[str, Any]]) -> None:
        """A sample's scores as Concord stores them (`records.StoredSample.scores`)."""
        for scorer, score in scores.items():
            metadata = score["metadata"]
            if not metadata:
                continue
            named = next(
                (
                    m
                    for m in (_model_name(metadata[k]) for k in METADATA_KEYS if k in metadata)
                    if m
                ),
                None,
            )
            if named:
                self._count(self.named, scorer, named)
            grading = metadata.get("grading")
            if isinstance(grading, list):
                for message in grading:
                    if isinstance(message, Mapping) and message.get("role") == "assistant":
                        model = _transcript_model(message.get("model"))
                        self._count(self.transcripts, scorer, model)

    def watch(self, records: Iterable[SampleRecord]) -> Iterator[SampleRecord]:
        """The records, unchanged, each observed on its way through."""
        for record in records:
            self.observe_scores(record.stored.scores)
            yield record

    def named_model(self, scorer: str) -> str:
        counter = self.named.get(scorer)
        return _joined(m for m, _ in counter.most_common()) if counter else ""

    def kept_transcript(self, scorer: str) -> bool:
        return scorer in self.transcripts

    def transcript_model(self, scorer: str) -> str:
        counter = self.transcripts.get(scorer)
        return _joined(m for m, _ in counter.most_common()) if counter else ""


def _scorers(log: EvalLog) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, registry name, params) of every scorer of the log, in order. The name is the one
    the samples' scores and the results use (Inspect numbers a repeated scorer: `model_graded_qa`,
    `model_graded_qa1`); the registry name says which scorer it is."""
    declared: dict[str, tuple[str, dict[str, Any]]] = {}
    used: list[str] = []
    for spec in log.eval.scorers or []:
        base = spec.name.rsplit("/", 1)[-1]
        name, count = base, 1
        while name in used:  # as Inspect's unique_scorer_name
            name, count = f"{base}{count}", count + 1
        used.append(name)
        declared[name] = (base, dict(spec.options or {}))
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for score in log.results.scores if log.results else []:
        name = score.scorer or score.name
        if name in out:  # a scorer with several values (a dict score): one scorer
            continue
        base, options = declared.get(name, ("", {}))
        if not base:
            numbered = _NUMBERED.match(name)
            base = numbered["base"] if numbered else name
        out[name] = (base, dict(score.params or options))
    for name, (base, options) in declared.items():
        out.setdefault(name, (base, options))  # a run that ended before its results
    return [(name, base, params) for name, (base, params) in out.items()]


def _role_model(log: EvalLog, role: str) -> str:
    bound = (log.eval.model_roles or {}).get(role)
    if bound is None:
        return ""
    configs = bound if isinstance(bound, list) else [bound]
    return _joined(dict.fromkeys(c.model for c in configs if c.model))


def _record(
    log: EvalLog, name: str, base: str, params: dict[str, Any], graders: SampleGraders
) -> dict[str, Any]:
    known = base in MODEL_GRADED_SCORERS or name in MODEL_GRADED_SCORERS
    explicit = next((_model_names(params[k]) for k in PARAM_KEYS if params.get(k)), [])
    if explicit:
        return {"name": name, "judge": True, "grader_model": _joined(explicit)}
    named = graders.named_model(name)
    if named:
        return {"name": name, "judge": True, "grader_model": named}
    role_given = "model_role" in params
    role = params.get("model_role") if role_given else (DEFAULT_ROLE if known else None)
    if isinstance(role, Mapping):  # a serialised ModelRole
        role = role.get("name")
    role_model = _role_model(log, role) if isinstance(role, str) and role else ""
    if role_model:
        return {"name": name, "judge": True, "grader_model": role_model}
    if known or role_given:
        # No model and no bound role: Inspect grades with the evaluated model itself.
        return {"name": name, "judge": True, "grader_model": (log.eval.model or "")[:200]}
    if graders.kept_transcript(name):
        return {"name": name, "judge": True, "grader_model": graders.transcript_model(name)}
    return {"name": name, "judge": False, "grader_model": ""}


def scorer_records(
    log: EvalLog, graders: SampleGraders | None = None, *, rules_only: bool = False
) -> list[dict[str, Any]]:
    """One `{"name", "judge", "grader_model"}` per scorer of the log (see the module docstring).

    `graders` holds what the samples said (`SampleGraders.watch` during ingestion); without it
    the log's own samples are read when it has them (a log read whole). `rules_only`: every
    scorer is a rule (lm-evaluation-harness results have no judges)."""
    if graders is None:
        graders = SampleGraders()
        for sample in log.samples or []:
            graders.observe(sample)
    records = []
    for name, base, params in _scorers(log):
        if rules_only:
            records.append({"name": name[:200], "judge": False, "grader_model": ""})
            continue
        record = _record(log, name, base, params, graders)
        record["name"] = name[:200]
        records.append(record)
    return records


__all__ = ["MODEL_GRADED_SCORERS", "SampleGraders", "scorer_records"]
