"""Personnel exchanges: staff seconded from a home institute to a host institute."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from institutes.models import Institute, Role


class ExchangeQuerySet(models.QuerySet):
    def open(self):
        """Exchanges still in play (not completed, declined or cancelled)."""
        return self.filter(status__in=Exchange.OPEN_STATUSES)

    def overlapping(self, start, end):
        """Exchanges sharing at least one day with [start, end] (both dates inclusive)."""
        return self.filter(start_date__lte=end, end_date__gte=start)


class Exchange(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.PROPOSED, Status.APPROVED, Status.ACTIVE)
    FINAL_STATUSES = (Status.COMPLETED, Status.DECLINED, Status.CANCELLED)
    # Which status may follow which; the services refuse anything else.
    TRANSITIONS = {
        Status.PROPOSED: {Status.APPROVED, Status.DECLINED, Status.CANCELLED},
        Status.APPROVED: {Status.ACTIVE, Status.CANCELLED},
        Status.ACTIVE: {Status.COMPLETED, Status.CANCELLED},
        Status.COMPLETED: set(),
        Status.DECLINED: set(),
        Status.CANCELLED: set(),
    }

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
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who activated it (empty when the schedule activated it on its start date).",
    )
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was completed, declined or cancelled."
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who completed, declined or cancelled it (empty when done by the schedule).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExchangeQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        indexes = [
            models.Index(fields=["person", "status"]),
            models.Index(fields=["status", "start_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="exchange_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(home_institute=F("host_institute")),
                name="exchange_home_differs_from_host",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "proposed",
                        "approved",
                        "active",
                        "completed",
                        "declined",
                        "cancelled",
                    ]
                ),
                name="exchange_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.home_institute.code} → {self.host_institute.code}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]

    @property
    def sides(self) -> tuple[Institute, Institute]:
        return (self.home_institute, self.host_institute)


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
    label = models.CharField(
        max_length=100, blank=True, help_text="Where it is used, e.g. 'Team calendar'."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed of {self.institute.code}"
