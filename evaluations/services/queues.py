"""Writes for review queues: a lead plans which samples people read and label, "Next" hands them
out, reviews are saved through the queue, and a lead closes (or reopens) it.

Rules:
- Leads of a participating institute and programme managers create, close and reopen queues, on
  runs of the project whose results they may see.
- A queue selects every sample result of its runs, or a stratified, seeded sample of them per
  value of a metadata key (`evaluations.services.queue_selection`): the same seed draws the same
  items. Its items are written all at once or not at all.
- Labels: those given, else the guideline version's label set (a version the project adopted),
  else the default label set.
- Who reviews: the queue's reviewers, or evaluators and leads of its institutes, or, when it names
  neither, everyone who reviews in the project (`rules.can_review_in_queue`).
- "Next" gives the reviewer their unfinished item if they have one, else the first item (by
  position) they have not been given that still needs reviews: an item holds at most
  `reviews_per_item` reviews and live assignments together. An assignment left unfinished for
  ASSIGNMENT_TIMEOUT stops holding its place. Items are locked while they are handed out (SKIP
  LOCKED), and counted again once locked, so two reviewers pressing "Next" at once never take
  more places than the item has.
- A queue review is an ordinary `SampleReview` (`services.reviews.review_save`), blind when the
  queue is; saving it completes the reviewer's assignment. A closed queue hands out nothing and
  takes no review.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone

from evaluations import rules
from evaluations.models import (
    EvaluationProject,
    EvaluationRun,
    GuidelineVersion,
    Participation,
    ProjectGuideline,
    ReviewAssignment,
    ReviewLabel,
    ReviewQueue,
    ReviewQueueItem,
    SampleResult,
    SampleReview,
)
from evaluations.results import slices
from evaluations.selectors.queues import sample_review_count
from evaluations.services import reviews as review_services
from evaluations.services.queue_selection import Candidate, stratified_selection
from institutes import access, audit

_TABLE = "evaluations_reviewqueue"
ASSIGNMENT_TIMEOUT = timedelta(minutes=30)
SEED_MAX = 2**63 - 1


def _require_lead(user, project: EvaluationProject) -> None:
    access.require(
        access.can_manage(user, project),
        "Only leads of a participating institute (or a programme manager) manage review queues.",
    )


def metadata_keys(runs: Iterable[EvaluationRun]) -> list[str]:
    """What a queue may be stratified by: the slice keys of the runs' samples
    (`results.slices`: metadata keys with a bounded number of scalar values)."""
    return slices.available_keys(runs)


def _labels_for(labels, guideline_version) -> list[ReviewLabel]:
    if labels:
        return list(labels)
    if guideline_version is not None:
        chosen = list(guideline_version.review_labels.all())
        if chosen:
            return chosen
    return list(ReviewLabel.objects.filter(default=True))


def _validate(
    *,
    project,
    by,
    name,
    runs,
    selection,
    per_slice_count,
    per_slice_percent,
    slice_key,
    seed,
    reviews_per_item,
    reviewers,
    institutes,
    guideline_version,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the queue a name (e.g. 'Refusals, French and German')."
    if not runs:
        errors["runs"] = "Choose at least one run of the project."
    elif any(run.project_id != project.pk for run in runs):
        errors["runs"] = "Choose runs of this project only."
    elif not access.can_see_results(by, project):
        errors["runs"] = "You may not read this project's results."
    if not isinstance(reviews_per_item, int) or not 1 <= reviews_per_item <= 3:
        errors["reviews_per_item"] = "Each item needs 1, 2 or 3 reviews."
    if selection not in ReviewQueue.Selection.values:
        errors["selection"] = "Choose every sample, N per slice value or a share of them."
    elif selection == ReviewQueue.Selection.COUNT and (
        per_slice_count is None or per_slice_count < 1
    ):
        errors["per_slice_count"] = "Give how many samples per slice value (at least 1)."
    elif selection == ReviewQueue.Selection.PERCENT and (
        per_slice_percent is None or not 0 < per_slice_percent <= 100
    ):
        errors["per_slice_percent"] = "Give a share above 0 and at most 100 percent."
    if not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        errors["seed"] = f"The seed is a whole number from 0 to {SEED_MAX}."
    if slice_key and "runs" not in errors and slice_key not in (keys := metadata_keys(runs)):
        errors["slice_key"] = f"The samples of these runs have no slice '{slice_key}'. " + (
            f"Slices present: {', '.join(keys)}." if keys else "Their metadata has none."
        )
    cannot = [u for u in reviewers if not rules.can_review(u, project)]
    if cannot:
        errors["reviewers"] = (
            f"{', '.join(sorted(u.username for u in cannot))} cannot review in this project "
            "(evaluators and leads of a participating institute review)."
        )
    participating = set(
        Participation.objects.filter(project=project).values_list("institute_id", flat=True)
    )
    outside = [i for i in institutes if i.pk not in participating]
    if outside:
        errors["institutes"] = (
            f"{', '.join(sorted(i.code for i in outside))} does not take part in this project."
        )
    if (
        guideline_version is not None
        and not ProjectGuideline.objects.filter(project=project, version=guideline_version).exists()
    ):
        errors["guideline_version"] = "Choose a guideline version this project adopted."
    return errors


def _candidates(runs, slice_key: str) -> list[Candidate]:
    """The runs' sample results with their value of the slice key (read by the database: the
    metadata itself is not loaded)."""
    raw = KeyTextTransform(slice_key, "metadata") if slice_key else Value("")
    rows = (
        SampleResult.objects.filter(run__in=[r.pk for r in runs])
        .order_by()
        .annotate(slice_raw=raw)
        .values_list("pk", "run_id", "sample_id", "epoch", "slice_raw")
    )
    return [
        Candidate(pk, run_id, sample_id, epoch, "" if value is None else str(value).strip()[:200])
        for pk, run_id, sample_id, epoch, value in rows
    ]


@transaction.atomic
def queue_create(
    *,
    project: EvaluationProject,
    by,
    name: str,
    runs,
    selection: str = "all",
    per_slice_count: int | None = None,
    per_slice_percent: float | None = None,
    slice_key: str = "",
    seed: int = 0,
    reviews_per_item: int = 1,
    reviewers=(),
    institutes=(),
    blind: bool = True,
    labels=None,
    guideline_version: GuidelineVersion | None = None,
    description: str = "",
    run_filter: dict | None = None,
) -> ReviewQueue:
    """Create a queue and its items (all or nothing). PermissionDenied unless `by` leads a
    participating institute or is a programme manager; ValidationError naming each field at
    fault."""
    _require_lead(by, project)
    runs = list(runs)
    reviewers = list(reviewers)
    institutes = list(institutes)
    name = (name or "").strip()
    slice_key = (slice_key or "").strip()
    errors = _validate(
        project=project,
        by=by,
        name=name,
        runs=runs,
        selection=selection,
        per_slice_count=per_slice_count,
        per_slice_percent=per_slice_percent,
        slice_key=slice_key,
        seed=seed,
        reviews_per_item=reviews_per_item,
        reviewers=reviewers,
        institutes=institutes,
        guideline_version=guideline_version,
    )
    chosen_labels = [] if errors else _labels_for(labels, guideline_version)
    if not errors and not chosen_labels:
        errors["labels"] = "Choose the labels reviewers pick from: no default label set exists."
    if errors:
        raise ValidationError(errors)
    selected = stratified_selection(
        _candidates(runs, slice_key),
        count=per_slice_count if selection == ReviewQueue.Selection.COUNT else None,
        percent=per_slice_percent if selection == ReviewQueue.Selection.PERCENT else None,
        seed=seed,
    )
    if not selected:
        raise ValidationError({"runs": "The chosen runs hold no sample to review."})
    queue = ReviewQueue.objects.create(
        project=project,
        name=name,
        description=(description or "").strip(),
        run_filter=run_filter or {},
        selection=selection,
        per_slice_count=per_slice_count if selection == ReviewQueue.Selection.COUNT else None,
        per_slice_percent=per_slice_percent if selection == ReviewQueue.Selection.PERCENT else None,
        slice_key=slice_key,
        seed=seed,
        reviews_per_item=reviews_per_item,
        blind=blind,
        guideline_version=guideline_version,
        created_by=by,
    )
    queue.runs.set(runs)
    queue.reviewers.set(reviewers)
    queue.institutes.set(institutes)
    queue.labels.set(chosen_labels)
    ReviewQueueItem.objects.bulk_create(
        ReviewQueueItem(queue=queue, sample_id=c.pk, position=position, slice_value=c.slice_value)
        for position, c in enumerate(selected)
    )
    audit.record(
        "review_queue_created",
        user=by,
        project_id=project.pk,
        table=_TABLE,
        object_id=queue.pk,
        name=queue.name,
        items=len(selected),
        selection=selection,
        slice_key=slice_key,
        seed=seed,
        reviews_per_item=reviews_per_item,
    )
    return queue


def _set_status(queue: ReviewQueue, by, status: str, action: str) -> ReviewQueue:
    _require_lead(by, queue.project)
    queue = ReviewQueue.objects.select_for_update().get(pk=queue.pk)
    if queue.status == status:
        return queue
    queue.status = status
    queue.save(update_fields=["status"])
    audit.record(
        action,
        user=by,
        project_id=queue.project_id,
        table=_TABLE,
        object_id=queue.pk,
        name=queue.name,
    )
    return queue


@transaction.atomic
def queue_close(*, queue: ReviewQueue, by) -> ReviewQueue:
    """Close a queue: "Next" hands nothing out and no review is taken through it any more."""
    return _set_status(queue, by, ReviewQueue.Status.CLOSED, "review_queue_closed")


@transaction.atomic
def queue_reopen(*, queue: ReviewQueue, by) -> ReviewQueue:
    return _set_status(queue, by, ReviewQueue.Status.OPEN, "review_queue_reopened")


def _require_reviewer(queue: ReviewQueue, reviewer) -> None:
    access.require(
        rules.can_review_in_queue(reviewer, queue),
        "You are not one of this queue's reviewers.",
    )


def _places_taken(item: ReviewQueueItem, *, cutoff, but=None) -> set[int]:
    """Who holds a place on the item: its reviewers and its live assignments' reviewers."""
    reviewed = set(
        SampleReview.objects.filter(sample_id=item.sample_id).values_list("reviewer_id", flat=True)
    )
    assigned = set(
        ReviewAssignment.objects.filter(
            item=item, completed_at__isnull=True, assigned_at__gte=cutoff
        ).values_list("reviewer_id", flat=True)
    )
    return (reviewed | assigned) - {but}


