"""Review queues: a lead's plan for people to read and label a chosen set of samples.

A queue holds the sample results it selected (all of its runs' samples, or a stratified, seeded
random sample of them per value of one metadata key), how many independent reviews each needs,
who may review, whether reviewers work blind, and the labels they choose from. The reviews
themselves are ordinary `SampleReview` rows (one per sample result and reviewer, kept as
evidence); an assignment records that "Next" handed an item to a reviewer, so that no more
reviewers than needed work on one item at the same time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from evaluations.models.projects import EvaluationProject
from evaluations.models.results import EvaluationRun, ReviewLabel, SampleResult
from institutes.models import Institute


class ReviewQueue(models.Model):
    class Selection(models.TextChoices):
        ALL = "all", "Every sample"
        COUNT = "count", "N samples per slice value"
        PERCENT = "percent", "A share of the samples per slice value"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    project = models.ForeignKey(
        EvaluationProject, on_delete=models.PROTECT, related_name="review_queues"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    runs = models.ManyToManyField(EvaluationRun, related_name="review_queues")
    run_filter = models.JSONField(
        default=dict, blank=True, help_text="The saved runs filter the runs were chosen by, if any."
    )
    selection = models.CharField(max_length=10, choices=Selection.choices, default=Selection.ALL)
    per_slice_count = models.PositiveIntegerField(null=True, blank=True)
    per_slice_percent = models.FloatField(null=True, blank=True)
    slice_key = models.CharField(
        max_length=100,
        blank=True,
        help_text="The sample metadata key (e.g. language) the selection is stratified by and "
        "progress is shown by.",
    )
    seed = models.BigIntegerField(default=0)
    reviews_per_item = models.PositiveSmallIntegerField(default=1)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="review_queues"
    )
    institutes = models.ManyToManyField(Institute, blank=True, related_name="review_queues")
    blind = models.BooleanField(default=True)
    labels = models.ManyToManyField(ReviewLabel, related_name="review_queues")
    guideline_version = models.ForeignKey(
        "evaluations.GuidelineVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_queues",
        help_text="The adopted guideline version the labels (and the judge threshold) come from.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reviews_per_item__gte=1, reviews_per_item__lte=3),
                name="reviewqueue_one_to_three_reviews",
            ),
            models.CheckConstraint(
                condition=Q(per_slice_percent__isnull=True)
                | Q(per_slice_percent__gt=0, per_slice_percent__lte=100),
                name="reviewqueue_percent_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReviewQueueItem(models.Model):
    """One sample result (a sample at one epoch) a queue asks people to review."""

    queue = models.ForeignKey(ReviewQueue, on_delete=models.CASCADE, related_name="items")
    sample = models.ForeignKey(SampleResult, on_delete=models.PROTECT, related_name="queue_items")
    position = models.PositiveIntegerField(help_text="Order in which 'Next' hands items out.")
    slice_value = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["queue", "position"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "sample"], name="reviewqueueitem_unique"),
            models.UniqueConstraint(
                fields=["queue", "position"], name="reviewqueueitem_unique_position"
            ),
        ]
        indexes = [models.Index(fields=["queue", "slice_value"])]

    def __str__(self) -> str:
        return f"{self.queue} #{self.position}"


class ReviewAssignment(models.Model):
    """An item handed to a reviewer by "Next"; done once they saved their review of it."""

    item = models.ForeignKey(ReviewQueueItem, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["item", "reviewer"], name="reviewassignment_unique")
        ]
        indexes = [models.Index(fields=["reviewer", "completed_at"])]

    def __str__(self) -> str:
        return f"{self.item} to {self.reviewer}"
