"""Results pages: a run, one sample's transcript and its reviews, a project's results matrix and
its runs, the comparison of two runs, replications across institutes, and exports.

Runs are reached through `selectors.runs.run_for` / `sample_for`, which only return results the
user may read (a user outside the project, or a non-participant during an embargo, gets a 404).
Project pages resolve the project first (404 for outsiders) and show a notice instead of results
when `access.can_see_results` is false. Figures come from `evaluations.results.comparisons` and
`evaluations.stats`; nothing here computes an interval or a kappa.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Left
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from evaluations import rules
from evaluations.forms import results as result_forms
from evaluations.forms.fields import add_service_errors
from evaluations.models import Deviation, EvaluationRun, SampleResult, SampleReview
from evaluations.results import comparisons, exports, scores, transcripts
from evaluations.results.matrix import build_matrix
from evaluations.selectors.runs import run_for, run_samples
from evaluations.services import reviews as review_services
from evaluations.views._helpers import project_view
from institutes import access, audit

SAMPLES_PER_PAGE = 50
RUNS_PER_PAGE = 50
DISAGREEMENTS_PER_PAGE = 50
EXCERPT = 160
BLIND_SESSION_KEY = "concord_blind_review"


def _int_param(request, name: str, default: int = 1) -> int:
    try:
        return max(1, int(request.GET.get(name, default)))
    except (TypeError, ValueError):
        return default


# --------------------------------------------------------------------------------------------
# A run
# --------------------------------------------------------------------------------------------


def filter_samples(qs, filters: dict[str, str]):
    score = filters.get("score")
    if score == "correct":
        qs = qs.filter(score=1)
    elif score == "incorrect":
        qs = qs.filter(score=0)
    elif score == "partial":
        qs = qs.filter(score__gt=0, score__lt=1)
    elif score == "unscored":
        qs = qs.filter(score__isnull=True)
    error = filters.get("error")
    if error == "yes":
        qs = qs.exclude(error="")
    elif error == "no":
        qs = qs.filter(error="")
    if filters.get("q"):
        qs = qs.filter(sample_id__icontains=filters["q"])
    return qs


@login_required
def run_detail(request, run_id: int):
    user = request.user
    run = run_for(user, run_id)
    primary = scores.run_score_summaries([run]).get(run.pk)
    job = getattr(run, "job", None)
    deviations = list(
        Deviation.objects.filter(Q(run=run) | Q(job__run=run)).order_by("recorded_at", "pk")
    )

    filter_form = result_forms.SampleFilterForm(request.GET or None)
    samples = filter_samples(SampleResult.objects.filter(run=run), filter_form.filters())
    # Review counts by a correlated subquery, not a JOIN + GROUP BY: the page is then read in the
    # order of the (run, sample_id, epoch) index, 50 rows, and the paginator's count needs no join
    # (a 10^5-sample run: milliseconds instead of seconds; benchmarks/README.md).
    review_counts = (
        SampleReview.objects.filter(sample=OuterRef("pk"))
        .order_by()
        .values("sample")
        .annotate(n=Count("pk"))
        .values("n")
    )
    samples = (
        samples.order_by("sample_id", "epoch", "id")
        .only("id", "sample_id", "epoch", "score", "total_tokens")
        .annotate(
            input_excerpt=Left("input", EXCERPT),
            output_excerpt=Left("output", EXCERPT),
            error_excerpt=Left("error", EXCERPT),
            review_count=Coalesce(Subquery(review_counts), 0),
        )
    )
    page = Paginator(samples, SAMPLES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    other_runs = list(
        EvaluationRun.objects.filter(project=run.project, task=run.task)
        .exclude(pk=run.pk)
        .select_related("system", "institute")
        .order_by("-created_at", "-pk")[:10]
    )
    context = {
        "run": run,
        "project": run.project,
        "job": job,
        "primary": primary,
        "score_rows": scores.score_table(run, primary),
        "deviations": deviations,
        "review": comparisons.review_stats(run),
        "filter_form": filter_form,
        "page": page,
        "query": query.urlencode(),
        "other_runs": other_runs,
        "has_log": bool(run.log_file),
    }
    return render(request, "evaluations/results/run_detail.html", context)


@login_required
def run_log(request, run_id: int):
    """The run's Inspect log, streamed from storage (same access as the run page)."""
    run = run_for(request.user, run_id)
    try:
        handle = transcripts.open_log_file(run)
    except FileNotFoundError as exc:
        raise Http404("The log file of this run is not available.") from exc
    audit.record_export(request, project_id=run.project_id, run=run.pk, what="log")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=transcripts.log_download_name(run),
        content_type="application/octet-stream",
    )


