"""Results corrected by people: each results-matrix cell's headline again, with the human
majority of a sample's reviews standing in for the judge's score wherever people reached one.

For the same representative runs as the matrix (`matrix.build_matrix`), per sample result: the
human majority (`judges.human_majority` of the reviews' human scores, from any queue or reviewed
ad hoc) where the sample has one, else its primary `score` (the judge's, when the headline
scorer is a judge); samples with neither are left out. The corrected mean and its interval come
from `stats.score_summary(values, clusters=sample ids)`, the rule every results figure follows;
the judge-only figure is the matrix's own (`results.scores`).

Reads only; the caller passes a project whose results the user may see. A fixed number of
queries: the matrix's, then the runs' samples and their reviews (one each).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from evaluations import stats
from evaluations.models import EvaluationProject, SampleResult, SampleReview
from evaluations.results import scores
from evaluations.results.judges import JudgeFlag, human_majority, human_score, run_judges
from evaluations.results.matrix import Cell, ResultsMatrix, build_matrix
from institutes.models import Institute


@dataclass(frozen=True, slots=True)
class CorrectedCell:
    domain: str
    cell: Cell
    corrected: stats.MeanEstimate | None  # None without a scored or reviewed sample
    n_corrected: int  # sample results that took the human majority
    judge_based: bool  # the headline scorer is a judge (RunScorer judge=True)

    @property
    def judge_only(self) -> stats.MeanEstimate | None:
        return self.cell.estimate

    @property
    def judge_flags(self) -> list[JudgeFlag]:
        return self.cell.judge_flags

    @property
    def corrected_ci(self) -> tuple[float, float] | None:
        return scores.interval(self.corrected)[0]

    @property
    def difference(self) -> float | None:
        """Corrected minus judge-only mean."""
        if self.corrected is None or self.cell.mean is None:
            return None
        return self.corrected.mean - self.cell.mean


@dataclass(frozen=True, slots=True)
class CorrectedResults:
    matrix: ResultsMatrix
    cells: list[CorrectedCell]

    @property
    def project(self) -> EvaluationProject:
        return self.matrix.project


def corrected_results(
    project: EvaluationProject, *, institute: Institute | None = None
) -> CorrectedResults:
    """Judge-only and corrected figures of each cell of the project's results matrix."""
    matrix = build_matrix(project, institute=institute)
    placed = [
        (group.name, cell)
        for group in matrix.groups
        for row in group.rows
        for cell in row.cells
        if cell.run is not None
    ]
    run_ids = [cell.run.pk for _domain, cell in placed if cell.run is not None]
    humans: dict[int, dict[int, float]] = defaultdict(dict)
    for sample_pk, reviewer_id, manual, verdict in SampleReview.objects.filter(
        sample__run_id__in=run_ids
    ).values_list("sample_id", "reviewer_id", "manual_score", "label__verdict"):
        score = human_score(manual, verdict)
        if score is not None:
            humans[sample_pk][reviewer_id] = score
    values: dict[int, list[tuple[float, str, bool]]] = defaultdict(list)
    for run_id, sample_pk, sample_id, score in (
        SampleResult.objects.filter(run_id__in=run_ids)
        .order_by("run_id", "sample_id", "epoch", "pk")
        .values_list("run_id", "pk", "sample_id", "score")
        .iterator(chunk_size=2000)
    ):
        majority = human_majority(list(humans[sample_pk].values())) if sample_pk in humans else None
        if majority is not None:
            values[run_id].append((majority, sample_id, True))
        elif score is not None:
            values[run_id].append((score, sample_id, False))
    judged = run_judges(cell.run for _domain, cell in placed if cell.run is not None)
    cells = []
    for domain, cell in placed:
        assert cell.run is not None
        rows = values.get(cell.run.pk, [])
        corrected = (
            stats.score_summary([v for v, _s, _h in rows], clusters=[s for _v, s, _h in rows])
            if rows
            else None
        )
        cells.append(
            CorrectedCell(
                domain=domain,
                cell=cell,
                corrected=corrected,
                n_corrected=sum(1 for _v, _s, human in rows if human),
                judge_based=cell.run.pk in judged,
            )
        )
    return CorrectedResults(matrix, cells)


def _number(value: float | None) -> float | None:
    return value if value is not None and value == value and abs(value) != float("inf") else None


def corrected_items(results: CorrectedResults) -> list[dict[str, Any]]:
    """One dictionary per cell (the page's JSON and CSV exports and the API)."""
    roles = {c.system.pk: c.kind for c in results.matrix.columns}
    out = []
    for c in results.cells:
        cell = c.cell
        run = cell.run
        assert run is not None
        judge_ci = cell.ci
        corrected_ci = c.corrected_ci
        out.append(
            {
                "domain": c.domain,
                "task": cell.task.slug,
                "task_name": cell.task.name,
                "system": str(cell.system),
                "system_role": roles.get(cell.system.pk, "target"),
                "institute": run.institute.code,
                "run_id": run.pk,
                "scorer": run.primary_scorer,
                "judge_based": c.judge_based,
                "judge_mean": _number(cell.mean),
                "judge_ci_low": _number(judge_ci[0]) if judge_ci else None,
                "judge_ci_high": _number(judge_ci[1]) if judge_ci else None,
                "judge_ci_method": cell.ci_method,
                "samples": cell.n,
                "corrected_mean": _number(c.corrected.mean) if c.corrected else None,
                "corrected_ci_low": _number(corrected_ci[0]) if corrected_ci else None,
                "corrected_ci_high": _number(corrected_ci[1]) if corrected_ci else None,
                "corrected_ci_method": scores.interval(c.corrected)[1],
                "corrected_observations": c.corrected.n if c.corrected else 0,
                "n_corrected": c.n_corrected,
                "difference": _number(c.difference),
                "judge_flags": "; ".join(f.summary for f in c.judge_flags),
            }
        )
    return out


CORRECTED_FIELDS = (
    "domain",
    "task",
    "task_name",
    "system",
    "system_role",
    "institute",
    "run_id",
    "scorer",
    "judge_based",
    "judge_mean",
    "judge_ci_low",
    "judge_ci_high",
    "judge_ci_method",
    "samples",
    "corrected_mean",
    "corrected_ci_low",
    "corrected_ci_high",
    "corrected_ci_method",
    "corrected_observations",
    "n_corrected",
    "difference",
    "judge_flags",
)
