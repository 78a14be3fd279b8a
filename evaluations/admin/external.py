"""Admin for external runs (evaluations reported by institutes' own machines): read-only here.
They change only through their reporter (`evaluations.services.external_runs`) and the import of
their log, which links the run."""

from __future__ import annotations

from django.contrib import admin

from evaluations.admin._common import ProjectScopedAdmin
from evaluations.models import ExternalRun

EXTERNAL_RUN_FIELDS: tuple[str, ...] = (
    "project",
    "institute",
    "reported_by",
    "eval_id",
    "inspect_run_id",
    "task_name",
    "model",
    "status",
    "samples_done",
    "samples_total",
    "host",
    "inspect_version",
    "started_at",
    "heartbeat_at",
    "finished_at",
    "error",
    "run",
)


@admin.register(ExternalRun)
class ExternalRunAdmin(ProjectScopedAdmin):
    write_needs = "act"
    list_display = [
        "id",
        "task_name",
        "model",
        "institute",
        "project",
        "status",
        "samples_done",
        "samples_total",
        "heartbeat_at",
    ]
    list_filter = ["status", "institute"]
    list_select_related = ["institute", "project"]
    search_fields = ["eval_id", "task_name", "model", "host", "project__slug"]
    fields = EXTERNAL_RUN_FIELDS
    readonly_fields = EXTERNAL_RUN_FIELDS

    def has_add_permission(self, request):
        return False
