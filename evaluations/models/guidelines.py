"""Evaluation guidelines: protocols that institutes draft, review and approve together."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from institutes.models import Institute


class Guideline(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    domain = models.ForeignKey(
        "evaluations.Domain",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guidelines",
    )
    required_institutes = models.ManyToManyField(
        Institute,
        related_name="required_guidelines",
        help_text="Institutes that must sign a version before it is approved.",
    )
    owner_institute = models.ForeignKey(
        Institute, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_guidelines"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class GuidelineVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        SUPERSEDED = "superseded", "Superseded"

    guideline = models.ForeignKey(Guideline, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body_markdown = models.TextField()
    change_summary = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    review_labels = models.ManyToManyField(
        "evaluations.ReviewLabel",
        blank=True,
        related_name="guideline_versions",
        help_text="The labels reviewers choose from in review queues under this version "
        "(the default set when empty).",
    )
    judge_min_kappa = models.FloatField(
        null=True,
        blank=True,
        help_text="An LLM judge whose Cohen's kappa with the human majority is below this is "
        "flagged on every result that depends on it (empty: no threshold).",
    )

    class Meta:
        ordering = ["guideline__code", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["guideline", "number"], name="guidelineversion_unique_number"
            ),
            # At most one approved version per guideline: approving a new one supersedes the old.
            models.UniqueConstraint(
                fields=["guideline"],
                condition=Q(status="approved"),
                name="guidelineversion_one_approved",
            ),
            # At most one open version (a draft or one in review) per guideline: versions are
            # written and agreed one after another, never side by side.
            models.UniqueConstraint(
                fields=["guideline"],
                condition=Q(status__in=["draft", "in_review"]),
                name="guidelineversion_one_open",
                violation_error_message="This guideline already has an open version.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guideline.code} v{self.number}"


class GuidelineApproval(models.Model):
    """One institute's signature on a guideline version, given by one of its leads."""

    version = models.ForeignKey(
        GuidelineVersion, on_delete=models.CASCADE, related_name="approvals"
    )
    institute = models.ForeignKey(
        Institute, on_delete=models.PROTECT, related_name="guideline_approvals"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "institute"], name="guidelineapproval_once_per_institute"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institute.code} signed {self.version}"
