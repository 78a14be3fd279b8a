"""Review queue pages: a project's queues with their progress, the form with which a lead plans
one, a queue's page (progress per reviewer and per slice value, the "Next" button), and an item's
page where a reviewer reads the transcript and labels it.

Queues are results: outsiders get 404, and so does anyone the project's embargo keeps out.
Viewers read queues; reviewers (`rules.can_review_in_queue`) take items. The blind rule: a
reviewer sees nobody else's review of an item before saving their own, and in a blind queue the
system's names are hidden from the transcript. Rules live in `services.queues`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from config.forms import add_service_errors
from config.views import button_action, post_only
from evaluations import rules
from evaluations.forms import queues as queue_forms
from evaluations.results import transcripts
from evaluations.selectors import queues as queue_selectors
from evaluations.services import queues as queue_services
from evaluations.views._helpers import project_view
from institutes import access


def _require_results(user, project) -> None:
    if not access.can_see_results(user, project):
        raise Http404("No such review queue.")


def _queue_url(queue) -> str:
    return reverse("reviews:queue", kwargs={"slug": queue.project.slug, "queue_id": queue.pk})


def _item_url(queue, item) -> str:
    return reverse(
        "reviews:item",
        kwargs={"slug": queue.project.slug, "queue_id": queue.pk, "item_id": item.pk},
    )


def _agreement_url(queue) -> str | None:
    """The judges' agreement page of the queue, where that page exists."""
    try:
        return reverse(
            "reviews:agreement", kwargs={"slug": queue.project.slug, "queue_id": queue.pk}
        )
    except NoReverseMatch:
        return None


@project_view()
def queue_list(request, project):
    if not access.can_see_results(request.user, project):
        return render(
            request,
            "evaluations/results/embargoed.html",
            {"project": project, "page_title": "Reviews"},
        )
    queues = list(queue_selectors.project_queues(project))
    tallies = queue_selectors.queue_tallies(queues)
    return render(
        request,
        "evaluations/reviews/list.html",
        {
            "project": project,
            "rows": [(queue, tallies[queue.pk]) for queue in queues],
            "can_manage": access.can_manage(request.user, project),
        },
    )


@project_view("manage")
def queue_create(request, project):
    _require_results(request.user, project)
    form = queue_forms.QueueForm(
        request.POST if request.method == "POST" else None, project=project
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            queue = queue_services.queue_create(
                project=project,
                by=request.user,
                name=data["name"],
                description=data["description"],
                runs=data["runs"],
                run_filter=data.get("run_filter"),
                selection=data["selection"],
                per_slice_count=data["per_slice_count"],
                per_slice_percent=data["per_slice_percent"],
                slice_key=data["slice_key"],
                seed=data["seed"],
                reviews_per_item=data["reviews_per_item"],
                reviewers=data["reviewers"],
                institutes=data["institutes"],
                blind=data["blind"],
                labels=list(data["labels"]) or None,
                guideline_version=data["guideline_version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The queue holds {queue.items.count()} items.")
            return redirect(_queue_url(queue))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "evaluations/reviews/form.html",
        {"project": project, "form": form, "filter_form": form.run_filter},
        status=status,
    )


@project_view()
def queue_detail(request, project, queue_id: int):
    _require_results(request.user, project)
    queue = queue_selectors.queue_for(project, queue_id)
    progress = queue_selectors.queue_progress(queue)
    return render(
        request,
        "evaluations/reviews/queue.html",
        {
            "project": project,
            "queue": queue,
            "progress": progress,
            "mine": progress.of_reviewer(request.user),
            "can_take": rules.can_review_in_queue(request.user, queue)
            and queue.status == queue.Status.OPEN,
            "can_manage": access.can_manage(request.user, project),
            "agreement_url": _agreement_url(queue),
        },
    )


def _hand_next(request, queue):
    """Redirect to the reviewer's next item, or back to the queue when none is left."""
    item = queue_services.queue_next(queue=queue, reviewer=request.user)
    if item is None:
        messages.info(request, "Nothing is left for you to review in this queue.")
        return redirect(_queue_url(queue))
    return redirect(_item_url(queue, item))


@project_view()
@post_only()
def queue_next(request, project, queue_id: int):
    _require_results(request.user, project)
    return _hand_next(request, queue_selectors.queue_for(project, queue_id))


@project_view("manage")
@post_only()
def queue_close(request, project, queue_id: int):
    _require_results(request.user, project)
    queue = queue_selectors.queue_for(project, queue_id)
    button_action(
        request,
        queue_services.queue_close,
        success="The queue is closed.",
        queue=queue,
        by=request.user,
    )
    return redirect(_queue_url(queue))


@project_view("manage")
@post_only()
def queue_reopen(request, project, queue_id: int):
    _require_results(request.user, project)
    queue = queue_selectors.queue_for(project, queue_id)
    button_action(
        request,
        queue_services.queue_reopen,
        success="The queue is open again.",
        queue=queue,
        by=request.user,
    )
    return redirect(_queue_url(queue))


@project_view()
def queue_item(request, project, queue_id: int, item_id: int):
    """GET: the item to read; POST ("Save and next"): save the review, then hand the next."""
    user = request.user
    _require_results(user, project)
    queue = queue_selectors.queue_for(project, queue_id)
    item = queue_selectors.item_for(queue, item_id)
    reviewer = rules.can_review_in_queue(user, queue)
    form = None
    if reviewer and queue.status == queue.Status.OPEN:
        form = queue_forms.QueueReviewForm(
            request.POST if request.method == "POST" else None, queue=queue
        )
    if request.method == "POST":
        access.require(reviewer, "You are not one of this queue's reviewers.")
        if form is None:
            messages.error(request, "This queue is closed: it takes no more reviews.")
            return redirect(_queue_url(queue))
        if form.is_valid():
            data = form.cleaned_data
            try:
                queue_services.queue_review_save(
                    item=item,
                    reviewer=user,
                    label=data["label"],
                    manual_score=data["manual_score"],
                    note=data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Your review is saved.")
                return _hand_next(request, queue)
    return _item_page(request, queue, item, form, reviewer=reviewer)


def _item_page(request, queue, item, form, *, reviewer: bool):
    user = request.user
    sample = item.sample
    run = sample.run
    reviews = queue_selectors.item_reviews(item)
    mine = next((r for r in reviews if r.reviewer_id == user.pk), None)
    if form is not None and not form.is_bound and mine is not None:
        form.initial = {
            "label": mine.label_id,
            "manual_score": mine.manual_score,
            "note": mine.note,
        }
    hidden = transcripts.blind_terms(run) if queue.blind else ()
    hide = transcripts.Redactor(hidden)
    # The blind rule: a reviewer reads other reviews only once their own is saved.
    others_hidden = reviewer and mine is None
    context = {
        "project": queue.project,
        "queue": queue,
        "item": item,
        "run": run,
        "sample": sample,
        "transcript": transcripts.transcript_for(run, sample, redact=hidden),
        "blind": queue.blind,
        "scores_hidden": queue.blind and others_hidden,
        "others_hidden": others_hidden,
        "reviews": [] if others_hidden else [(r, hide(r.note)) for r in reviews],
        "my_review": mine,
        "form": form,
        "reviewer": reviewer,
    }
    status = 400 if form is not None and form.is_bound else 200
    return render(request, "evaluations/reviews/item.html", context, status=status)
