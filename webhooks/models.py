"""Webhooks: an institute's HTTPS endpoints that Concord tells when something happens, so partner
tools need not poll. Each event becomes one `Delivery` per subscribed webhook, sent (and re-sent)
by the workers only; every try is kept as a `DeliveryAttempt`."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from institutes.models import Institute

# The events a webhook may subscribe to (`ping`, the test event, is sent on request to any webhook).
EVENTS = (
    ("job.finished", "A job finished (succeeded, failed or was cancelled)"),
    ("run.imported", "A run was imported (by an upload or a job)"),
    ("finding.changed", "A finding was recorded, or its status or text changed"),
    ("guideline.approved", "A guideline version was approved"),
    ("access_window.closing", "An access window of a project closes soon"),
)
EVENT_NAMES = tuple(name for name, _ in EVENTS)
PING = "ping"


class Webhook(models.Model):
    institute = models.ForeignKey(Institute, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000, help_text="Where Concord POSTs the events.")
    events = models.JSONField(default=list, help_text="The names of the events it receives.")
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    # The signing secret, encrypted (webhooks.signing): shown once, never read back by a person.
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(max_length=16, editable=False, help_text="Its last characters.")
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Deliveries in a row that failed for good (reset by a success)."
    )
    failing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when deliveries keep failing (CONCORD_WEBHOOK_FAILING_AFTER in a row).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["institute__code", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.institute.code} → {self.url}"

    @property
    def is_failing(self) -> bool:
        return self.failing_since is not None


class Delivery(models.Model):
    """One event for one webhook. The row is the truth: the Celery message carries only its id,
    and the reconciler sends again what is due and was never taken."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40)
    body = models.TextField(help_text="The JSON body, exactly as sent and signed.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["webhook", "-created_at"], name="delivery_log"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "failed"]),
                name="delivery_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.uid} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="deliveryattempt_once")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.status_code or self.error}"


class AccessWindowNotice(models.Model):
    """`access_window.closing` was emitted for this window and this end: once per window (a
    window whose end is moved later is announced again for its new end)."""

    window = models.ForeignKey(
        "evaluations.AccessWindow", on_delete=models.CASCADE, related_name="+"
    )
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["window", "ends_at"], name="accesswindownotice_once")
        ]

    def __str__(self) -> str:
        return f"window {self.window_id} closing {self.ends_at:%Y-%m-%d %H:%M}"
