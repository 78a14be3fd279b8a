"""Which run stands for a results cell (project, task, system): the one rule that the matrix, its
charts, the dashboard, the exports and the replications all follow.

1. The run a lead pinned for the cell (`PinnedRun`), if it is among the runs considered.
2. Otherwise the latest complete successful run: a smoke run on a `limit` or a few chosen samples
   never replaces a full result.
3. Otherwise (only partial runs) the latest partial one, which every view marks "partial: 10 of 30".

Latest means by completion time (runs without one last), then creation, then id. Reads only; the
caller passes a project whose results the user may see. Two queries (the runs, the pins).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, QuerySet

from evaluations.models import EvaluationProject, EvaluationRun, PinnedRun
from institutes.models import Institute

CellKey = tuple[int, int]  # (task id, system id)


@dataclass(frozen=True, slots=True)
class Representative:
    """A cell's headline run, and the pin that chose it (None when the rule did)."""

    run: EvaluationRun
    pin: PinnedRun | None = None

    @property
    def pinned(self) -> bool:
        return self.pin is not None


def successful_runs(project: EvaluationProject, *, institute: Institute | None = None):
    """The project's successful runs, newest first, with what the pages show of them and
    `is_pinned` (a lead pinned the run for its cell: at most one run per cell)."""
    runs = EvaluationRun.objects.filter(project=project, status=EvaluationRun.Status.SUCCESS)
    if institute is not None:
        runs = runs.filter(institute=institute)
    return with_pinned(runs.select_related("task", "system", "institute")).order_by(
        F("completed_at").desc(nulls_last=True), "-created_at", "-pk"
    )


def preferred(runs_newest_first: Iterable[EvaluationRun]) -> EvaluationRun | None:
    """The latest complete run, else the latest partial one (rules 2 and 3)."""
    first = None
    for run in runs_newest_first:
        if run.complete:
            return run
        if first is None:
            first = run
    return first


def pins(project: EvaluationProject) -> dict[CellKey, PinnedRun]:
    return {
        (pin.task_id, pin.system_id): pin
        for pin in PinnedRun.objects.filter(project=project).select_related("pinned_by")
    }


def cell_pin(run: EvaluationRun) -> PinnedRun | None:
    """The pin of the run's cell (whichever run it pins), for the run page."""
    return (
        PinnedRun.objects.filter(
            project_id=run.project_id, task_id=run.task_id, system_id=run.system_id
        )
        .select_related("pinned_by")
        .first()
    )


def with_pinned(runs: QuerySet[EvaluationRun]) -> QuerySet[EvaluationRun]:
    """Runs annotated with `is_pinned`: a lead pinned the run as its cell's headline."""
    return runs.annotate(is_pinned=Exists(PinnedRun.objects.filter(run=OuterRef("pk"))))


def representative_runs(
    project: EvaluationProject,
    *,
    institute: Institute | None = None,
    runs: list[EvaluationRun] | None = None,
) -> dict[CellKey, Representative]:
    """Each cell's representative run. With `institute`, only that institute's runs count (a pin
    of another institute's run then gives way to the rule). `runs`: the project's successful
    runs newest first, when the caller has them already (`successful_runs`)."""
    if runs is None:
        runs = list(successful_runs(project, institute=institute))
    by_cell: dict[CellKey, list[EvaluationRun]] = defaultdict(list)
    for run in runs:
        by_cell[(run.task_id, run.system_id)].append(run)
    pinned = pins(project)
    out: dict[CellKey, Representative] = {}
    for key, cell_runs in by_cell.items():
        pin = pinned.get(key)
        chosen = next((r for r in cell_runs if pin is not None and r.pk == pin.run_id), None)
        if chosen is not None:
            out[key] = Representative(chosen, pin)
            continue
        best = preferred(cell_runs)
        if best is not None:
            out[key] = Representative(best)
    return out


def institute_runs(project: EvaluationProject) -> list[EvaluationRun]:
    """Each institute's representative run of each (task, system): the latest complete
    successful run, else its latest partial one (for replications). A cell's pin picks its run
    for the institute that made it. One query."""
    by_side: dict[tuple[int, int, int], list[EvaluationRun]] = defaultdict(list)
    for run in successful_runs(project):
        by_side[(run.task_id, run.system_id, run.institute_id)].append(run)
    out = []
    for side_runs in by_side.values():
        chosen = next((r for r in side_runs if r.is_pinned), None)  # type: ignore[attr-defined]
        run = chosen or preferred(side_runs)
        if run is not None:
            out.append(run)
    return out