def _open_items(queue: ReviewQueue, reviewer, cutoff):
    """The queue's items the reviewer was never given, that look like they have room (in this
    statement's snapshot: the caller counts again once it holds the lock)."""
    live = (
        ReviewAssignment.objects.filter(
            item=OuterRef("pk"), completed_at__isnull=True, assigned_at__gte=cutoff
        )
        .exclude(
            Exists(
                SampleReview.objects.filter(
                    sample=OuterRef("item__sample"), reviewer=OuterRef("reviewer")
                )
            )
        )
        .order_by()
        .values("item")
        .annotate(n=Count("pk"))
        .values("n")
    )
    zero = Value(0, output_field=IntegerField())
    return (
        ReviewQueueItem.objects.filter(queue=queue)
        .exclude(Exists(ReviewAssignment.objects.filter(item=OuterRef("pk"), reviewer=reviewer)))
        .exclude(Exists(SampleReview.objects.filter(sample=OuterRef("sample"), reviewer=reviewer)))
        .annotate(
            taken=Coalesce(sample_review_count(), zero)
            + Coalesce(Subquery(live, output_field=IntegerField()), zero)
        )
        .filter(taken__lt=queue.reviews_per_item)
        .order_by("position")
    )


@transaction.atomic
def queue_next(*, queue: ReviewQueue, reviewer) -> ReviewQueueItem | None:
    """The item the reviewer should review now (see the module's rules), or None when nothing is
    left for them. PermissionDenied for someone who may not review in the queue."""
    queue = (
        ReviewQueue.objects.select_related("project")
        .prefetch_related("reviewers", "institutes")
        .get(pk=queue.pk)
    )
    _require_reviewer(queue, reviewer)
    if queue.status != ReviewQueue.Status.OPEN:
        return None
    now = timezone.now()
    cutoff = now - ASSIGNMENT_TIMEOUT
    unfinished = (
        ReviewAssignment.objects.filter(
            item__queue=queue, reviewer=reviewer, completed_at__isnull=True
        )
        .order_by("assigned_at", "pk")
        .values_list("pk", "item_id")
    )
    for assignment_pk, item_pk in unfinished:
        item = ReviewQueueItem.objects.select_for_update().get(pk=item_pk)
        if len(_places_taken(item, cutoff=cutoff, but=reviewer.pk)) < queue.reviews_per_item:
            ReviewAssignment.objects.filter(pk=assignment_pk).update(assigned_at=now)
            return item
        # Others filled the item while this assignment lay idle: it gives its place up.
        ReviewAssignment.objects.filter(pk=assignment_pk).delete()
    full: list[int] = []
    while True:
        item = (
            _open_items(queue, reviewer, cutoff)
            .exclude(pk__in=full)
            .select_for_update(skip_locked=True, of=("self",))
            .first()
        )
        if item is None:
            return None
        # Locked now: whoever else hands this item out waits for us, and this count (a new
        # statement) sees every assignment committed before it.
        if len(_places_taken(item, cutoff=cutoff)) < queue.reviews_per_item:
            ReviewAssignment.objects.create(item=item, reviewer=reviewer)
            return item
        full.append(item.pk)


