"""Who graded a run's scores: its scorers as judges (a model grading the answers, with the grader
model) or rules, and whether two runs compared on their headline scores were graded the same way.

The rows are `RunScorer`s, written by ingestion (`evaluations.ingestion.judges`). A scorer is
found by the name the run's scores carry; a run with one scorer whose score has several values
(a dict score, one value per key) answers with that scorer for each of them.

"Same grader?" of two runs is asked of the scorer their headline score comes from
(`EvaluationRun.primary_scorer`):

- `yes`: both are judges graded by the same model (a panel: the same models);
- `no`: the grader models differ, or one is a judge and the other a rule: a difference between
  the runs may be the graders' and not the systems'. Both graders are named;
- `n/a`: both are rules (`match`, `includes`, ...): no model graded either;
- `unknown`: a run has no scorer rows (ingested before they were recorded and not read again by
  `record_scorers`), or its headline scorer is not among them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from evaluations.models import EvaluationRun, RunScorer

RULE = "rule"


def run_scorers(run_ids: Iterable[int]) -> dict[int, dict[str, RunScorer]]:
    """{run id: {scorer name: RunScorer}} for these runs, in one query."""
    out: dict[int, dict[str, RunScorer]] = defaultdict(dict)
    ids = list(set(run_ids))
    if ids:
        for scorer in RunScorer.objects.filter(run_id__in=ids).order_by("run_id", "name"):
            out[scorer.run_id][scorer.name] = scorer
    return out


def scorer_for(scorers: Mapping[str, RunScorer], name: str) -> RunScorer | None:
    """The scorer a score named `name` comes from: the scorer of that name, else the run's only
    scorer (a dict score's values carry their keys' names), else None."""
    if name in scorers:
        return scorers[name]
    if len(scorers) == 1:
        return next(iter(scorers.values()))
    return None


def with_scorers(rows: Sequence[dict], scorers: dict[str, RunScorer]) -> Sequence[dict]:
    """The run page's score rows (`results.scores.score_table`), each with its `scorer`
    (RunScorer or None), from the run's scorers (`run_scorers(...)[run.pk]`)."""
    for row in rows:
        row["scorer"] = scorer_for(scorers, row["score"].scorer)
    return rows


def describe(scorer: RunScorer | None) -> str:
    """ "judge: <model>", "rule" or "unknown", for pages and exports."""
    if scorer is None:
        return "unknown"
    if scorer.judge:
        return f"judge: {scorer.grader_model or 'model unknown'}"
    return RULE


@dataclass(frozen=True, slots=True)
class GraderMatch:
    """Whether two runs' headline scores were graded the same way (see the module docstring)."""

    scorer_a: RunScorer | None
    scorer_b: RunScorer | None

    @property
    def answer(self) -> str:
        a, b = self.scorer_a, self.scorer_b
        if a is None or b is None:
            return "unknown"
        if not a.judge and not b.judge:
            return "n/a"
        if a.judge and b.judge and a.grader_model and a.grader_model == b.grader_model:
            return "yes"
        if a.judge and b.judge and not (a.grader_model and b.grader_model):
            return "unknown"
        return "no"

    @property
    def differs(self) -> bool:
        """The runs' headline scores come from different graders: say so prominently."""
        return self.answer == "no"

    @property
    def grader_a(self) -> str:
        return describe(self.scorer_a)

    @property
    def grader_b(self) -> str:
        return describe(self.scorer_b)

    @property
    def label(self) -> str:
        """The answer in words: "yes (judge: m)", "no (A: judge: m1; B: judge: m2)",
        "n/a (rule-based scorer)", "unknown"."""
        answer = self.answer
        if answer == "yes":
            return f"yes ({self.grader_a})"
        if answer == "n/a":
            return "n/a (rule-based scorer)"
        if answer == "no":
            return f"no (A: {self.grader_a}; B: {self.grader_b})"
        return "unknown (the runs do not say which model graded)"


def primary_scorer(run: EvaluationRun, scorers: Mapping[str, RunScorer]) -> RunScorer | None:
    return scorer_for(scorers, run.primary_scorer) if scorers else None


def same_grader(
    run_a: EvaluationRun,
    run_b: EvaluationRun,
    scorers: Mapping[int, Mapping[str, RunScorer]] | None = None,
) -> GraderMatch:
    """Whether the headline scores of `run_a` and `run_b` were graded the same way. `scorers`
    (from `run_scorers`) saves the query when many pairs are asked at once."""
    if scorers is None:
        scorers = run_scorers([run_a.pk, run_b.pk])
    return GraderMatch(
        primary_scorer(run_a, scorers.get(run_a.pk, {})),
        primary_scorer(run_b, scorers.get(run_b.pk, {})),
    )
