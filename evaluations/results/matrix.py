"""A project's results matrix: tasks x systems, each cell the primary score of its representative
run (`results.representative`: pinned, else the latest complete successful run, else the latest
partial one) with its 95% CI, grouped by domain (and the workstream that covers it).

Reads only; the caller passes a project whose results the user may see. A fixed number of queries
whatever the number of runs and samples: the successful runs (with their tasks' domains and whether
their headline comes from an LLM judge) and the pins (one each), their score summaries
(`scores.run_score_summaries`: stored at ingestion, else one aggregate query), run counts per cell,
the project's systems, workstreams and institutes (one each, the institutes none when the caller
has them), and, only when a headline comes from a judge, the flags of judges that people disagree
with (`judges.flags_for_runs`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse

from evaluations import stats
from evaluations.models import (
    AISystem,
    Domain,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    Participation,
    PinnedRun,
    ProjectSystem,
    RunScorer,
    Workstream,
)
from evaluations.results import judges, representative, scores
from institutes.models import Institute


@dataclass
class Column:
    system: AISystem
    is_reference: bool
    in_project: bool = True

    @property
    def kind(self) -> str:
        return "reference" if self.is_reference else "target"


@dataclass
class Cell:
    task: EvaluationTask
    system: AISystem
    run: EvaluationRun | None  # the representative run shown (`results.representative`)
    estimate: stats.MeanEstimate | None  # its headline, from `scores.run_score_summaries`
    run_count: int  # every run of (task, system) within the filter, whatever its status
    institutes: list[str] = field(default_factory=list)  # institutes with a successful run
    pin: PinnedRun | None = None  # the lead's choice of `run`, if a lead chose it
    judge_flags: list = field(default_factory=list)  # `judges.JudgeFlag`s its headline depends on

    @property
    def pinned(self) -> bool:
        return self.pin is not None

    @property
    def complete(self) -> bool:
        return self.run is None or self.run.complete

    @property
    def partial_label(self) -> str:
        """ "partial: 10 of 30" when the cell has only partial runs; "" otherwise."""
        return self.run.partial_label if self.run is not None else ""

    @property
    def mean(self) -> float | None:
        if self.estimate is not None:
            return self.estimate.mean
        return self.run.primary_value if self.run is not None else None

    @property
    def ci(self) -> tuple[float, float] | None:
        """The run's headline interval (`scores.run_score_summaries`), none without samples."""
        return scores.interval(self.estimate)[0]

    @property
    def stderr(self) -> float | None:
        if self.estimate is not None:
            return self.estimate.stderr
        return self.run.primary_stderr if self.run is not None else None

    @property
    def ci_method(self) -> str:
        return scores.interval(self.estimate)[1]

    @property
    def n(self) -> int:
        if self.estimate is not None:
            return self.estimate.clusters
        return self.run.sample_count if self.run is not None else 0

    @property
    def epochs_n(self) -> int:
        """Observations (sample x epoch)."""
        return self.estimate.n if self.estimate is not None else self.n

    @property
    def heat(self) -> str:
        """CSS class for the cell's colour (0-1 scores only); the number is always printed too."""
        mean = self.mean
        if mean is None or not 0.0 <= mean <= 1.0:
            return "heat-none"
        return f"heat-{int(mean * 10 + 0.5)}"  # half up: 0.25 shades as 0.3

    @property
    def replicated(self) -> bool:
        return len(self.institutes) >= 2


@dataclass
class Row:
    task: EvaluationTask
    cells: list[Cell]


@dataclass
class Group:
    domain: Domain | None
    workstream_leads: list[Institute]
    rows: list[Row]

    @property
    def name(self) -> str:
        return self.domain.name if self.domain else "No domain"


@dataclass
class ResultsMatrix:
    project: EvaluationProject
    columns: list[Column]
    groups: list[Group]
    institutes: list[Institute]
    institute: Institute | None  # the filter, if any

    @property
    def empty(self) -> bool:
        return not self.groups

    def charts(self) -> list[dict]:
        """Chart data per task: the systems with a score, in column order (JSON-serialisable)."""
        reference = {c.system.pk for c in self.columns if c.is_reference}
        out = []
        for group in self.groups:
            for row in group.rows:
                points = []
                for cell in row.cells:
                    if cell.mean is None:
                        continue
                    ci = cell.ci
                    points.append(
                        {
                            "label": str(cell.system),
                            "reference": cell.system.pk in reference,
                            "mean": cell.mean,
                            "low": ci[0] if ci else None,
                            "high": ci[1] if ci else None,
                            "n": cell.n,
                            "run": cell.run.pk if cell.run else None,
                            "complete": cell.complete,
                            "partial": cell.partial_label,
                            "pinned": cell.pinned,
                            "url": (
                                reverse("runs:detail", kwargs={"run_id": cell.run.pk})
                                if cell.run
                                else None
                            ),
                        }
                    )
                if points:
                    out.append(
                        {
                            "task": row.task.name,
                            "slug": row.task.slug,
                            "domain": group.name,
                            "metric": _metric_label(row),
                            "points": points,
                            "y": _chart_axis(points),
                        }
                    )
        return out


