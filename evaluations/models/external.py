"""External runs: Inspect evaluations that an institute runs on its own machines and reports to
Concord while they run (the `concord-client` Inspect hook), so they show beside Concord's own jobs.

The row carries progress, not results: the scores arrive when the log is imported, as an
EvaluationRun with the same Inspect eval id, which the row then links (`run`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from institutes.models import Institute


class ExternalRun(models.Model):
    """One Inspect evaluation reported by the institute that runs it, identified by its eval id."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED})

    project = models.ForeignKey(
        "evaluations.EvaluationProject", on_delete=models.CASCADE, related_name="external_runs"
    )
    institute = models.ForeignKey(Institute, on_delete=models.PROTECT, related_name="external_runs")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_external_runs",
    )
    eval_id = models.CharField(
        max_length=100, unique=True, help_text="Inspect's eval id: the log's own identity."
    )
    # Not `run_id`: that is the column of `run` below (the API calls this one `run_id`).
    inspect_run_id = models.CharField(max_length=100, blank=True, help_text="Inspect's run id.")
    task_name = models.CharField(max_length=300, help_text="The task as Inspect names it.")
    model = models.CharField(max_length=300, help_text="The model as Inspect names it.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    samples_done = models.PositiveIntegerField(default=0)
    samples_total = models.PositiveIntegerField(default=0, help_text="0: not known yet.")
    host = models.CharField(max_length=255, blank=True)
    inspect_version = models.CharField(max_length=50, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, help_text="The last word from it.")
    finished_at = models.DateTimeField(null=True, blank=True)
    run = models.OneToOneField(
        "evaluations.EvaluationRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="external_report",
        help_text="The run its log was imported as.",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-started_at"]),
            models.Index(fields=["project", "-started_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["running", "succeeded", "failed", "cancelled"]),
                name="external_run_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(samples_done__gte=0) & Q(samples_total__gte=0),
                name="external_run_samples_not_negative",
            ),
            # Finished exactly when final: a running row has no end, a final one has one.
            models.CheckConstraint(
                condition=Q(status="running", finished_at__isnull=True)
                | Q(status__in=["succeeded", "failed", "cancelled"], finished_at__isnull=False),
                name="external_run_finished_when_final",
            ),
            models.CheckConstraint(condition=~Q(eval_id=""), name="external_run_has_eval_id"),
        ]

    def __str__(self) -> str:
        return f"External run {self.pk}: {self.task_name} on {self.model}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def is_stale(self) -> bool:
        """Running, and no word from it for CONCORD_EXTERNAL_RUN_STALE_SECONDS."""
        if self.status != self.Status.RUNNING:
            return False
        silence = timedelta(seconds=settings.CONCORD_EXTERNAL_RUN_STALE_SECONDS)
        return self.heartbeat_at < timezone.now() - silence

    # The names the job progress bar reads (templates/evaluations/jobs/_progress.html).
    @property
    def progress_done(self) -> int:
        return self.samples_done

    @property
    def progress_total(self) -> int:
        return self.samples_total

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.samples_total:
            return 0
        return min(100, round(100 * self.samples_done / self.samples_total))
