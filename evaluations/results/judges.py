"""Judges and people side by side: the one home of the rules that turn reviews and judge scores
into pass/fail verdicts, and of the agreement figures built on them.

A review's human score is its manual score when the reviewer gave one, else the verdict of the
label chosen (a label without a verdict says nothing about the answer and is left out). An item's
human majority is the verdict held by more than half of its human scores (pass = score >= 0.5); a
tie has no majority. A judge's verdict on a sample is pass when its score, read the way Inspect
reads scores ("C" -> 1, "I" -> 0, numbers as numbers), is at least 0.5.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evaluations import stats
from evaluations.ingestion.rows import score_as_float
from evaluations.models import (
    EvaluationProject,
    EvaluationRun,
    ProjectGuideline,
    ReviewQueue,
    ReviewQueueItem,
    RunScorer,
    SampleReview,
)

PASS_THRESHOLD = 0.5


def human_score(manual_score: float | None, label_verdict: float | None) -> float | None:
    """The score a review gives the answer: the reviewer's manual score when set, else the verdict
    of the chosen label; None when neither says anything about the answer."""
    if manual_score is not None:
        return float(manual_score)
    if label_verdict is not None:
        return float(label_verdict)
    return None


def is_pass(score: float) -> bool:
    """Whether a score counts as a pass."""
    return score >= PASS_THRESHOLD


def human_majority(scores: Sequence[float]) -> float | None:
    """1.0 when more than half of the human scores pass, 0.0 when more than half fail, None on a
    tie or without scores."""
    if not scores:
        return None
    passes = sum(1 for s in scores if is_pass(s))
    fails = len(scores) - passes
    if passes * 2 > len(scores):
        return 1.0
    if fails * 2 > len(scores):
        return 0.0
    return None


def judge_verdict(value: Any) -> float | None:
    """A judge's binary verdict on one sample: 1.0 (pass) when its score is at least 0.5, 0.0
    (fail) below, None when the score has no single number."""
    number = score_as_float(value)
    if number is None:
        return None
    return 1.0 if is_pass(number) else 0.0


def scorer_value(scores: Any, name: str) -> Any:
    """A scorer's raw value in a sample's stored `scores` (``{name: {"value": ...}}``)."""
    if not isinstance(scores, dict) or name not in scores:
        return None
    entry = scores[name]
    return entry.get("value") if isinstance(entry, dict) else entry


# --------------------------------------------------------------------------------------------
# Agreement of judges with people, per review queue
# --------------------------------------------------------------------------------------------

ALL = "all"  # the label of the row over every item


class UnknownSliceKey(ValueError):
    """`by` names no metadata key of the queue's samples."""


@dataclass(frozen=True, slots=True)
class Confusion:
    """Judge pass/fail x human-majority pass/fail."""

    tp: int = 0  # judge pass, people pass
    fn: int = 0  # judge fail, people pass
    fp: int = 0  # judge pass, people fail
    tn: int = 0  # judge fail, people fail

    @property
    def n(self) -> int:
        return self.tp + self.fn + self.fp + self.tn

    @property
    def discrepancies(self) -> int:
        return self.fn + self.fp


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """One judge on the items of one slice value (or on all of them: ``overall``)."""

    slice_value: str
    overall: bool
    confusion: Confusion
    discrepancy: float | None
    discrepancy_ci: tuple[float, float] | None
    kappa: stats.KappaEstimate | None  # Cohen's, judge vs human majority
    balanced: stats.BalancedAccuracy
    fleiss: stats.FleissKappa | None  # judge + each person, items with >= 2 human scores
    fleiss_ci: tuple[float, float] | None

    @property
    def n(self) -> int:
        return self.confusion.n

    @property
    def kappa_value(self) -> float | None:
        return self.kappa.kappa if self.kappa is not None else None

    @property
    def kappa_ci(self) -> tuple[float, float] | None:
        k = self.kappa
        if k is None or k.ci_low is None or k.ci_high is None:
            return None
        return (k.ci_low, k.ci_high)


@dataclass(frozen=True, slots=True)
class JudgeAgreement:
    """One judge (a scorer name and its grader model) of a queue, row by slice value."""

    name: str
    grader_model: str
    rows: list[AgreementRow]
    threshold: float | None

    @property
    def overall(self) -> AgreementRow:
        return next(r for r in self.rows if r.overall)

    @property
    def flagged(self) -> bool:
        """Cohen's kappa over every item below the guideline's threshold (an undefined kappa is
        not flagged: it says nothing either way)."""
        kappa = self.overall.kappa_value
        return self.threshold is not None and kappa is not None and kappa < self.threshold