@login_required
def run_samples_export(request, run_id: int, fmt: str):
    run = run_for(request.user, run_id)
    audit.record_export(request, project_id=run.project_id, run=run.pk, what="samples", fmt=fmt)
    return exports.samples_csv(run) if fmt == "csv" else exports.samples_json(run)


# --------------------------------------------------------------------------------------------
# A sample: transcript and reviews
# --------------------------------------------------------------------------------------------


def blind_mode(request) -> bool:
    """Blind review is a per-user choice kept in the session; `?blind=1` / `?blind=0` sets it."""
    value = request.GET.get("blind")
    if value in ("0", "1"):
        request.session[BLIND_SESSION_KEY] = value == "1"
    return bool(request.session.get(BLIND_SESSION_KEY, False))


def _neighbours(run: EvaluationRun, sample: SampleResult) -> tuple[int | None, int | None]:
    base = SampleResult.objects.filter(run=run)
    before = (
        base.filter(
            Q(sample_id__lt=sample.sample_id)
            | Q(sample_id=sample.sample_id, epoch__lt=sample.epoch)
        )
        .order_by("-sample_id", "-epoch")
        .values_list("pk", flat=True)
        .first()
    )
    after = (
        base.filter(
            Q(sample_id__gt=sample.sample_id)
            | Q(sample_id=sample.sample_id, epoch__gt=sample.epoch)
        )
        .order_by("sample_id", "epoch")
        .values_list("pk", flat=True)
        .first()
    )
    return before, after


