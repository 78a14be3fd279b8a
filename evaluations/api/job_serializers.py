"""Serializers for tasks, jobs, runs, scores and samples: output shapes and input shapes.

Inputs check the request's shape and resolve references within the caller's reach; the rules
(roles, access windows, params) live in `evaluations.services.jobs`.
"""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.inputs import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from evaluations import stats
from evaluations.models import (
    AISystem,
    Domain,
    EvaluationJob,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    GuidelineVersion,
    RunScorer,
    SampleResult,
)
from evaluations.results import scores as run_scores
from evaluations.selectors.jobs import visible_tasks
from evaluations.services.job_params import PARAMS
from institutes import access
from institutes.models import Institute, User

PARAMS_HELP = "Job parameters, all optional: " + "; ".join(
    f"`{name}`: {help_text}" for name, (_check, help_text) in PARAMS.items()
)


# --- read ------------------------------------------------------------------------------------


class TaskBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvaluationTask
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class SystemBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = AISystem
        fields = ["id", "developer", "name", "version", "inspect_model"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    domain: serializers.SlugRelatedField[Domain] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    project: serializers.SlugRelatedField[EvaluationProject] = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The project whose own task it is; null: a global task.",
    )

    class Meta:
        model = EvaluationTask
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "domain",
            "inspect_ref",
            "default_params",
            "is_builtin",
            "is_active",
            "runnable",
            "runnable_note",
            "project",
            "created_at",
        ]
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField[EvaluationProject] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    task = TaskBriefSerializer(read_only=True)
    system = SystemBriefSerializer(read_only=True)
    institute: serializers.SlugRelatedField[Institute] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    requested_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    progress_percent = serializers.IntegerField(read_only=True)
    is_final = serializers.BooleanField(read_only=True)
    pool = serializers.CharField(
        source="pool.name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The institute's worker pool that runs the job; null: Concord's own workers.",
    )
    worker = serializers.CharField(
        read_only=True, help_text="Host and process of the worker that holds (or held) the job."
    )
    run = serializers.SerializerMethodField(
        help_text="Id of the run the job produced: null until it has one, and null to whoever "
        "may not see the project's results (an embargo keeps them with the participants)."
    )

    class Meta:
        model = EvaluationJob
        fields = [
            "id",
            "project",
            "task",
            "system",
            "institute",
            "requested_by",
            "guideline_version",
            "params",
            "queue",
            "pool",
            "worker",
            "status",
            "is_final",
            "progress_done",
            "progress_total",
            "progress_percent",
            "attempts",
            "max_attempts",
            "cancel_requested",
            "error",
            "run",
            "retry_of",
            "created_at",
            "enqueued_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_run(self, obj: EvaluationJob) -> int | None:
        """The run is a result: shown under the same rule as the run itself
        (`access.can_see_results`, as the job page decides whether to link it)."""
        if obj.run_id is None:
            return None
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return obj.run_id if access.can_see_results(user, obj.project) else None


class ScoreSerializer(serializers.Serializer):
    """One row of `results.scores.score_table`: a scorer's metric with the interval the run page
    shows."""

    scorer = serializers.CharField(source="score.scorer", read_only=True)
    metric = serializers.CharField(source="score.metric", read_only=True)
    value = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="For mean-like metrics with per-sample values, their mean (what ci95 is built "
        "around); otherwise the value the log reported.",
    )
    stderr = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Standard error: for mean-like metrics with per-sample values, the one ci95 is "
        "built from (clustered by sample); otherwise the metric's own, or the `stderr` its scorer "
        "reports next to it (never a row of its own).",
    )
    ci95 = serializers.ListField(
        source="ci",
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        allow_null=True,
        read_only=True,
        help_text="95% interval: from the scorer's per-sample values for mean-like metrics "
        "(accuracy, mean), from the reported standard error for the others; null without either.",
    )
    ci_method = serializers.CharField(
        source="method",
        read_only=True,
        help_text="How ci95 was built: `wilson` (0/1 scores, one epoch), `wilson (effective n)` "
        "(other scores in [0, 1]: several epochs clustered by sample, or fractional), `t` "
        "(unbounded scores, clustered by sample), `wilson (reported SE)`, `t (reported SE)`, "
        "or empty.",
    )
    scored_samples = serializers.IntegerField(
        source="n",
        read_only=True,
        allow_null=True,
        help_text="Samples the figure is computed on: a subgroup's own for grouped metrics.",
    )


