"""A project's results: the matrix of tasks by systems (with charts), optionally sliced by a sample
metadata field (`?by=language`), its CSV/JSON export, the list of its runs, and the replications
of a task across institutes.

The project is resolved first (404 for outsiders); where `access.can_see_results` is false (an
embargo, for a non-participant) the pages show a notice instead of results and the export is a
404. Figures come from `evaluations.results`."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render

from evaluations.forms import results as result_forms
from evaluations.results import comparisons, exports, scores, slices
from evaluations.results.matrix import build_matrix, participating_institutes
from evaluations.selectors import runs as run_selectors
from evaluations.views._helpers import project_view, url_prefix
from institutes import access, audit

RUNS_PER_PAGE = 50


def _embargo_notice(request, project, page_title: str):
    return render(
        request,
        "evaluations/results/embargoed.html",
        {"project": project, "page_title": page_title},
    )


def _institute_filter(request, project, participating=None):
    """The institute filter's form and the institute chosen in it (None for all). `participating`:
    the project's institutes (`matrix.participating_institutes`), when the caller has them."""
    if participating is None:
        institutes = run_selectors.result_institutes(project)
    else:  # the choices of `run_selectors.result_institutes`, without a query of their own
        institutes = sorted(participating, key=lambda i: i.name)
    form = result_forms.InstituteFilterForm(request.GET or None, institutes=institutes)
    code = form.data.get("institute") if form.is_bound and form.is_valid() else ""
    return form, next((i for i in institutes if i.code == code), None)


def _slice_by(request, project, matrix):
    """The "Slice by" form and the matrix sliced by the field chosen in it (None for none)."""
    keys = slices.slice_keys(slices.matrix_runs(matrix))
    form = result_forms.SliceByForm(request.GET or None, keys=keys)
    by = form.cleaned_data.get("by") if form.is_bound and form.is_valid() else ""
    if not by:
        return form, None
    try:
        return form, slices.build_slice_matrix(
            project, by=by, institute=matrix.institute, matrix=matrix, keys=keys
        )
    except slices.UnknownSliceKey as exc:
        form.add_error("by", str(exc))
        return form, None


@project_view()
def project_results(request, project):
    if not access.can_see_results(request.user, project):
        return _embargo_notice(request, project, "Results")
    participating = participating_institutes(project)
    form, chosen = _institute_filter(request, project, participating)
    matrix = build_matrix(project, institute=chosen, participating=participating)
    slice_form, sliced = _slice_by(request, project, matrix)
    context = {
        "project": project,
        "matrix": matrix,
        "sliced": sliced,
        "charts": sliced.charts() if sliced else matrix.charts(),
        "filter_form": form,
        "slice_form": slice_form,
        "institute_code": chosen.code if chosen else None,
        "can_act": access.can_act(request.user, project),
        "run_url": url_prefix("runs:detail", run_id=0),
    }
    return render(request, "evaluations/results/project_results.html", context)


@project_view()
def project_results_export(request, project, fmt: str):
    if not access.can_see_results(request.user, project):
        raise Http404("No results to export.")
    _form, chosen = _institute_filter(request, project)
    matrix = build_matrix(project, institute=chosen)
    by = request.GET.get("by", "").strip()
    if by:
        try:
            sliced = slices.build_slice_matrix(project, by=by, institute=chosen, matrix=matrix)
        except slices.UnknownSliceKey as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
        audit.record_export(request, project_id=project.pk, what="results", fmt=fmt)
        return exports.slice_csv(sliced) if fmt == "csv" else exports.slice_json(sliced)
    audit.record_export(request, project_id=project.pk, what="results", fmt=fmt)
    return exports.matrix_csv(matrix) if fmt == "csv" else exports.matrix_json(matrix)


@project_view()
def project_runs(request, project):
    if not access.can_see_results(request.user, project):
        return _embargo_notice(request, project, "Runs")
    form = result_forms.RunFilterForm(request.GET or None, project=project)
    runs = run_selectors.project_runs(project, form.filters())
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    summaries = scores.run_score_summaries(list(page.object_list))
    rows = [{"run": r, "estimate": summaries.get(r.pk)} for r in page.object_list]
    pick_a, pick_b = run_selectors.comparable_pair(page.object_list)
    return render(
        request,
        "evaluations/results/project_runs.html",
        {
            "project": project,
            "form": form,
            "page": page,
            "rows": rows,
            "pick_a": pick_a,
            "pick_b": pick_b,
        },
    )


@project_view()
def project_replications(request, project):
    if not access.can_see_results(request.user, project):
        return _embargo_notice(request, project, "Replications")
    replications = comparisons.replications_for_project(project, request.user)
    return render(
        request,
        "evaluations/results/replications.html",
        {
            "project": project,
            "replications": replications,
            "significant_count": sum(1 for r in replications if r.significant),
        },
    )
