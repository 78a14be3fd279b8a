"""Two runs of the same task compared on their shared samples: the paired difference with its
interval, and the samples they disagree on, a page at a time. Both runs are reached through the
user's visible runs (`comparisons.compare_runs_for_user`): either hidden is a 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from evaluations.results import comparisons, scores

DISAGREEMENTS_PER_PAGE = 50
TEMPLATE = "evaluations/results/compare.html"


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        return 1


@login_required
def run_compare(request):
    raw_a, raw_b = request.GET.get("a", "").strip(), request.GET.get("b", "").strip()
    if not raw_a or not raw_b:
        return render(request, TEMPLATE, {"picker": True, "a": raw_a, "b": raw_b})
    try:
        run_a_id, run_b_id = int(raw_a), int(raw_b)
    except ValueError as exc:
        raise Http404("No such run.") from exc
    try:
        run_a, run_b, comparison = comparisons.compare_runs_for_user(
            request.user,
            run_a_id=run_a_id,
            run_b_id=run_b_id,
            page=_page_number(request),
            page_size=DISAGREEMENTS_PER_PAGE,
        )
    except ValueError as exc:  # runs of different tasks
        return render(
            request,
            TEMPLATE,
            {"picker": True, "a": raw_a, "b": raw_b, "error": str(exc)},
            status=400,
        )
    summaries = scores.run_score_summaries([run_a, run_b])
    context = {
        "run_a": run_a,
        "run_b": run_b,
        "project": run_a.project if run_a.project_id == run_b.project_id else None,
        "estimate_a": summaries.get(run_a.pk),
        "estimate_b": summaries.get(run_b.pk),
        "c": comparison,
        "page": comparison.disagreements,
    }
    return render(request, TEMPLATE, context)
