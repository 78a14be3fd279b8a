"""Personnel exchanges: staff seconded from a home institute to a host institute."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from institutes.models import Institute, Role


class Exchange(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exchanges"
    )
    home_institute = models.ForeignKey(
        Institute, on_delete=models.PROTECT, related_name="exchanges_out"
    )
    host_institute = models.ForeignKey(
        Institute, on_delete=models.PROTECT, related_name="exchanges_in"
    )
    project = models.ForeignKey(
        "evaluations.EvaluationProject",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exchanges",
    )
    role_title = models.CharField(max_length=200)
    host_role = models.CharField(
        max_length=16,
        choices=Role.choices,
        default=Role.EVALUATOR,
        help_text="The role the person holds at the host institute while the exchange is active.",
    )
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    objectives = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    status_reason = models.TextField(blank=True, help_text="Why it was declined or cancelled.")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["person", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="exchange_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(home_institute=F("host_institute")),
                name="exchange_home_differs_from_host",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.home_institute.code} → {self.host_institute.code}"


class ExchangeApproval(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    exchange = models.ForeignKey(Exchange, on_delete=models.CASCADE, related_name="approvals")
    institute = models.ForeignKey(Institute, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["exchange", "institute"], name="exchangeapproval_once_per_side"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institute.code} {self.decision} {self.exchange_id}"


class ChecklistItemType(models.Model):
    """An onboarding step every exchange goes through (configurable by programme managers)."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    mandatory = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    exchange = models.ForeignKey(Exchange, on_delete=models.CASCADE, related_name="checklist")
    item_type = models.ForeignKey(ChecklistItemType, on_delete=models.PROTECT, related_name="items")
    mandatory = models.BooleanField(default=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["item_type__order", "item_type__name"]
        constraints = [
            models.UniqueConstraint(fields=["exchange", "item_type"], name="checklistitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_type} ({'done' if self.done_at else 'open'})"


class CalendarFeed(models.Model):
    """A secret-URL iCalendar feed of an institute's exchanges. Revoking it makes the URL 404."""

    institute = models.ForeignKey(
        Institute, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed of {self.institute.code}"
