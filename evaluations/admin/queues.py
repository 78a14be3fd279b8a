"""Admin for review queues (read-mostly): programme managers (and staff, in their projects) list
and read queues, and close or reopen them through `evaluations.services.queues`. Queues are
planned on the project's review pages, where the selection rules apply; their items and
assignments are read there too."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from config.admin import bulk_action
from evaluations.admin._common import ProjectScopedAdmin
from evaluations.models import ReviewQueue
from evaluations.services import queues as services

QUEUE_FIELDS: tuple[str, ...] = (
    "project",
    "name",
    "description",
    "status",
    "runs",
    "run_filter",
    "selection",
    "per_slice_count",
    "per_slice_percent",
    "slice_key",
    "seed",
    "reviews_per_item",
    "reviewers",
    "institutes",
    "blind",
    "labels",
    "guideline_version",
    "created_by",
    "created_at",
)


@bulk_action(description="Close the selected queues", done="queues closed")
def close(request, queue):
    services.queue_close(queue=queue, by=request.user)


@bulk_action(description="Reopen the selected queues", done="queues reopened")
def reopen(request, queue):
    services.queue_reopen(queue=queue, by=request.user)


@admin.register(ReviewQueue)
class ReviewQueueAdmin(ProjectScopedAdmin):
    results = True  # the queue's samples are results: an embargo applies
    list_display = [
        "name",
        "project",
        "status",
        "reviews_per_item",
        "blind",
        "item_count",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "blind", "selection"]
    list_select_related = ["project", "created_by"]
    search_fields = ["name", "description", "project__slug"]
    fields = QUEUE_FIELDS
    readonly_fields = QUEUE_FIELDS
    actions = [close, reopen]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description="Items", ordering="item_total")
    def item_count(self, obj) -> int:
        return obj.item_total

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