class RunListSerializer(serializers.ListSerializer):
    """A page of runs: their headline estimates are read for the whole page at once (from the
    moments on each row, else one aggregate query for the page), never one query per run."""

    def to_representation(self, data):
        runs = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        if isinstance(self.child, RunSerializer):
            self.child.estimate_runs(runs)
        return super().to_representation(runs)


class RunScorerSerializer(serializers.ModelSerializer):
    """One scorer of a run: a judge (a model grading the answers) with its grader model, or a
    rule (`judge` false, `grader_model` empty)."""

    class Meta:
        model = RunScorer
        fields = ["name", "judge", "grader_model"]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField[EvaluationProject] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    task = TaskBriefSerializer(read_only=True)
    system = SystemBriefSerializer(read_only=True)
    institute: serializers.SlugRelatedField[Institute] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    job = serializers.SerializerMethodField()
    primary_value = serializers.SerializerMethodField(
        help_text="The headline score: the mean of the run's per-sample scores (the figure the run "
        "page, the results matrix and the exports show), or the value the log reported for a run "
        "without scored samples."
    )
    primary_stderr = serializers.SerializerMethodField(
        help_text="Standard error of the headline score, clustered by sample: the one "
        "primary_ci95 is built from; the log's own for a run without scored samples."
    )
    primary_ci95 = serializers.SerializerMethodField(
        help_text="95% interval of the headline score, from the run's samples (the interval the "
        "run page, the results matrix and the exports show); null for a run without scored "
        "samples."
    )
    primary_ci_method = serializers.SerializerMethodField(
        help_text="How primary_ci95 was built: `wilson` (0/1 scores, one epoch), `wilson "
        "(effective n)` (other scores in [0, 1]: Wilson at the effective sample size of the "
        "standard error clustered by sample) or `t` (unbounded scores, clustered by sample); "
        "empty without an interval."
    )
    pinned = serializers.SerializerMethodField(
        help_text="A lead pinned this run as its cell's headline (results matrix, charts and "
        "exports show it instead of the latest complete run)."
    )
    scorers = RunScorerSerializer(
        many=True,
        read_only=True,
        help_text="What each scorer of the run is: a judge with the model that graded, or a rule. "
        "Empty for a run ingested before Concord recorded it.",
    )

    class Meta:
        model = EvaluationRun
        fields = [
            "id",
            "project",
            "task",
            "system",
            "institute",
            "source",
            "status",
            "job",
            "inspect_eval_id",
            "inspect_task",
            "inspect_model",
            "guideline_version",
            "started_at",
            "completed_at",
            "sample_count",
            "dataset_samples",
            "complete",
            "pinned",
            "epochs",
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "primary_scorer",
            "primary_metric",
            "primary_value",
            "primary_stderr",
            "primary_ci95",
            "primary_ci_method",
            "scorers",
            "created_at",
        ]
        read_only_fields = fields
        list_serializer_class = RunListSerializer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._estimates: dict[int, stats.MeanEstimate] = {}
        self._estimated: set[int] = set()

    def estimate_runs(self, runs: list[EvaluationRun]) -> None:
        """Read the headline estimates of these runs (`results.scores.run_score_summaries`) at once."""
        self._estimates = run_scores.run_score_summaries(runs)
        self._estimated = {run.pk for run in runs}

    def estimate(self, run: EvaluationRun) -> stats.MeanEstimate | None:
        if run.pk not in self._estimated:
            self.estimate_runs([run])
        return self._estimates.get(run.pk)

    # Nullable in the schema: uploaded runs have no job (found by tests/api/test_schemathesis.py).
    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_job(self, obj: EvaluationRun) -> int | None:
        if hasattr(obj, "job_pk"):  # lists: annotated by selectors.runs.with_job_id
            return obj.job_pk
        job = getattr(obj, "job", None)
        return job.pk if job is not None else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_primary_value(self, obj: EvaluationRun) -> float | None:
        estimate = self.estimate(obj)
        return estimate.mean if estimate is not None else obj.primary_value

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_primary_stderr(self, obj: EvaluationRun) -> float | None:
        estimate = self.estimate(obj)
        return estimate.stderr if estimate is not None else obj.primary_stderr

    @extend_schema_field(
        serializers.ListField(
            child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True
        )
    )
    def get_primary_ci95(self, obj: EvaluationRun) -> list[float] | None:
        ci, _method = run_scores.interval(self.estimate(obj))
        return list(ci) if ci else None

    def get_primary_ci_method(self, obj: EvaluationRun) -> str:
        return run_scores.interval(self.estimate(obj))[1]

    def get_pinned(self, obj: EvaluationRun) -> bool:
        if hasattr(obj, "is_pinned"):  # annotated by results.representative.with_pinned
            return bool(obj.is_pinned)
        return obj.pins.exists()