@dataclass(frozen=True, slots=True)
class RaterRow:
    """Agreement among the people who reviewed the items of one slice value."""

    slice_value: str
    overall: bool
    agreement: stats.RaterAgreement


@dataclass(frozen=True, slots=True)
class QueueAgreement:
    queue: ReviewQueue
    by: str  # the metadata key of the rows ("" when the queue has no slice key)
    keys: list[str]  # every key `by` may take
    threshold: float | None
    items: int  # the queue's items
    with_majority: int  # items whose reviews have a human majority
    judges: list[JudgeAgreement]
    raters: list[RaterRow]
    slice_values: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[JudgeAgreement]:
        return [j for j in self.judges if j.flagged]


@dataclass
class _Item:
    pk: int
    sample_id: int
    run_id: int
    slice_value: str
    metadata: dict
    scores: dict
    humans: dict[int, float] = field(default_factory=dict)  # reviewer -> human score

    @property
    def majority(self) -> float | None:
        return human_majority(list(self.humans.values()))


@dataclass
class _QueueData:
    queue: ReviewQueue
    items: list[_Item]
    judges: dict[int, list[tuple[str, str]]]  # run id -> its judges (name, grader model)
    threshold: float | None


def _adopted_threshold(project_ids: Iterable[int]) -> dict[int, float]:
    """Per project, the strictest judge_min_kappa of its adopted guideline versions (one query)."""
    out: dict[int, float] = {}
    rows = ProjectGuideline.objects.filter(
        project_id__in=list(project_ids), version__judge_min_kappa__isnull=False
    ).values_list("project_id", "version__judge_min_kappa")
    for project_id, kappa in rows:
        if kappa is not None:
            out[project_id] = max(kappa, out.get(project_id, kappa))
    return out


def _threshold(queue: ReviewQueue, adopted: dict[int, float]) -> float | None:
    version = queue.guideline_version
    if version is not None and version.judge_min_kappa is not None:
        return version.judge_min_kappa
    return adopted.get(queue.project_id)


def _load(queues: list[ReviewQueue]) -> list[_QueueData]:
    """Items, reviews, judges and thresholds of the queues, in five queries whatever their size.
    The queues come with `guideline_version` selected."""
    if not queues:
        return []
    ids = [q.pk for q in queues]
    links = ReviewQueue.runs.through.objects.filter(reviewqueue_id__in=ids).values_list(
        "reviewqueue_id", "evaluationrun_id"
    )
    runs_of: dict[int, set[int]] = defaultdict(set)
    for queue_id, run_id in links:
        runs_of[queue_id].add(run_id)
    judges: dict[int, list[tuple[str, str]]] = defaultdict(list)
    all_runs = {r for runs in runs_of.values() for r in runs}
    for run_id, name, grader in (
        RunScorer.objects.filter(run_id__in=all_runs, judge=True)
        .order_by("run_id", "name")
        .values_list("run_id", "name", "grader_model")
    ):
        judges[run_id].append((name, grader))
    items: dict[int, list[_Item]] = defaultdict(list)
    by_sample: dict[int, list[_Item]] = defaultdict(list)
    for pk, queue_id, sample_id, run_id, slice_value, metadata, scores in (
        ReviewQueueItem.objects.filter(queue_id__in=ids)
        .order_by("queue_id", "position", "pk")
        .values_list(
            "pk",
            "queue_id",
            "sample_id",
            "sample__run_id",
            "slice_value",
            "sample__metadata",
            "sample__scores",
        )
    ):
        item = _Item(pk, sample_id, run_id, slice_value, metadata or {}, scores or {})
        items[queue_id].append(item)
        by_sample[sample_id].append(item)
    for sample_id, reviewer_id, manual, verdict in (
        SampleReview.objects.filter(sample_id__in=list(by_sample))
        .order_by("sample_id", "reviewer_id")
        .values_list("sample_id", "reviewer_id", "manual_score", "label__verdict")
    ):
        score = human_score(manual, verdict)
        if score is None:
            continue
        for item in by_sample[sample_id]:
            item.humans[reviewer_id] = score
    adopted = _adopted_threshold({q.project_id for q in queues})
    return [_QueueData(q, items.get(q.pk, []), judges, _threshold(q, adopted)) for q in queues]


