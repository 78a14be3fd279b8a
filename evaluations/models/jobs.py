"""Evaluation tasks and the jobs that run them on workers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from institutes.models import Institute


class EvaluationTask(models.Model):
    """An Inspect task: shipped with Concord, from an installed package, or an institute's own.
    `inspect_ref` is a registered task name or `module:function`.

    A task whose reference does not resolve on this server is *import-only* (`runnable` False,
    `runnable_note` says why): institutes run it on their own machines and import its logs, whose
    task name (`eval.task`, e.g. `arith` or `inspect_evals/gpqa_diamond`) is its `inspect_ref`.
    A task with a `project` belongs to that project (its participants see it, imports into it
    may match it); without one it is global."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    domain = models.ForeignKey(
        "evaluations.Domain", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    inspect_ref = models.CharField(max_length=300)
    default_params = models.JSONField(default=dict, blank=True)
    is_builtin = models.BooleanField(default=False, help_text="Shipped with Concord.")
    is_active = models.BooleanField(default=True)
    runnable = models.BooleanField(
        default=True, help_text="Concord's workers can run it (its reference resolves here)."
    )
    runnable_note = models.TextField(
        blank=True, help_text="Why Concord cannot run it here (an import-only task)."
    )
    project = models.ForeignKey(
        "evaluations.EvaluationProject",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="own_tasks",
        help_text="Empty: a global task, visible to everyone. Set: visible only to the "
        "project's participants (and programme managers).",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registered_tasks",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EvaluationJob(models.Model):
    """One request to run a task against a system. The row is the truth; the broker carries its id."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINAL = {Status.SUCCEEDED, Status.FAILED, Status.CANCELLED}

    project = models.ForeignKey(
        "evaluations.EvaluationProject", on_delete=models.CASCADE, related_name="jobs"
    )
    task = models.ForeignKey(EvaluationTask, on_delete=models.PROTECT, related_name="jobs")
    system = models.ForeignKey(
        "evaluations.AISystem", on_delete=models.PROTECT, related_name="jobs"
    )
    institute = models.ForeignKey(Institute, on_delete=models.PROTECT, related_name="jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="requested_jobs",
    )
    guideline_version = models.ForeignKey(
        "evaluations.GuidelineVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    params = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=40, default="evals")
    pool = models.ForeignKey(
        "evaluations.WorkerPool",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="jobs",
        help_text="The institute's worker pool that runs this job (empty: Concord's own workers).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    worker = models.CharField(
        max_length=200, blank=True, help_text="Host and process that holds the job."
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    log_file = models.CharField(max_length=500, blank=True)
    run = models.OneToOneField(
        "evaluations.EvaluationRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="job",
    )
    retry_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retries",
        help_text="The failed or cancelled job this one retries.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"]),
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["pool", "status", "enqueued_at"], name="job_pool_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed", "cancelled"]),
                name="job_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(progress_total=0) | Q(progress_done__lte=models.F("progress_total")),
                name="job_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk}: {self.task} on {self.system}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class Deviation(models.Model):
    """A departure from the adopted guideline: a changed prompt, an error-recovery scaffold, ..."""

    class Impact(models.TextChoices):
        NONE = "none", "None expected"
        MINOR = "minor", "Minor"
        MAJOR = "major", "Major"

    job = models.ForeignKey(
        EvaluationJob, null=True, blank=True, on_delete=models.CASCADE, related_name="deviations"
    )
    run = models.ForeignKey(
        "evaluations.EvaluationRun",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deviations",
    )
    description = models.TextField()
    impact = models.CharField(max_length=8, choices=Impact.choices, default=Impact.MINOR)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(job__isnull=False) | Q(run__isnull=False),
                name="deviation_has_job_or_run",
            )
        ]

    def __str__(self) -> str:
        return self.description[:60]