def _run_and_sample(user, run_id: int, sample_pk: int) -> tuple[EvaluationRun, SampleResult]:
    """The run (404 unless its results are visible) and one of its samples (404 otherwise)."""
    run = run_for(user, run_id)
    try:
        sample = run_samples(run).get(pk=sample_pk)
    except (SampleResult.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such sample.") from exc
    sample.run = run
    return run, sample


def _sample_page(request, run_id: int, sample_pk: int, *, form=None, status: int = 200):
    user = request.user
    run, sample = _run_and_sample(user, run_id, sample_pk)
    blind = blind_mode(request)
    hidden = transcripts.blind_terms(run) if blind else ()
    transcript = transcripts.transcript_for(run, sample, redact=hidden)
    reviews = list(
        SampleReview.objects.filter(sample=sample)
        .select_related("reviewer", "label")
        .order_by("created_at", "pk")
    )
    hide = transcripts.Redactor(hidden)
    notes = {review.pk: hide(review.note) for review in reviews}  # a note may name the system
    mine = next((r for r in reviews if r.reviewer_id == user.pk), None)
    can_review = rules.can_review(user, run.project)
    if form is None and can_review:
        initial = (
            {"label": mine.label_id, "manual_score": mine.manual_score, "note": mine.note}
            if mine
            else {}
        )
        form = result_forms.ReviewForm(initial=initial)
    previous_pk, next_pk = _neighbours(run, sample)
    context = {
        "run": run,
        "project": run.project,
        "sample": sample,
        "transcript": transcript,
        "blind": blind,
        "reviews": [(review, notes[review.pk]) for review in reviews],
        "my_review": mine,
        "can_review": can_review,
        "form": form,
        "previous_pk": previous_pk,
        "next_pk": next_pk,
    }
    return render(request, "evaluations/results/sample_detail.html", context, status=status)


@login_required
def sample_detail(request, run_id: int, sample_pk: int):
    return _sample_page(request, run_id, sample_pk)


@login_required
def sample_review(request, run_id: int, sample_pk: int):
    user = request.user
    run, sample = _run_and_sample(user, run_id, sample_pk)  # 404 before 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    access.require(
        rules.can_review(user, run.project),
        "Only evaluators and leads of this project review transcripts.",
    )
    back = reverse("results:sample_detail", kwargs={"run_id": run_id, "sample_pk": sample.pk})
    if request.POST.get("delete"):
        if review_services.review_delete(sample=sample, reviewer=user):
            messages.success(request, "Your review is withdrawn.")
        return redirect(back + "#review")
    form = result_forms.ReviewForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            review_services.review_save(
                sample=sample,
                reviewer=user,
                label=data["label"],
                manual_score=data["manual_score"],
                note=data["note"],
                blind=bool(request.session.get(BLIND_SESSION_KEY, False)),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Your review is saved.")
            return redirect(back + "#review")
    return _sample_page(request, run_id, sample_pk, form=form, status=400)


# --------------------------------------------------------------------------------------------
# A project's results
# --------------------------------------------------------------------------------------------


def _embargo_notice(request, project, page_title: str):
    return render(
        request,
        "evaluations/results/embargoed.html",
        {"project": project, "page_title": page_title},
    )


def _institute_filter(request, matrix_institutes):
    form = result_forms.InstituteFilterForm(request.GET or None, institutes=matrix_institutes)
    code = form.data.get("institute") if form.is_bound and form.is_valid() else ""
    chosen = next((i for i in matrix_institutes if i.code == code), None)
    return form, chosen


def _participating(project):
    return [p.institute for p in project.participations.select_related("institute")]


@project_view()
def project_results(request, project):
    if not access.can_see_results(request.user, project):
        return _embargo_notice(request, project, "Results")
    institutes = sorted(_participating(project), key=lambda i: i.name)
    form, chosen = _institute_filter(request, institutes)
    matrix = build_matrix(project, institute=chosen)
    query = request.GET.copy()
    return render(
        request,
        "evaluations/results/project_results.html",
        {
            "project": project,
            "matrix": matrix,
            "charts": matrix.charts(),
            "filter_form": form,
            "institute_query": f"&institute={chosen.code}" if chosen else "",
            "query": query.urlencode(),
            "can_act": access.can_act(request.user, project),
        },
    )


@project_view()
def project_results_export(request, project, fmt: str):
    if not access.can_see_results(request.user, project):
        raise Http404("No results to export.")
    institutes = _participating(project)
    _form, chosen = _institute_filter(request, institutes)
    matrix = build_matrix(project, institute=chosen)
    audit.record_export(request, project_id=project.pk, what="results", fmt=fmt)
    return exports.matrix_csv(matrix) if fmt == "csv" else exports.matrix_json(matrix)


@project_view()
def project_runs(request, project):
    if not access.can_see_results(request.user, project):
        return _embargo_notice(request, project, "Runs")
    form = result_forms.RunFilterForm(request.GET or None, project=project)
    filters = form.filters()
    runs = EvaluationRun.objects.filter(project=project).select_related(
        "task", "system", "institute"
    )
    if filters.get("task"):
        runs = runs.filter(task__slug=filters["task"])
    if filters.get("system"):
        runs = runs.filter(system_id=int(filters["system"]))
    if filters.get("institute"):
        runs = runs.filter(institute__code=filters["institute"])
    if filters.get("status"):
        runs = runs.filter(status=filters["status"])
    runs = runs.order_by("-created_at", "-pk")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    summaries = scores.run_score_summaries(list(page.object_list))
    rows = [{"run": r, "estimate": summaries.get(r.pk)} for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "evaluations/results/project_runs.html",
        {
            "project": project,
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
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


# --------------------------------------------------------------------------------------------
# Comparing two runs
# --------------------------------------------------------------------------------------------


@login_required
def run_compare(request):
    raw_a, raw_b = request.GET.get("a", "").strip(), request.GET.get("b", "").strip()
    if not raw_a or not raw_b:
        return render(
            request,
            "evaluations/results/compare.html",
            {"picker": True, "a": raw_a, "b": raw_b},
        )
    try:
        run_a_id, run_b_id = int(raw_a), int(raw_b)
    except ValueError as exc:
        raise Http404("No such run.") from exc
    page = _int_param(request, "page")
    try:
        run_a, run_b, comparison = comparisons.compare_runs_for_user(
            request.user,
            run_a_id=run_a_id,
            run_b_id=run_b_id,
            page=page,
            page_size=DISAGREEMENTS_PER_PAGE,
        )
    except ValueError as exc:  # runs of different tasks
        return render(
            request,
            "evaluations/results/compare.html",
            {"picker": True, "a": raw_a, "b": raw_b, "error": str(exc)},
            status=400,
        )
    summaries = scores.run_score_summaries([run_a, run_b])
    return render(
        request,
        "evaluations/results/compare.html",
        {
            "run_a": run_a,
            "run_b": run_b,
            "project": run_a.project if run_a.project_id == run_b.project_id else None,
            "estimate_a": summaries.get(run_a.pk),
            "estimate_b": summaries.get(run_b.pk),
            "c": comparison,
            "page": comparison.disagreements,
            "base_query": f"a={run_a.pk}&b={run_b.pk}",
        },
    )
