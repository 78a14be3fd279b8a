"""Review queues as a user may see them, and how far their reviews have come.

Queues are results: a user sees a project's queues where they may read its results (participants,
or anyone with view access once an embargo ended; `access.results_visible_projects`). Progress is
read in a fixed number of queries whatever the number of queues, items or reviewers: an item is
done once it holds `reviews_per_item` reviews (anyone's review of its sample counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from evaluations.models import (
    EvaluationProject,
    ReviewAssignment,
    ReviewQueue,
    ReviewQueueItem,
    SampleResult,
    SampleReview,
)
from institutes import access


def visible_queues(user) -> QuerySet[ReviewQueue]:
    """Every queue whose project's results the user may read."""
    return ReviewQueue.objects.filter(
        project__in=access.results_visible_projects(user)
    ).select_related("project", "created_by")


def project_queues(project: EvaluationProject) -> QuerySet[ReviewQueue]:
    """A project's queues, newest first (the caller checked the user may read its results)."""
    return (
        ReviewQueue.objects.filter(project=project)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def queue_for(project: EvaluationProject, queue_id) -> ReviewQueue:
    """One queue of the project with what its pages show, or 404."""
    try:
        return (
            ReviewQueue.objects.select_related("project", "created_by", "guideline_version")
            .prefetch_related("reviewers", "institutes", "labels", "runs")
            .get(project=project, pk=queue_id)
        )
    except (ReviewQueue.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such review queue.") from exc


def item_for(queue: ReviewQueue, item_id) -> ReviewQueueItem:
    """One item of the queue with its sample and run, or 404."""
    try:
        item = ReviewQueueItem.objects.select_related(
            "sample__run__task", "sample__run__system", "sample__run__institute"
        ).get(queue=queue, pk=item_id)
    except (ReviewQueueItem.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such item.") from exc
    item.queue = queue
    return item


def blinds_sample(user, sample: SampleResult) -> bool:
    """Does the user hold an unfinished assignment on this sample in a blind queue? Then its page
    shows them nobody else's review of it until they saved their own."""
    if not getattr(user, "is_authenticated", False):
        return False
    return ReviewAssignment.objects.filter(
        reviewer=user,
        item__sample=sample,
        item__queue__blind=True,
        completed_at__isnull=True,
    ).exists()


# --- progress ---------------------------------------------------------------------------------


@dataclass
class Tally:
    items: int = 0
    done: int = 0
    reviews: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.items) if self.items else 0

    @property
    def share(self) -> float | None:
        return self.done / self.items if self.items else None


@dataclass
class ReviewerProgress:
    reviewer_id: int
    username: str
    name: str
    assigned: int = 0
    done: int = 0


@dataclass
class SliceProgress(Tally):
    value: str = ""


@dataclass
class QueueProgress:
    total: Tally = field(default_factory=Tally)
    reviewers: list[ReviewerProgress] = field(default_factory=list)
    slices: list[SliceProgress] = field(default_factory=list)

    def of_reviewer(self, user) -> ReviewerProgress | None:
        return next((r for r in self.reviewers if r.reviewer_id == user.pk), None)


def sample_review_count() -> Subquery:
    """For a queryset of queue items: how many reviews the item's sample has (a subquery)."""
    reviews = (
        SampleReview.objects.filter(sample=OuterRef("sample"))
        .order_by()
        .values("sample")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(reviews, output_field=IntegerField())


def _item_rows(queue_ids: Iterable[int]):
    """(queue id, slice value, reviews) for every item of the queues: one query."""
    return (
        ReviewQueueItem.objects.filter(queue__in=list(queue_ids))
        .order_by()
        .annotate(reviews=Coalesce(sample_review_count(), Value(0, output_field=IntegerField())))
        .values_list("queue_id", "slice_value", "reviews")
    )


def queue_tallies(queues: Sequence[ReviewQueue]) -> dict[int, Tally]:
    """Items, items done and reviews of each queue (a list page): one query."""
    needed = {q.pk: q.reviews_per_item for q in queues}
    tallies = {pk: Tally() for pk in needed}
    for queue_id, _value, reviews in _item_rows(needed):
        tally = tallies[queue_id]
        tally.items += 1
        tally.reviews += reviews
        tally.done += reviews >= needed[queue_id]
    return tallies


def queue_progress(queue: ReviewQueue) -> QueueProgress:
    """A queue's progress in total, per reviewer (given, done) and per slice value: two queries."""
    progress = QueueProgress()
    slices: dict[str, SliceProgress] = {}
    for _queue_id, value, reviews in _item_rows([queue.pk]):
        done = reviews >= queue.reviews_per_item
        for tally in (progress.total, slices.setdefault(value, SliceProgress(value=value))):
            tally.items += 1
            tally.reviews += reviews
            tally.done += done
    progress.slices = [slices[value] for value in sorted(slices)]
    rows = (
        ReviewAssignment.objects.filter(item__queue=queue)
        .order_by()
        .values("reviewer_id", "reviewer__username", "reviewer__first_name", "reviewer__last_name")
        .annotate(assigned=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False)))
    )
    progress.reviewers = sorted(
        (
            ReviewerProgress(
                reviewer_id=row["reviewer_id"],
                username=row["reviewer__username"],
                name=" ".join(
                    part
                    for part in (row["reviewer__first_name"], row["reviewer__last_name"])
                    if part
                )
                or row["reviewer__username"],
                assigned=row["assigned"],
                done=row["done"],
            )
            for row in rows
        ),
        key=lambda r: (-r.done, r.name),
    )
    return progress


def item_reviews(item: ReviewQueueItem) -> list[SampleReview]:
    """The reviews of the item's sample, oldest first, with their reviewers and labels."""
    return list(
        SampleReview.objects.filter(sample_id=item.sample_id)
        .select_related("reviewer", "label")
        .order_by("created_at", "pk")
    )
