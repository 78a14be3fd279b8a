"""Programme managers' view of webhooks and their deliveries: read-only (the secret never shows),
with enable/disable through webhooks.services. Deliveries are the log: nobody edits them."""

from __future__ import annotations

from django.contrib import admin

from config.admin import bulk_action
from institutes import access
from webhooks.models import Delivery, DeliveryAttempt, Webhook
from webhooks.services import webhooks as services


class _ProgrammeManagersReadOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return access.is_programme_manager(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_programme_manager(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@bulk_action(description="Disable the selected webhooks", done="webhooks disabled")
def disable_webhooks(request, webhook):
    services.webhook_update(user=request.user, webhook=webhook, active=False)


@bulk_action(description="Enable the selected webhooks", done="webhooks enabled")
def enable_webhooks(request, webhook):
    services.webhook_update(user=request.user, webhook=webhook, active=True)


WEBHOOK_FIELDS = (
    "institute",
    "url",
    "events",
    "description",
    "active",
    "secret_hint",
    "consecutive_failures",
    "failing_since",
    "created_by",
    "created_at",
    "updated_at",
)


@admin.register(Webhook)
class WebhookAdmin(_ProgrammeManagersReadOnly):
    list_display = ["institute", "url", "active", "failing_since", "created_at"]
    list_filter = ["active", "institute", ("failing_since", admin.EmptyFieldListFilter)]
    search_fields = ["url", "description", "institute__code"]
    list_select_related = ["institute", "created_by"]
    fields = WEBHOOK_FIELDS
    readonly_fields = WEBHOOK_FIELDS
    actions = [disable_webhooks, enable_webhooks]

    def get_actions(self, request):
        # Actions act on rows: allowed to programme managers even though rows are read-only.
        actions = super().get_actions(request)
        if not access.is_programme_manager(request.user):
            return {}
        return actions


ATTEMPT_FIELDS = ("number", "at", "status_code", "duration_ms", "error")


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ATTEMPT_FIELDS
    readonly_fields = ATTEMPT_FIELDS

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(_ProgrammeManagersReadOnly):
    list_display = ["uid", "event", "webhook", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "event"]
    search_fields = ["=uid", "webhook__url", "webhook__institute__code"]
    list_select_related = ["webhook__institute"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    inlines = [DeliveryAttemptInline]
    show_full_result_count = False