def _slice_keys(data: _QueueData) -> list[str]:
    """Metadata keys with a plain value (text, number, yes/no) on some item, and the queue's
    slice key."""
    keys = {data.queue.slice_key} if data.queue.slice_key else set()
    for item in data.items:
        for key, value in item.metadata.items():
            if isinstance(value, str | int | float | bool) and key:
                keys.add(str(key))
    return sorted(keys)


def _slice_value(item: _Item, by: str, queue: ReviewQueue) -> str:
    if not by:
        return ""
    if by == queue.slice_key:
        return item.slice_value
    value = item.metadata.get(by)
    if value is None or isinstance(value, list | dict):
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _row(
    slice_value: str,
    overall: bool,
    pairs: list[tuple[float, float]],
    ratings: list[list[int]],
    *,
    with_fleiss: bool,
) -> AgreementRow:
    """`pairs`: (judge verdict, human majority); `ratings`: per item with >= 2 human scores and a
    judge verdict, [passes, fails] counted over the judge and each person."""
    tp = sum(1 for j, h in pairs if j == 1.0 and h == 1.0)
    fn = sum(1 for j, h in pairs if j == 0.0 and h == 1.0)
    fp = sum(1 for j, h in pairs if j == 1.0 and h == 0.0)
    tn = sum(1 for j, h in pairs if j == 0.0 and h == 0.0)
    confusion = Confusion(tp, fn, fp, tn)
    n = confusion.n
    kappa = stats.cohen_kappa_from_table([[tp, fp], [fn, tn]]) if n else None
    fleiss = fleiss_ci = None
    if with_fleiss and ratings:
        fleiss = stats.fleiss_kappa(ratings)
        fleiss_ci = stats.fleiss_kappa_interval(ratings) if fleiss.kappa is not None else None
    return AgreementRow(
        slice_value=slice_value,
        overall=overall,
        confusion=confusion,
        discrepancy=confusion.discrepancies / n if n else None,
        discrepancy_ci=stats.wilson_interval(confusion.discrepancies, n) if n else None,
        kappa=kappa,
        balanced=stats.balanced_accuracy(tp, fn, fp, tn),
        fleiss=fleiss,
        fleiss_ci=fleiss_ci,
    )


def _agreement(data: _QueueData, by: str, *, overall_only: bool = False) -> QueueAgreement:
    queue = data.queue
    keys = _slice_keys(data)
    values = sorted({_slice_value(i, by, queue) for i in data.items}) if by else []
    judge_ids = sorted({j for i in data.items for j in data.judges.get(i.run_id, ())})
    judges = []
    for name, grader in judge_ids:
        per_value: dict[str, list[tuple[float, float]]] = defaultdict(list)
        ratings: dict[str, list[list[int]]] = defaultdict(list)
        every_pair: list[tuple[float, float]] = []  # in item order, whatever the slicing
        every_rating: list[list[int]] = []
        for item in data.items:
            if (name, grader) not in data.judges.get(item.run_id, ()):
                continue
            verdict = judge_verdict(scorer_value(item.scores, name))
            if verdict is None:
                continue
            value = _slice_value(item, by, queue)
            majority = item.majority
            if majority is not None:
                per_value[value].append((verdict, majority))
                every_pair.append((verdict, majority))
            if len(item.humans) >= 2:
                passes = (verdict == 1.0) + sum(1 for s in item.humans.values() if is_pass(s))
                ratings[value].append([passes, len(item.humans) + 1 - passes])
                every_rating.append(ratings[value][-1])
        rows = [_row(ALL, True, every_pair, every_rating, with_fleiss=not overall_only)]
        if not overall_only:
            rows += [
                _row(v, False, per_value.get(v, []), ratings.get(v, []), with_fleiss=True)
                for v in values
            ]
        judges.append(JudgeAgreement(name, grader, rows, data.threshold))
    raters = []
    if not overall_only:
        labels: dict[str, dict[int, dict[int, float]]] = defaultdict(dict)
        for item in data.items:
            verdicts = {r: 1.0 if is_pass(s) else 0.0 for r, s in item.humans.items()}
            labels[_slice_value(item, by, queue)][item.pk] = verdicts
        every = {pk: v for group in labels.values() for pk, v in group.items()}
        raters.append(RaterRow(ALL, True, stats.rater_agreement(every)))
        raters += [RaterRow(v, False, stats.rater_agreement(labels.get(v, {}))) for v in values]
    return QueueAgreement(
        queue=queue,
        by=by,
        keys=keys,
        threshold=data.threshold,
        items=len(data.items),
        with_majority=sum(1 for i in data.items if i.majority is not None),
        judges=judges,
        raters=raters,
        slice_values=values,
    )


