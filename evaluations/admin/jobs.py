"""Admin for evaluation tasks, jobs and runs. Tasks are registered and edited through
`evaluations.services.tasks` (a reference that does not resolve here makes an import-only task;
a malformed one is refused); jobs are read-only here, with
cancel and retry as actions through `evaluations.services.jobs`; runs are read-only results
(embargo applies)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from config.admin import bulk_action
from config.forms import add_service_errors
from evaluations.admin._common import (
    KeepsEvidenceAdmin,
    PlatformAdmin,
    ProjectScopedAdmin,
    ReadOnlyInline,
)
from evaluations.models import EvaluationJob, EvaluationRun, EvaluationTask, RunScore
from evaluations.runner.refs import inspect_ref_status
from evaluations.services import jobs as job_services
from evaluations.services import tasks as task_services
from evaluations.services.job_params import clean_params

TASK_FIELDS = [
    "name",
    "description",
    "domain",
    "inspect_ref",
    "default_params",
    "is_active",
    "project",
]


class EvaluationTaskAdminForm(forms.ModelForm):
    class Meta:
        model = EvaluationTask
        fields = ["slug", *TASK_FIELDS]

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        builtin = self.instance.pk is not None and self.instance.is_builtin
        errors = {}
        if cleaned.get("inspect_ref") and not builtin:
            try:
                cleaned["inspect_ref"], _note = inspect_ref_status(cleaned["inspect_ref"])
            except ValidationError as exc:
                errors["inspect_ref"] = exc.messages
        try:
            cleaned["default_params"] = clean_params(cleaned.get("default_params") or {})
        except ValidationError as exc:
            errors["default_params"] = exc.messages
        if errors:
            add_service_errors(self, ValidationError(errors))
        return cleaned


@admin.register(EvaluationTask)
class EvaluationTaskAdmin(PlatformAdmin):
    form = EvaluationTaskAdminForm
    list_display = [
        "name",
        "slug",
        "inspect_ref",
        "domain",
        "project",
        "runnable",
        "is_builtin",
        "is_active",
    ]
    list_filter = ["runnable", "is_builtin", "is_active", "domain", "project"]
    list_select_related = ["domain", "project"]
    search_fields = ["name", "slug", "inspect_ref", "description"]
    prepopulated_fields = {"slug": ["name"]}
    READ_ONLY = ["runnable", "runnable_note", "registered_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_builtin:
            return ["slug", "inspect_ref", "is_builtin", *self.READ_ONLY]
        if obj is not None:
            return ["slug", "is_builtin", *self.READ_ONLY]
        return ["is_builtin", *self.READ_ONLY]

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else self.prepopulated_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {f: data[f] for f in TASK_FIELDS if f in data}
            task_services.task_update(user=request.user, task=obj, **fields)
        else:
            created = task_services.task_register(
                user=request.user,
                name=data["name"],
                slug=data.get("slug") or "",
                inspect_ref=data["inspect_ref"],
                domain=data.get("domain"),
                description=data.get("description") or "",
                default_params=data.get("default_params") or {},
                project=data.get("project"),
            )
            obj.pk, obj._state.adding = created.pk, False


@bulk_action(description="Cancel the selected jobs", done="jobs cancelled (or asked to stop)")
def cancel_jobs(request, job):
    job_services.job_cancel(job=job, user=request.user)


@bulk_action(description="Retry the selected jobs (queues new jobs)", done="jobs queued again")
def retry_jobs(request, job):
    job_services.job_retry(job=job, user=request.user)


JOB_FIELDS: tuple[str, ...] = (
    "project",
    "task",
    "system",
    "institute",
    "requested_by",
    "guideline_version",
    "params",
    "queue",
    "status",
    "progress_done",
    "progress_total",
    "attempts",
    "max_attempts",
    "worker",
    "heartbeat_at",
    "cancel_requested",
    "error",
    "log_file",
    "run",
    "retry_of",
    "created_at",
    "enqueued_at",
    "started_at",
    "finished_at",
)


@admin.register(EvaluationJob)
class EvaluationJobAdmin(ProjectScopedAdmin):
    """Jobs change only through their services: queued from the project page or the API,
    cancelled or retried here as actions."""

    write_needs = "act"
    list_display = [
        "id",
        "task",
        "system",
        "institute",
        "status",
        "progress_done",
        "progress_total",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "queue", "institute"]
    list_select_related = ["task", "system", "institute"]
    search_fields = ["task__name", "system__name", "project__slug", "error"]
    fields = JOB_FIELDS
    readonly_fields = JOB_FIELDS
    actions = [cancel_jobs, retry_jobs]

    def has_add_permission(self, request):
        return False


class RunScoreInline(ReadOnlyInline):
    model = RunScore
    fields = ["scorer", "metric", "value", "stderr", "scored_samples"]


RUN_FIELDS: tuple[str, ...] = (
    "project",
    "task",
    "system",
    "institute",
    "source",
    "status",
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
    "log_file",
    "notes",
    "error",
    "uploaded_by",
    "created_at",
)


@admin.register(EvaluationRun)
class EvaluationRunAdmin(KeepsEvidenceAdmin, ProjectScopedAdmin):
    """Runs are ingested logs: read-only, and kept (never deleted)."""

    results = True
    list_display = [
        "id",
        "task",
        "system",
        "institute",
        "source",
        "status",
        "primary_value",
        "sample_count",
        "created_at",
    ]
    list_filter = ["status", "source", "institute"]
    list_select_related = ["task", "system", "institute"]
    search_fields = ["inspect_eval_id", "task__name", "system__name", "project__slug"]
    fields = RUN_FIELDS
    readonly_fields = RUN_FIELDS
    inlines = [RunScoreInline]

    def has_add_permission(self, request):
        return False
