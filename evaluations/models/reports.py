"""Joint reports: what the institutes of a project say together, approved by each of them and
frozen, and shared with the AI developer.

A report version is drafted by a lead (title and Markdown sections), submitted, and signed by a
lead of each participating institute; the last signature freezes it: its figures, methods and
findings are copied from the stored results into `content` at that moment, and the SHA-256 of
that content (`content_hash`) is shown on it. A frozen version never changes; a new version is
drafted from it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from evaluations.models.projects import EvaluationProject
from institutes.models import Institute


class Report(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for approval"
        FROZEN = "frozen", "Approved and frozen"

    project = models.ForeignKey(EvaluationProject, on_delete=models.PROTECT, related_name="reports")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    sections = models.JSONField(
        default=list,
        blank=True,
        help_text='Free-text sections, in order: [{"key", "title", "markdown"}] (Markdown is '
        "sanitised when shown).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_versions"
    )
    content = models.JSONField(
        null=True, blank=True, help_text="Everything the frozen version shows, copied when frozen."
    )
    content_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    shared_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a lead shared this frozen version with the developer.",
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="report_unique_number"),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status__in=["draft", "submitted"]),
                name="report_one_open_version",
                violation_error_message="This project already has a report version in progress.",
            ),
            models.CheckConstraint(
                condition=Q(status="frozen", content__isnull=False, frozen_at__isnull=False)
                | ~Q(status="frozen"),
                name="report_frozen_has_content",
            ),
            models.CheckConstraint(
                condition=Q(shared_at__isnull=True) | Q(status="frozen"),
                name="report_only_frozen_is_shared",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug} report v{self.number}"


class ReportApproval(models.Model):
    """One institute's signature on a submitted report version, given by one of its leads."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="approvals")
    institute = models.ForeignKey(
        Institute, on_delete=models.PROTECT, related_name="report_approvals"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "institute"], name="reportapproval_once_per_institute"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institute.code} signed {self.report}"