def _chart_axis(points: list[dict]) -> dict:
    """The y range of a chart: the fixed 0-1 axis when every mean and whisker lies in [0, 1]
    (proportions: their intervals always do, `results.scores`), else from 0 (or the lowest
    whisker) to the highest whisker with a margin, so that no whisker is cut off."""
    figures = [v for p in points for v in (p["mean"], p["low"], p["high"]) if v is not None]
    if all(0.0 <= v <= 1.0 for v in figures):
        return {"unit": True, "min": 0.0, "max": 1.0}
    low, high = min(0.0, *figures), max(0.0, *figures)
    margin = (high - low) * 0.05 or 1.0
    return {
        "unit": False,
        "min": low - margin if low < 0 else 0.0,
        "max": high + margin if high > 0 else 0.0,
    }


def _metric_label(row: Row) -> str:
    metrics = {
        f"{c.run.primary_scorer}/{c.run.primary_metric}".strip("/")
        for c in row.cells
        if c.run is not None and (c.run.primary_scorer or c.run.primary_metric)
    }
    return ", ".join(sorted(metrics)) or "score"


def participating_institutes(project: EvaluationProject) -> list[Institute]:
    """The project's participating institutes, by name (`ResultsMatrix.institutes`)."""
    return [
        p.institute
        for p in Participation.objects.filter(project=project)
        .select_related("institute")
        .order_by("institute__name")
    ]


def build_matrix(
    project: EvaluationProject,
    *,
    institute: Institute | None = None,
    participating: list[Institute] | None = None,
) -> ResultsMatrix:
    """The matrix for a project whose results the caller may see. `institute` keeps only runs by
    that institute. `participating`: `participating_institutes(project)`, when the caller has
    read it already."""
    headline_judge = RunScorer.objects.filter(
        run=OuterRef("pk"), judge=True, name=OuterRef("primary_scorer")
    )
    successful = list(
        representative.successful_runs(project, institute=institute)
        .select_related("task__domain")
        .annotate(headline_judge=Exists(headline_judge))
    )
    institutes_by_cell: dict[tuple[int, int], set[str]] = defaultdict(set)
    for run in successful:
        institutes_by_cell[(run.task_id, run.system_id)].add(run.institute.code)
    chosen = representative.representative_runs(project, institute=institute, runs=successful)
    shown: dict[tuple[int, int], EvaluationRun] = {key: rep.run for key, rep in chosen.items()}
    summaries = scores.run_score_summaries(list(shown.values()))
    # Only a headline scored by a judge can carry a judge's flag (`judges.run_judges`).
    flags = judges.flags_for_runs(
        project,
        [r for r in shown.values() if r.headline_judge],  # type: ignore[attr-defined]
    )

    counts_qs = EvaluationRun.objects.filter(project=project)
    if institute is not None:
        counts_qs = counts_qs.filter(institute=institute)
    counts = {
        (row["task_id"], row["system_id"]): row["n"]
        for row in counts_qs.order_by().values("task_id", "system_id").annotate(n=Count("id"))
    }

    links = list(ProjectSystem.objects.filter(project=project).select_related("system"))
    columns = [Column(link.system, link.is_reference) for link in links]
    columns.sort(key=lambda c: (c.is_reference, str(c.system)))
    known = {c.system.pk for c in columns}
    for run in shown.values():  # a system removed from the project still shows its results
        if run.system_id not in known:
            known.add(run.system_id)
            columns.append(Column(run.system, False, in_project=False))

    tasks: dict[int, EvaluationTask] = {r.task_id: r.task for r in shown.values()}
    domains: dict[int, Domain] = {t.domain.pk: t.domain for t in tasks.values() if t.domain}
    leads: dict[int, list[Institute]] = defaultdict(list)
    for ws in Workstream.objects.filter(project=project).select_related("lead_institute"):
        leads[ws.domain_id].append(ws.lead_institute)

    by_domain: dict[int | None, list[Row]] = defaultdict(list)
    for task in sorted(tasks.values(), key=lambda t: t.name.lower()):
        cells = []
        for column in columns:
            key = (task.pk, column.system.pk)
            latest_run = shown.get(key)
            cells.append(
                Cell(
                    task=task,
                    system=column.system,
                    run=latest_run,
                    estimate=summaries.get(latest_run.pk) if latest_run is not None else None,
                    run_count=counts.get(key, 0),
                    institutes=sorted(institutes_by_cell.get(key, ())),
                    pin=chosen[key].pin if key in chosen else None,
                    judge_flags=flags.get(latest_run.pk, []) if latest_run is not None else [],
                )
            )
        by_domain[task.domain_id].append(Row(task, cells))

    def order(domain_id: int | None):
        domain = domains.get(domain_id) if domain_id is not None else None
        return (domain is None, domain.order if domain else 0, domain.name if domain else "")

    groups = [
        Group(
            domains.get(did) if did is not None else None,
            leads.get(did, []) if did is not None else [],
            rows,
        )
        for did, rows in sorted(by_domain.items(), key=lambda item: order(item[0]))
    ]
    if participating is None:
        participating = participating_institutes(project)
    return ResultsMatrix(project, columns, groups, participating, institute)
