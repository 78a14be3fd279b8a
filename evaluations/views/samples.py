"""One sample of a run: its transcript (redacted in blind review), its reviews, and the form with
which evaluators and leads of the project review it.

Samples are reached through `selectors.runs.run_and_sample_for` (404 unless the run's results are
visible to the user); reviews are written by `services.reviews`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from config.forms import add_service_errors
from config.views import post_only
from evaluations import rules
from evaluations.forms import results as result_forms
from evaluations.results import transcripts
from evaluations.selectors import queues as queue_selectors
from evaluations.selectors import runs as run_selectors
from evaluations.services import reviews as review_services
from institutes import access

BLIND_SESSION_KEY = "concord_blind_review"


def blind_mode(request) -> bool:
    """Blind review is a per-user choice kept in the session; `?blind=1` / `?blind=0` sets it."""
    value = request.GET.get("blind")
    if value in ("0", "1"):
        request.session[BLIND_SESSION_KEY] = value == "1"
    return bool(request.session.get(BLIND_SESSION_KEY, False))


def _sample_page(request, run_id: int, sample_pk: int, *, form=None, status: int = 200):
    user = request.user
    run, sample = run_selectors.run_and_sample_for(user, run_id, sample_pk)
    # A reviewer holding this sample in a blind review queue reads it blind, and sees nobody
    # else's review of it until they saved theirs there (evaluations.views.queues).
    queued_blind = queue_selectors.blinds_sample(user, sample)
    blind = blind_mode(request) or queued_blind
    hidden = transcripts.blind_terms(run) if blind else ()
    reviews = run_selectors.sample_reviews(sample)
    hide = transcripts.Redactor(hidden)
    mine = next((r for r in reviews if r.reviewer_id == user.pk), None)
    if queued_blind:
        reviews = [r for r in reviews if r.reviewer_id == user.pk]
    can_review = rules.can_review(user, run.project)
    if form is None and can_review:
        initial = (
            {"label": mine.label_id, "manual_score": mine.manual_score, "note": mine.note}
            if mine
            else {}
        )
        form = result_forms.ReviewForm(initial=initial)
    previous_pk, next_pk = run_selectors.sample_neighbours(sample)
    context = {
        "run": run,
        "project": run.project,
        "sample": sample,
        "transcript": transcripts.transcript_for(run, sample, redact=hidden),
        "blind": blind,
        # Blind review: the reviewer forms a view before seeing the scorer's (score, answer,
        # explanation); it shows once their review is saved.
        "scores_hidden": blind and can_review and mine is None,
        # a note may name the system: redacted like the transcript
        "reviews": [(review, hide(review.note)) for review in reviews],
        "others_hidden": queued_blind,
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
@post_only(run_selectors.run_and_sample_for)
def sample_review(request, run_id: int, sample_pk: int):
    user = request.user
    run, sample = run_selectors.run_and_sample_for(user, run_id, sample_pk)
    access.require(
        rules.can_review(user, run.project),
        "Only evaluators and leads of this project review transcripts.",
    )
    back = reverse("runs:sample_detail", kwargs={"run_id": run_id, "sample_pk": sample.pk})
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
