"""Two runs of the same task compared on their shared samples: the paired difference with its
interval, and the samples they disagree on, a page at a time. Both runs are reached through the
user's visible runs (`comparisons.compare_runs_for_user`): either hidden is a 404. A run number
that is not a number, a run compared with itself, or runs of different tasks are form errors (400)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from evaluations.forms.results import CompareForm
from evaluations.results import comparisons, graders, scores

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
    if not raw_a or not raw_b:  # the picker, with the run already chosen, if any
        form = CompareForm(initial={"a": raw_a, "b": raw_b})
        return render(request, TEMPLATE, {"picker": True, "form": form})
    form = CompareForm(request.GET)
    if not form.is_valid():
        return render(request, TEMPLATE, {"picker": True, "form": form}, status=400)
    try:
        run_a, run_b, comparison = comparisons.compare_runs_for_user(
            request.user,
            run_a_id=form.cleaned_data["a"],
            run_b_id=form.cleaned_data["b"],
            page=_page_number(request),
            page_size=DISAGREEMENTS_PER_PAGE,
        )
    except ValueError as exc:  # runs of different tasks
        form.add_error(None, str(exc))
        return render(request, TEMPLATE, {"picker": True, "form": form}, status=400)
    summaries = scores.run_score_summaries([run_a, run_b])
    context = {
        "run_a": run_a,
        "run_b": run_b,
        "project": run_a.project if run_a.project_id == run_b.project_id else None,
        "estimate_a": summaries.get(run_a.pk),
        "estimate_b": summaries.get(run_b.pk),
        "c": comparison,
        "grader": graders.same_grader(run_a, run_b),
        "page": comparison.disagreements,
    }
    return render(request, TEMPLATE, context)
