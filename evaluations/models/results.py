"""Results: runs ingested from Inspect logs, their scores and per-sample results, and reviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from evaluations.models.evidence import KeptModel, KeptQuerySet
from institutes.models import Institute


class EvaluationRun(KeptModel):
    """An ingested log: evidence, never deleted (see `evaluations.models.evidence`)."""

    class Source(models.TextChoices):
        JOB = "job", "Concord job"
        UPLOAD = "upload", "Uploaded log"

    class Status(models.TextChoices):
        SUCCESS = "success", "Success"
        CANCELLED = "cancelled", "Cancelled"
        ERROR = "error", "Error"
        STARTED = "started", "Incomplete"

    project = models.ForeignKey(
        "evaluations.EvaluationProject", on_delete=models.PROTECT, related_name="runs"
    )
    task = models.ForeignKey(
        "evaluations.EvaluationTask", on_delete=models.PROTECT, related_name="runs"
    )
    system = models.ForeignKey(
        "evaluations.AISystem", on_delete=models.PROTECT, related_name="runs"
    )
    institute = models.ForeignKey(Institute, on_delete=models.PROTECT, related_name="runs")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.JOB)
    log_format = models.CharField(max_length=16, default="inspect", help_text="inspect or lm-eval.")
    inspect_eval_id = models.CharField(max_length=100, unique=True)
    inspect_task = models.CharField(max_length=300, blank=True, help_text="Task name in the log.")
    inspect_model = models.CharField(max_length=300, blank=True, help_text="Model name in the log.")
    guideline_version = models.ForeignKey(
        "evaluations.GuidelineVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCESS)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    sample_count = models.PositiveIntegerField(default=0)
    epochs = models.PositiveSmallIntegerField(default=1)
    # Whether the run covers its whole dataset: every sample, at every configured epoch, with no
    # `limit` or `sample_id` subset. Set by ingestion from the log's header (the one writer); a
    # partial run (a smoke test) never replaces a complete one as a cell's headline
    # (`evaluations.results.representative`).
    dataset_samples = models.PositiveIntegerField(
        null=True, blank=True, help_text="Samples in the task's dataset, from the log's header."
    )
    complete = models.BooleanField(
        default=True, help_text="Every dataset sample at every configured epoch, no subset."
    )
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    total_tokens = models.BigIntegerField(default=0)
    primary_scorer = models.CharField(max_length=200, blank=True)
    primary_metric = models.CharField(max_length=100, blank=True)
    primary_value = models.FloatField(null=True, blank=True)
    primary_stderr = models.FloatField(null=True, blank=True)
    log_file = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    error = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An import filed under a task or system that the log's own task name or model contradicts:
    # refused unless the uploader said so explicitly, with a reason (evaluations.services.imports).
    override_task = models.BooleanField(
        default=False, help_text="Imported under a task the log's task name contradicts."
    )
    override_system = models.BooleanField(
        default=False, help_text="Imported under a system the log's model contradicts."
    )
    override_reason = models.TextField(blank=True, help_text="Why the uploader overrode the log.")
    # Sufficient statistics of the sample scores (`stats.ClusterMoments` of the `score` column and
    # of each mean-like scorer), computed once by ingestion: a run's samples never change after
    # it, so pages read these instead of aggregating every sample row on each request (see
    # `evaluations.results.scores`). Null for runs written otherwise: they are aggregated as before.
    score_moments = models.JSONField(null=True, blank=True, editable=False)
    setup = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="How the log says it ran: Inspect version, sandbox, solver or agent, task "
        "version and arguments (`ingestion.rows.run_setup`).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "task", "system"]),
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["institute", "-created_at"]),
        ]
        constraints = [
            # An override always says why; a reason without an override means nothing.
            models.CheckConstraint(
                condition=(
                    (Q(override_task=True) | Q(override_system=True)) & ~Q(override_reason="")
                )
                | Q(override_task=False, override_system=False, override_reason=""),
                name="evaluationrun_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk}: {self.task} on {self.system} by {self.institute.code}"

    @property
    def override_notice(self) -> str:
        """What an import overrode, in words ("" when nothing): for the run page and the API."""
        if not (self.override_task or self.override_system):
            return ""
        parts = []
        if self.override_task:
            parts.append(
                f"Imported under task {self.task.slug}; the log says '{self.inspect_task}'"
            )
        if self.override_system:
            parts.append(
                f"imported under system {self.system}; the log's model is '{self.inspect_model}'"
                if parts
                else f"Imported under system {self.system}; the log's model is "
                f"'{self.inspect_model}'"
            )
        # The override is the uploader's (none for `import_log`, run by an operator).
        who = self.uploaded_by.username if self.uploaded_by else "an operator (import_log)"
        return f"{'; '.join(parts)} — by {who}: {self.override_reason}"

    @property
    def partial_label(self) -> str:
        """ "partial: 10 of 30" for a run that does not cover its dataset ("" when complete)."""
        if self.complete:
            return ""
        if self.dataset_samples:
            return f"partial: {self.sample_count} of {self.dataset_samples}"
        return f"partial: {self.sample_count} samples"


class PinnedRun(models.Model):
    """The run a lead chose as the headline of a results cell (project, task, system), instead of
    the latest complete run. One per cell; pinning another run replaces it, unpinning deletes it
    (both audited). Rules in `evaluations.services.results`."""

    project = models.ForeignKey(
        "evaluations.EvaluationProject", on_delete=models.PROTECT, related_name="pinned_runs"
    )
    task = models.ForeignKey(
        "evaluations.EvaluationTask", on_delete=models.PROTECT, related_name="+"
    )
    system = models.ForeignKey("evaluations.AISystem", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(EvaluationRun, on_delete=models.PROTECT, related_name="pins")
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    pinned_at = models.DateTimeField()

    class Meta:
        ordering = ["project", "task", "system"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "task", "system"], name="pinnedrun_one_per_cell"
            )
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} pinned for {self.task} on {self.system}"


class RunScore(models.Model):
    run = models.ForeignKey(EvaluationRun, on_delete=models.PROTECT, related_name="scores")
    scorer = models.CharField(max_length=200)
    metric = models.CharField(max_length=100)
    value = models.FloatField(null=True)
    stderr = models.FloatField(null=True, blank=True)
    scored_samples = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["scorer", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "scorer", "metric"], name="runscore_unique_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scorer}/{self.metric}={self.value}"


class SampleResult(KeptModel):
    """One sample (at one epoch) of a run. Rows are written in bulk with COPY by ingestion, and
    kept."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.PROTECT, related_name="samples")
    sample_id = models.CharField(max_length=200)
    epoch = models.PositiveIntegerField(default=1)
    score = models.FloatField(null=True, blank=True, help_text="Primary score as a number.")
    scores = models.JSONField(default=dict, blank=True)
    input = models.TextField(blank=True)
    target = models.TextField(blank=True)
    output = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    total_tokens = models.IntegerField(default=0)
    # The full transcript (messages, tool calls, scorer explanations) is read from the log file.
    entry_name = models.CharField(
        max_length=300, blank=True, help_text="Member of the log archive."
    )

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["run", "sample_id", "epoch"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "sample_id", "epoch"], name="sampleresult_unique"
            )
        ]
        indexes = [models.Index(fields=["run", "id"]), models.Index(fields=["run", "score"])]

    def __str__(self) -> str:
        return f"{self.sample_id}#{self.epoch}"


