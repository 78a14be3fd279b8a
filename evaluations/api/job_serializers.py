"""Serializers for tasks, jobs, runs, scores and samples: output shapes and input shapes.

Inputs check the request's shape and resolve references within the caller's reach; the rules
(roles, access windows, params) live in `evaluations.services.jobs`.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.inputs import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from evaluations.models import (
    AISystem,
    Domain,
    EvaluationJob,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    GuidelineVersion,
    RunScore,
    SampleResult,
)
from evaluations.results.scores import metric_ci95
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


class ScoreSerializer(serializers.ModelSerializer):
    ci95 = serializers.SerializerMethodField(
        help_text="95% interval from the standard error (t with scored_samples - 1 df)."
    )

    class Meta:
        model = RunScore
        fields = ["scorer", "metric", "value", "stderr", "ci95", "scored_samples"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(
            child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True
        )
    )
    def get_ci95(self, obj: RunScore):
        interval = metric_ci95(obj.value, obj.stderr, obj.scored_samples)
        return list(interval) if interval else None


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
    primary_ci95 = serializers.SerializerMethodField(
        help_text="95% interval of the primary metric (from its standard error)."
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
            "epochs",
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "primary_scorer",
            "primary_metric",
            "primary_value",
            "primary_stderr",
            "primary_ci95",
            "created_at",
        ]
        read_only_fields = fields

    # Nullable in the schema: uploaded runs have no job (found by tests/api/test_schemathesis.py).
    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_job(self, obj: EvaluationRun) -> int | None:
        if hasattr(obj, "job_pk"):  # lists: annotated by selectors.runs.with_job_id
            return obj.job_pk
        job = getattr(obj, "job", None)
        return job.pk if job is not None else None

    @extend_schema_field(
        serializers.ListField(
            child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True
        )
    )
    def get_primary_ci95(self, obj: EvaluationRun):
        interval = metric_ci95(obj.primary_value, obj.primary_stderr, obj.sample_count)
        return list(interval) if interval else None


class RunDetailSerializer(RunSerializer):
    scores = ScoreSerializer(many=True, read_only=True)
    uploaded_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "scores", "log_file", "notes", "error", "uploaded_by"]
        read_only_fields = fields


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
        scope=_everyone,
        help_text="Slug of the evaluation task (see /api/v1/tasks/).",
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
        help_text="`package.module:function` of an Inspect @task, or a registered task name.",
    )
    slug = serializers.SlugField(max_length=80, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    domain = serializers.SlugRelatedField(
        slug_field="slug", queryset=Domain.objects.all(), required=False, allow_null=True
    )
    default_params = serializers.JSONField(required=False, default=dict, help_text=PARAMS_HELP)
