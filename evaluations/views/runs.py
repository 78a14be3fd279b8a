"""A run's page (its scores with their intervals, deviations, reviews and a filtered list of its
samples), its Inspect log (as stored, or with people's reviews as score edits), and its samples
exported as CSV or JSON.

Runs are reached through `selectors.runs.run_for`, which only returns results the user may read
(a user outside the project, or a non-participant during an embargo, gets a 404). Figures come
from `evaluations.results`; nothing here computes an interval."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render

from config.views import button_action, post_only
from evaluations import logstore
from evaluations.forms import results as result_forms
from evaluations.models import EvaluationRun, SampleResult
from evaluations.results import (
    comparisons,
    exports,
    graders,
    judges,
    representative,
    reviewed_logs,
    scores,
    transcripts,
)
from evaluations.selectors import runs as run_selectors
from evaluations.services import results as result_services
from evaluations.views._helpers import url_prefix
from institutes import access, audit

SAMPLES_PER_PAGE = 50


@login_required
def run_detail(request, run_id: int):
    run = run_selectors.run_for(request.user, run_id)
    primary = scores.run_score_summaries([run]).get(run.pk)
    filter_form = result_forms.SampleFilterForm(request.GET or None)
    filters = filter_form.filters()
    rows = sample_rows(run)
    review = comparisons.review_stats(run, samples=rows)
    paginator = Paginator(run_selectors.run_sample_rows(run, filters), SAMPLES_PER_PAGE)
    if not any(filters.values()):  # every sample row
        paginator.count = rows
    scorers = graders.run_scorers([run.pk]).get(run.pk, {})
    score_rows = graders.with_scorers(scores.score_table(run, primary), scorers)
    headline = scorers.get(run.primary_scorer)
    # Only a headline scored by a judge can carry a judge's flag (`judges.run_judges`).
    judge_flags = (
        judges.flags_for_runs(run.project, [run]).get(run.pk, [])
        if headline is not None and headline.judge
        else []
    )
    context = {
        "run": run,
        "project": run.project,
        "job": getattr(run, "job", None),
        "primary": primary,
        "score_rows": score_rows,
        "deviations": run_selectors.run_deviations(run),
        "review": review,
        "filter_form": filter_form,
        "page": paginator.get_page(request.GET.get("page")),
        "sample_url": url_prefix("runs:sample_detail", run_id=run.pk, sample_pk=0),
        "other_runs": run_selectors.other_runs(run),
        "has_log": bool(run.log_file),
        "cell_pin": representative.cell_pin(run),
        "judge_flags": judge_flags,
        "can_pin": access.can_manage(request.user, run.project),
    }
    return render(request, "evaluations/results/run_detail.html", context)


SAMPLE_ROWS_CACHE_SECONDS = 7 * 24 * 3600


def sample_rows(run: EvaluationRun) -> int:
    """How many sample rows (sample x epoch) the run has. Once ingestion has stored the run's
    score statistics (`score_moments`, in the transaction that wrote its samples) the rows are
    final: sample rows are only written there and never deleted (`models.evidence`). The count
    is then kept in the cache, under the run's id and creation time, so a large run is not
    counted again on every visit; runs without stored statistics are counted each time."""
    if run.score_moments is None:
        return SampleResult.objects.filter(run=run).count()
    key = f"run-sample-rows:{run.pk}:{run.created_at.timestamp():.6f}"
    count = cache.get(key)
    if count is None:
        count = SampleResult.objects.filter(run=run).count()
        cache.set(key, count, SAMPLE_ROWS_CACHE_SECONDS)
    return count


@login_required
def run_log(request, run_id: int):
    """The run's Inspect log (same access as the run page): from a bucket, a redirect to a
    presigned link valid CONCORD_LOG_PRESIGNED_SECONDS; else streamed from the log storage."""
    run = run_selectors.run_for(request.user, run_id)
    filename = transcripts.log_download_name(run)
    try:
        # From a bucket: a short-lived presigned link, so the bytes do not pass through Concord.
        url = logstore.download_url(run.log_file, filename=filename) if run.log_file else None
        handle = None if url else transcripts.open_log_file(run)
    except FileNotFoundError as exc:
        raise Http404("The log file of this run is not available.") from exc
    except logstore.StorageUnavailable:
        return HttpResponse(
            "The log is temporarily unavailable: the log storage does not answer. Try again later.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    audit.record_export(request, project_id=run.project_id, run=run.pk, what="log")
    if url:
        return HttpResponseRedirect(url)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/octet-stream",
    )


@login_required
def run_reviewed_log(request, run_id: int):
    """The run's Inspect log with people's reviews as Inspect score edits (same access as the
    log; `results.reviewed_logs`): built from the stored log, which is never changed, and
    streamed from a temporary file. A run without reviews answers its log with no score edited;
    a run with no Inspect log (lm-eval results, an unreadable file) a 409 saying why."""
    run = run_selectors.run_for(request.user, run_id)
    try:
        handle, edited = reviewed_logs.reviewed_log_file(run)
    except FileNotFoundError as exc:
        raise Http404("The log file of this run is not available.") from exc
    except reviewed_logs.ReviewedLogUnavailable as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    except logstore.StorageUnavailable:
        return HttpResponse(
            "The log is temporarily unavailable: the log storage does not answer. Try again later.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return reviewed_logs.reviewed_log_response(request, run, handle, edited)


@login_required
def run_samples_export(request, run_id: int, fmt: str):
    run = run_selectors.run_for(request.user, run_id)
    audit.record_export(request, project_id=run.project_id, run=run.pk, what="samples", fmt=fmt)
    return exports.samples_csv(run) if fmt == "csv" else exports.samples_json(run)


def _run(user, run_id: int):
    return run_selectors.run_for(user, run_id)


@login_required
@post_only(_run)
def run_pin(request, run_id: int):
    """A lead makes this run its cell's headline on the results page, the charts and exports."""
    run = _run(request.user, run_id)
    button_action(
        request,
        result_services.run_pin,
        user=request.user,
        run=run,
        success=f"Run {run.pk} now stands for {run.task.name} on {run.system} in the results.",
    )
    return redirect("runs:detail", run_id=run.pk)


@login_required
@post_only(_run)
def run_unpin(request, run_id: int):
    run = _run(request.user, run_id)
    button_action(
        request,
        result_services.run_unpin,
        user=request.user,
        run=run,
        success="Unpinned: the cell shows its latest complete run again.",
    )
    return redirect("runs:detail", run_id=run.pk)