@transaction.atomic
def queue_review_save(
    *,
    item: ReviewQueueItem,
    reviewer,
    label: ReviewLabel,
    manual_score: float | None = None,
    note: str = "",
) -> SampleReview:
    """Save the reviewer's review of the item's sample (blind when the queue is) and complete
    their assignment. ValidationError for a label outside the queue's set or a closed queue."""
    queue = (
        ReviewQueue.objects.select_related("project")
        .prefetch_related("reviewers", "institutes")
        .get(pk=item.queue_id)
    )
    _require_reviewer(queue, reviewer)
    if queue.status != ReviewQueue.Status.OPEN:
        raise ValidationError("This queue is closed: it takes no more reviews.")
    if label is None or not queue.labels.filter(pk=label.pk).exists():
        raise ValidationError({"label": "Choose one of this queue's labels."})
    # Locked like "Next" does: a reviewer who opened the item by its address (not through Next)
    # takes a place only while the item has one, so it never gets more reviews than it needs.
    item = ReviewQueueItem.objects.select_for_update().get(pk=item.pk)
    taken = _places_taken(item, cutoff=timezone.now() - ASSIGNMENT_TIMEOUT)
    if reviewer.pk not in taken and len(taken) >= queue.reviews_per_item:
        raise ValidationError(
            f"This item already has the {queue.reviews_per_item} review"
            f"{'s' if queue.reviews_per_item > 1 else ''} it needs: press Next for another."
        )
    sample = SampleResult.objects.select_related("run__project").get(pk=item.sample_id)
    review = review_services.review_save(
        sample=sample,
        reviewer=reviewer,
        label=label,
        manual_score=manual_score,
        note=note,
        blind=queue.blind,
    )
    now = timezone.now()
    assignment, created = ReviewAssignment.objects.get_or_create(
        item=item, reviewer=reviewer, defaults={"completed_at": now}
    )
    if not created and assignment.completed_at is None:
        ReviewAssignment.objects.filter(pk=assignment.pk).update(completed_at=now)
    return review