def queue_agreement(queue: ReviewQueue, *, by: str | None = None) -> QueueAgreement:
    """How each judge of the queue's runs agrees with the people who reviewed its items, per
    value of the metadata key `by` (default: the queue's slice key) and over every item; and how
    the people agree among themselves. Five queries whatever the queue's size (six when the
    queue comes without its guideline version selected). Raises
    `UnknownSliceKey` when `by` is no metadata key of the queue's samples."""
    data = _load([queue])[0]
    key = queue.slice_key if by is None else by
    if key and key not in _slice_keys(data):
        raise UnknownSliceKey(f"No sample of this queue has the metadata key {key!r}.")
    return _agreement(data, key)


# --------------------------------------------------------------------------------------------
# Judges flagged below the guideline's threshold, and the results that depend on them
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JudgeFlag:
    """A judge whose Cohen's kappa with the human majority, over every item of `queue`, is below
    `threshold`."""

    name: str
    grader_model: str
    kappa: float
    ci: tuple[float, float] | None
    threshold: float
    queue: ReviewQueue
    n: int

    @property
    def label(self) -> str:
        return f"{self.name} ({self.grader_model})" if self.grader_model else self.name

    @property
    def summary(self) -> str:
        """One line for exports: which judge, its kappa and the threshold, in which queue."""
        return (
            f"{self.label}: kappa {self.kappa:.3f} below {self.threshold:.3f} "
            f"(queue {self.queue.pk}, {self.queue.name})"
        )


def judge_flags(project: EvaluationProject) -> dict[tuple[str, str], JudgeFlag]:
    """(scorer name, grader model) -> its flag, for every judge whose overall kappa in any queue
    of the project (open or closed) is below that queue's threshold; where several queues flag
    it, the lowest kappa. Six queries whatever the number of queues (one without queues)."""
    queues = list(ReviewQueue.objects.filter(project=project).select_related("guideline_version"))
    flags: dict[tuple[str, str], JudgeFlag] = {}
    for data in _load(queues):
        if data.threshold is None:
            continue
        agreement = _agreement(data, "", overall_only=True)
        for judge in agreement.judges:
            if not judge.flagged:
                continue
            row = judge.overall
            kappa, threshold = row.kappa_value, agreement.threshold
            if kappa is None or threshold is None:  # never: flagged says both are set
                continue
            key = (judge.name, judge.grader_model)
            if key not in flags or kappa < flags[key].kappa:
                flags[key] = JudgeFlag(
                    judge.name,
                    judge.grader_model,
                    kappa,
                    row.kappa_ci,
                    threshold,
                    data.queue,
                    row.n,
                )
    return flags


def run_judges(runs: Iterable[EvaluationRun]) -> dict[int, tuple[str, str]]:
    """Run id -> the judge (name, grader model) its headline score comes from, for runs whose
    primary scorer is a judge (one query)."""
    by_id = {r.pk: r for r in runs}
    if not by_id:
        return {}
    rows = RunScorer.objects.filter(run_id__in=list(by_id), judge=True).values_list(
        "run_id", "name", "grader_model"
    )
    return {
        run_id: (name, grader)
        for run_id, name, grader in rows
        if by_id[run_id].primary_scorer == name
    }


def flags_for_runs(
    project: EvaluationProject, runs: Iterable[EvaluationRun]
) -> dict[int, list[JudgeFlag]]:
    """Run id -> the flags of the judge its headline depends on (runs of `project`). One query
    when no headline comes from a judge, seven otherwise."""
    depends = run_judges(runs)
    if not depends:
        return {}
    flags = judge_flags(project)
    return {run_id: [flags[key]] for run_id, key in depends.items() if key in flags}


# --------------------------------------------------------------------------------------------
# The figures as data: the JSON export and the API give the same dictionary
# --------------------------------------------------------------------------------------------


def _pair(ci: tuple[float, float] | None) -> list[float] | None:
    return [ci[0], ci[1]] if ci is not None else None


