"""How far a review queue's LLM judges agree with the people who reviewed its items (per value of
a sample metadata key), and a project's results corrected by those reviews; each page with its
CSV and JSON export.

Access: whoever may see the project's results (`access.can_see_results`): outsiders get 404,
others under an embargo a notice (the exports a 404). Figures come from
`evaluations.results.judges` and `evaluations.results.corrected`."""

from __future__ import annotations

import json

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render

from evaluations import stats
from evaluations.models import ReviewQueue
from evaluations.results import corrected, exports, judges
from evaluations.views._helpers import project_view
from evaluations.views.project_results import _embargo_notice, _institute_filter
from institutes import access, audit


def _queue(project, queue_id: int) -> ReviewQueue:
    return get_object_or_404(
        ReviewQueue.objects.select_related("project", "guideline_version"),
        project=project,
        pk=queue_id,
    )


@project_view()
def queue_agreement(request, project, queue_id: int):
    queue = _queue(project, queue_id)
    if not access.can_see_results(request.user, project):
        return _embargo_notice(request, project, "Judge agreement")
    by = request.GET.get("by") or None
    by_error = ""
    try:
        agreement = judges.queue_agreement(queue, by=by)
    except judges.UnknownSliceKey as exc:
        by_error = str(exc)
        agreement = judges.queue_agreement(queue)
    return render(
        request,
        "evaluations/reviews/agreement.html",
        {
            "project": project,
            "queue": queue,
            "agreement": agreement,
            "by_error": by_error,
            "rater_rows": agreement.raters,
        },
    )


@project_view()
def queue_agreement_export(request, project, queue_id: int, fmt: str):
    queue = _queue(project, queue_id)
    if not access.can_see_results(request.user, project):
        raise Http404("No results to export.")
    try:
        agreement = judges.queue_agreement(queue, by=request.GET.get("by") or None)
    except judges.UnknownSliceKey as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    audit.record_export(request, project_id=project.pk, what="agreement", fmt=fmt, queue=queue.pk)
    name = f"{project.slug}-queue-{queue.pk}-agreement"
    if fmt == "csv":
        return exports.streaming(
            exports.csv_lines(judges.AGREEMENT_CSV_FIELDS, judges.agreement_csv_rows(agreement)),
            filename=f"{name}.csv",
            content_type="text/csv; charset=utf-8",
        )
    body = json.dumps(judges.agreement_data(agreement), ensure_ascii=False)
    return exports.streaming(iter([body]), filename=f"{name}.json", content_type="application/json")


@project_view()
def corrected_results(request, project):
    if not access.can_see_results(request.user, project):
        return _embargo_notice(request, project, "Corrected results")
    form, chosen = _institute_filter(request, project)
    results = corrected.corrected_results(project, institute=chosen)
    return render(
        request,
        "evaluations/reviews/corrected.html",
        {
            "project": project,
            "results": results,
            "filter_form": form,
            "institute_code": chosen.code if chosen else None,
        },
    )


@project_view()
def corrected_results_export(request, project, fmt: str):
    if not access.can_see_results(request.user, project):
        raise Http404("No results to export.")
    _form, chosen = _institute_filter(request, project)
    results = corrected.corrected_results(project, institute=chosen)
    audit.record_export(request, project_id=project.pk, what="corrected results", fmt=fmt)
    items = corrected.corrected_items(results)
    name = f"{project.slug}-corrected-results"
    if fmt == "csv":
        rows = ([item[f] for f in corrected.CORRECTED_FIELDS] for item in items)
        return exports.streaming(
            exports.csv_lines(corrected.CORRECTED_FIELDS, rows),
            filename=f"{name}.csv",
            content_type="text/csv; charset=utf-8",
        )
    meta = {
        "project": project.slug,
        "institute": chosen.code if chosen else None,
        "confidence": stats.DEFAULT_CONFIDENCE,
    }
    return exports.streaming(
        exports.json_lines(meta, "cells", iter(items)),
        filename=f"{name}.json",
        content_type="application/json",
    )