class RunScorer(models.Model):
    """What one scorer of a run is: an automatic judge (a model grading the answers, e.g.
    Inspect's `model_graded_qa`) or a rule, and, for a judge, which grader model it used.
    Recorded at ingestion from the log's model roles and the scorer's parameters and metadata."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="scorers")
    name = models.CharField(max_length=200)
    judge = models.BooleanField(
        default=False, help_text="The scorer is a model grading the answers (an LLM judge)."
    )
    grader_model = models.CharField(
        max_length=200, blank=True, help_text="The judge's model, as Inspect names it."
    )

    class Meta:
        ordering = ["run", "name"]
        constraints = [
            models.UniqueConstraint(fields=["run", "name"], name="runscorer_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.grader_model or 'rule'})"


class ReviewLabel(models.Model):
    """Labels reviewers give transcripts (refusal, tool-use fault, ...). Configurable.

    `verdict` is what the label says about the answer on the scorer's 0-1 scale (1 for
    "Correct", 0 for "Incorrect"), or none when it says nothing about it ("Environment bug"):
    a review's human score is its manual score, else its label's verdict."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=100)
    verdict = models.FloatField(
        null=True,
        blank=True,
        help_text="The score this label stands for (1 right, 0 wrong); empty when it says "
        "nothing about the answer.",
    )
    default = models.BooleanField(
        default=False,
        help_text="In the label set a review queue offers when no guideline sets one.",
    )

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__isnull=True) | Q(verdict__gte=0, verdict__lte=1),
                name="reviewlabel_verdict_in_unit_interval",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SampleReview(KeptModel):
    """A person's reading of a transcript: it can be changed by its reviewer, never deleted."""

    sample = models.ForeignKey(SampleResult, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sample_reviews"
    )
    label = models.ForeignKey(ReviewLabel, on_delete=models.PROTECT, related_name="reviews")
    manual_score = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True)
    blind = models.BooleanField(
        default=False, help_text="Reviewed without seeing which system answered."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["sample", "reviewer"], name="samplereview_one_per_reviewer"
            ),
            models.CheckConstraint(
                condition=Q(manual_score__isnull=True)
                | Q(manual_score__gte=0, manual_score__lte=1),
                name="samplereview_manual_score_in_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.sample}: {self.label}"