class ImportOverrideSerializer(serializers.ModelSerializer):
    """An import filed under a task or system that its log contradicts, confirmed by the uploader."""

    notice = serializers.CharField(source="override_notice", read_only=True)
    task = serializers.BooleanField(source="override_task", read_only=True)
    system = serializers.BooleanField(source="override_system", read_only=True)
    reason = serializers.CharField(source="override_reason", read_only=True)
    by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        source="uploaded_by", slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = EvaluationRun
        fields = ["notice", "task", "system", "reason", "by"]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    scores = serializers.SerializerMethodField(
        help_text="Every scorer and metric, as the run page lists them."
    )
    import_override = serializers.SerializerMethodField(
        help_text="Null, or how an import was filed under a task or system its log contradicts "
        "(`notice` says it in words, with who and why)."
    )
    uploaded_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta(RunSerializer.Meta):
        fields = [
            *RunSerializer.Meta.fields,
            "scores",
            "log_file",
            "notes",
            "error",
            "uploaded_by",
            "import_override",
        ]
        read_only_fields = fields

    @extend_schema_field(ScoreSerializer(many=True))
    def get_scores(self, obj: EvaluationRun) -> list[dict]:
        rows = run_scores.score_table(obj, self.estimate(obj))
        return [ScoreSerializer(row).data for row in rows]

    @extend_schema_field(ImportOverrideSerializer(allow_null=True))
    def get_import_override(self, obj: EvaluationRun) -> dict | None:
        if not (obj.override_task or obj.override_system):
            return None
        return ImportOverrideSerializer(obj).data


class SampleSerializer(serializers.ModelSerializer):
    class Meta:
        model = SampleResult
        fields = [
            "id",
            "sample_id",
            "epoch",
            "score",
            "scores",
            "input",
            "target",
            "output",
            "error",
            "metadata",
            "total_tokens",
            "entry_name",
        ]
        read_only_fields = fields


# --- write -----------------------------------------------------------------------------------


def _everyone(user, queryset):
    """No narrowing: any signed-in user may name these (whether they may use them is the
    service's question). The strict related fields of config.api.inputs still check types."""
    return queryset


class JobCreateSerializer(serializers.Serializer):
    project = ScopedSlugRelatedField(
        slug_field="slug",
        queryset=EvaluationProject.objects.all(),
        scope=access.visible_projects,
        help_text="Slug of the project.",
    )
    task = ScopedSlugRelatedField(
        slug_field="slug",
        queryset=EvaluationTask.objects.filter(is_active=True),
        scope=visible_tasks,
        help_text="Slug of the evaluation task (see /api/v1/tasks/); an import-only task "
        "(`runnable` false) is refused.",
    )
    system = ScopedPrimaryKeyRelatedField(
        queryset=AISystem.objects.all(),
        scope=access.visible_systems,
        help_text="Id of a target or reference system of the project.",
    )
    institute = ScopedSlugRelatedField(
        slug_field="code",
        queryset=Institute.objects.filter(is_active=True),
        scope=_everyone,
        required=False,
        help_text="Code of the institute the job runs for; default: your own, when you act for "
        "exactly one participating institute.",
    )
    params = serializers.JSONField(required=False, default=dict, help_text=PARAMS_HELP)
    guideline_version = ScopedPrimaryKeyRelatedField(
        queryset=GuidelineVersion.objects.all(),
        scope=_everyone,
        required=False,
        allow_null=True,
        help_text="Id of the adopted guideline version the job follows.",
    )


class TaskCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    inspect_ref = serializers.CharField(
        max_length=300,
        help_text="`package.module:function` of an Inspect @task, or a registered task name. "
        "One that does not resolve on this server makes an import-only task (`runnable` false): "
        "give the task name Inspect writes in its logs (`eval.task`, e.g. `arith`).",
    )
    slug = serializers.SlugField(max_length=80, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    domain = serializers.SlugRelatedField(
        slug_field="slug", queryset=Domain.objects.all(), required=False, allow_null=True
    )
    default_params = serializers.JSONField(required=False, default=dict, help_text=PARAMS_HELP)
    project = ScopedSlugRelatedField(
        slug_field="slug",
        queryset=EvaluationProject.objects.all(),
        scope=access.visible_projects,
        required=False,
        allow_null=True,
        help_text="Slug of the project the task belongs to (its leads may register it); "
        "omitted: a global task (programme managers).",
    )
