"""Joint evaluation projects and what they evaluate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from evaluations.models.evidence import KeptModel, PublishedFindingQuerySet
from institutes.models import Institute


class Domain(models.Model):
    """A risk domain (biological, cyber, ...). A table, so programme managers can add more."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class AISystem(models.Model):
    """A model, system or agent under evaluation, or used as a reference.

    Concord stores the *name* of the environment variable holding an API key, never the key.
    """

    class Kind(models.TextChoices):
        MODEL = "model", "Model"
        SYSTEM = "system", "System"
        AGENT = "agent", "Agent"

    developer = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MODEL)
    description = models.TextField(blank=True)
    inspect_model = models.CharField(
        max_length=200,
        help_text="Inspect model name, e.g. 'mockllm/model' or 'openai-api/lab/frontier-1'.",
    )
    base_url = models.URLField(blank=True, help_text="OpenAI-compatible endpoint, if any.")
    api_key_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="Name of the worker's environment variable that holds the API key.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["developer", "name", "version"]
        verbose_name = "AI system"
        constraints = [
            models.UniqueConstraint(
                fields=["developer", "name", "version"], name="aisystem_unique_identity"
            ),
            models.CheckConstraint(
                condition=Q(api_key_env="") | Q(api_key_env__regex=r"^[A-Z_][A-Z0-9_]*$"),
                name="aisystem_api_key_env_is_variable_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.developer} {self.name}" + (f" {self.version}" if self.version else "")


class EvaluationProject(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        REPORTING = "reporting", "Reporting"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Which status may follow which; anything else is refused.
    TRANSITIONS = {
        Status.PROPOSED: {Status.ACTIVE, Status.WITHDRAWN},
        Status.ACTIVE: {Status.REPORTING, Status.WITHDRAWN},
        Status.REPORTING: {Status.CLOSED, Status.ACTIVE},
        Status.CLOSED: set(),
        Status.WITHDRAWN: set(),
    }

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    embargo_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Results stay with the participating institutes until then.",
    )
    institutes = models.ManyToManyField(Institute, through="Participation", related_name="projects")
    developer_response_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="Days the AI developer has to respond to a finding shared with them; a finding "
        "cannot be published before then unless a lead overrides it with a reason (0: no window).",
    )
    systems = models.ManyToManyField(AISystem, through="ProjectSystem", related_name="projects")
    guideline_versions = models.ManyToManyField(
        "evaluations.GuidelineVersion",
        through="ProjectGuideline",
        related_name="projects",
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "active", "reporting", "closed", "withdrawn"]),
                name="project_status_valid",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_embargoed(self) -> bool:
        return self.embargo_until is not None and self.embargo_until > timezone.now()

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]


class Participation(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", "Lead institute"
        PARTNER = "partner", "Partner institute"

    project = models.ForeignKey(
        EvaluationProject, on_delete=models.CASCADE, related_name="participations"
    )
    institute = models.ForeignKey(
        Institute, on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.PARTNER)
    joined_at = models.DateTimeField(auto_now_add=True)
    worker_pool = models.ForeignKey(
        "evaluations.WorkerPool",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participations",
        help_text="The institute's pool that runs its jobs in this project (empty: the "
        "institute's default pool if it has one, else Concord's own workers).",
    )

    class Meta:
        ordering = ["role", "institute__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "institute"], name="participation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.institute.code} in {self.project.slug} ({self.role})"


class ProjectSystem(models.Model):
    project = models.ForeignKey(
        EvaluationProject, on_delete=models.CASCADE, related_name="project_systems"
    )
    system = models.ForeignKey(AISystem, on_delete=models.PROTECT, related_name="project_systems")
    is_reference = models.BooleanField(
        default=False, help_text="A reference system the target is compared against."
    )

    class Meta:
        ordering = ["is_reference", "system__developer", "system__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "system"], name="projectsystem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.system} in {self.project.slug}" + (
            " (reference)" if self.is_reference else ""
        )


class AccessWindow(models.Model):
    """When the developer's pre-deployment access to a system is open for a project."""

    project = models.ForeignKey(
        EvaluationProject, on_delete=models.CASCADE, related_name="access_windows"
    )
    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="access_windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    terms = models.TextField(blank=True, help_text="Conditions agreed with the developer.")

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="accesswindow_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system} {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at < self.ends_at