def _row_data(row: AgreementRow) -> dict[str, Any]:
    c = row.confusion
    fleiss = row.fleiss
    return {
        "slice": row.slice_value,
        "overall": row.overall,
        "n": row.n,
        "discrepancies": c.discrepancies,
        "discrepancy": row.discrepancy,
        "discrepancy_ci": _pair(row.discrepancy_ci),
        "kappa": row.kappa_value,
        "kappa_ci": _pair(row.kappa_ci),
        "kappa_stderr": row.kappa.stderr if row.kappa is not None else None,
        "balanced_accuracy": row.balanced.value,
        "balanced_accuracy_ci": _pair(row.balanced.ci),
        "tpr": row.balanced.tpr,
        "tpr_ci": _pair(row.balanced.tpr_ci),
        "tnr": row.balanced.tnr,
        "tnr_ci": _pair(row.balanced.tnr_ci),
        "confusion": {
            "judge_pass_human_pass": c.tp,
            "judge_fail_human_pass": c.fn,
            "judge_pass_human_fail": c.fp,
            "judge_fail_human_fail": c.tn,
        },
        "fleiss_kappa": fleiss.kappa if fleiss is not None else None,
        "fleiss_kappa_ci": _pair(row.fleiss_ci),
        "fleiss_items": fleiss.subjects if fleiss is not None else 0,
    }


def _rater_data(row: RaterRow) -> dict[str, Any]:
    a = row.agreement
    return {
        "slice": row.slice_value,
        "overall": row.overall,
        "method": a.method,
        "kappa": a.kappa,
        "kappa_stderr": a.stderr,
        "observed": a.observed,
        "items": a.subjects,
        "reviewers": a.raters,
        "ratings": a.ratings,
    }


def agreement_data(agreement: QueueAgreement) -> dict[str, Any]:
    """Every figure of `queue_agreement`, JSON-serialisable (the page's JSON export and the API)."""
    queue = agreement.queue
    return {
        "queue": queue.pk,
        "queue_name": queue.name,
        "project": queue.project.slug,
        "by": agreement.by,
        "keys": agreement.keys,
        "threshold": agreement.threshold,
        "confidence": stats.DEFAULT_CONFIDENCE,
        "items": agreement.items,
        "items_with_majority": agreement.with_majority,
        "judges": [
            {
                "scorer": j.name,
                "grader_model": j.grader_model,
                "flagged": j.flagged,
                "rows": [_row_data(r) for r in j.rows],
            }
            for j in agreement.judges
        ],
        "reviewers": [_rater_data(r) for r in agreement.raters],
    }


AGREEMENT_CSV_FIELDS = (
    "scorer",
    "grader_model",
    "by",
    "slice",
    "overall",
    "n",
    "discrepancies",
    "discrepancy",
    "discrepancy_ci_low",
    "discrepancy_ci_high",
    "kappa",
    "kappa_ci_low",
    "kappa_ci_high",
    "balanced_accuracy",
    "balanced_accuracy_ci_low",
    "balanced_accuracy_ci_high",
    "tpr",
    "tpr_ci_low",
    "tpr_ci_high",
    "tnr",
    "tnr_ci_low",
    "tnr_ci_high",
    "judge_pass_human_pass",
    "judge_fail_human_pass",
    "judge_pass_human_fail",
    "judge_fail_human_fail",
    "fleiss_kappa",
    "fleiss_kappa_ci_low",
    "fleiss_kappa_ci_high",
    "fleiss_items",
    "reviewers_kappa",
    "reviewers_method",
    "threshold",
    "flagged",
)


def agreement_csv_rows(agreement: QueueAgreement) -> list[list[Any]]:
    """One row per judge and slice value (the "all" row first), with the reviewers' own kappa
    on the same items."""
    data = agreement_data(agreement)
    raters = {(r["slice"], r["overall"]): r for r in data["reviewers"]}
    out = []
    for judge in data["judges"]:
        for row in judge["rows"]:
            rater = raters.get((row["slice"], row["overall"]), {})
            flat = {
                "scorer": judge["scorer"],
                "grader_model": judge["grader_model"],
                "by": data["by"],
                "threshold": data["threshold"],
                "flagged": judge["flagged"] if row["overall"] else "",
                "reviewers_kappa": rater.get("kappa"),
                "reviewers_method": rater.get("method", ""),
                **{k: v for k, v in row.items() if k != "confusion"},
                **row["confusion"],
            }
            for name in ("discrepancy", "kappa", "balanced_accuracy", "tpr", "tnr", "fleiss_kappa"):
                ci = row[f"{name}_ci"]
                flat[f"{name}_ci_low"], flat[f"{name}_ci_high"] = ci if ci else (None, None)
            out.append([flat[f] for f in AGREEMENT_CSV_FIELDS])
    return out