class Workstream(models.Model):
    """The split of work: one domain of a project, led by one institute."""

    project = models.ForeignKey(
        EvaluationProject, on_delete=models.CASCADE, related_name="workstreams"
    )
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="workstreams")
    lead_institute = models.ForeignKey(
        Institute, on_delete=models.PROTECT, related_name="led_workstreams"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="workstreams"
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["domain__order", "domain__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "domain"], name="workstream_unique_domain")
        ]

    def __str__(self) -> str:
        return f"{self.domain} ({self.lead_institute.code})"


class ProjectGuideline(models.Model):
    """A guideline version that a project has adopted."""

    project = models.ForeignKey(
        EvaluationProject, on_delete=models.CASCADE, related_name="adoptions"
    )
    version = models.ForeignKey(
        "evaluations.GuidelineVersion", on_delete=models.PROTECT, related_name="adoptions"
    )
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    adopted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="projectguideline_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project.slug} adopts {self.version}"


class Finding(KeptModel):
    """A finding can be deleted while a draft; once published it is kept."""

    class Severity(models.TextChoices):
        INFO = "info", "Informational"
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AGREED = "agreed", "Agreed"
        SHARED = "shared_with_developer", "Shared with developer"
        PUBLISHED = "published", "Published"

    TRANSITIONS = {
        Status.DRAFT: {Status.AGREED},
        Status.AGREED: {Status.SHARED, Status.DRAFT},
        Status.SHARED: {Status.PUBLISHED},
        Status.PUBLISHED: set(),
    }
    # A project can close only when every finding has at least reached this point.
    FINISHED = {Status.SHARED, Status.PUBLISHED}

    project = models.ForeignKey(
        EvaluationProject, on_delete=models.PROTECT, related_name="findings"
    )
    workstream = models.ForeignKey(
        Workstream, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    body = models.TextField(blank=True, help_text="Markdown.")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT)
    runs = models.ManyToManyField("evaluations.EvaluationRun", blank=True, related_name="findings")
    shared_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was shared with the AI developer."
    )
    publish_override_reason = models.TextField(
        blank=True,
        help_text="Why a lead published it while the developer's response window was open.",
    )
    publish_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishedFindingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def is_kept(self) -> bool:
        # The stored status decides, not an unsaved change to it.
        return Finding.objects.filter(pk=self.pk, status=Finding.Status.PUBLISHED).exists()


class FindingEvidence(models.Model):
    """What a finding cites, picked from its project: a run, one sample of a run, or a comparison
    of two runs (`run` with `run_b`). Written only by `services.findings`, which checks that every
    run belongs to the finding's project; the constraints keep each kind's shape."""

    class Kind(models.TextChoices):
        RUN = "run", "Run"
        SAMPLE = "sample", "Sample"
        COMPARISON = "comparison", "Comparison"

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    run = models.ForeignKey("evaluations.EvaluationRun", on_delete=models.PROTECT, related_name="+")
    sample = models.ForeignKey(
        "evaluations.SampleResult",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    run_b = models.ForeignKey(
        "evaluations.EvaluationRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The other run of a comparison.",
    )

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "finding evidence"
        constraints = [
            models.CheckConstraint(
                name="finding_evidence_shape",
                condition=(
                    Q(kind="run", sample__isnull=True, run_b__isnull=True)
                    | Q(kind="sample", sample__isnull=False, run_b__isnull=True)
                    | (
                        Q(kind="comparison", sample__isnull=True, run_b__isnull=False)
                        & ~Q(run=F("run_b"))
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["finding", "run"],
                condition=Q(kind="run"),
                name="finding_evidence_unique_run",
            ),
            models.UniqueConstraint(
                fields=["finding", "sample"],
                condition=Q(kind="sample"),
                name="finding_evidence_unique_sample",
            ),
            models.UniqueConstraint(
                fields=["finding", "run", "run_b"],
                condition=Q(kind="comparison"),
                name="finding_evidence_unique_comparison",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.SAMPLE:
            return f"sample {self.sample_id} of run {self.run_id}"
        if self.kind == self.Kind.COMPARISON:
            return f"run {self.run_id} compared with run {self.run_b_id}"
        return f"run {self.run_id}"
