"""Programme managers' view of exchanges. Every change goes through exchanges.services, so the
admin applies the same rules, sends the same e-mails and leaves the same trail as the pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Q

from config.admin import bulk_action
from exchanges import selectors, services
from exchanges.models import (
    CalendarFeed,
    ChecklistItem,
    ChecklistItemType,
    Exchange,
    ExchangeApproval,
)
from exchanges.services import EDITABLE_FIELDS
from institutes import access


class ExchangeApprovalInline(admin.TabularInline):
    model = ExchangeApproval
    extra = 0
    can_delete = False
    fields = ("institute", "decision", "user", "reason", "at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    can_delete = False
    fields = ("item_type", "mandatory", "done_at", "done_by", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ExchangeAdminForm(forms.ModelForm):
    """Checks the exchange with the services' rules, so refusals show on the form."""

    user: Any = None  # set by ExchangeAdmin.get_form

    class Meta:
        model = Exchange
        fields = list(EDITABLE_FIELDS)

    def clean(self):
        data = super().clean() or {}
        needed = ("person", "home_institute", "host_institute", "start_date", "end_date")
        if self.errors or any(data.get(name) is None for name in needed):
            return data
        original = self.instance if self.instance.pk else None
        services.exchange_check(
            user=self.user,
            person=data["person"],
            home_institute=data["home_institute"],
            host_institute=data["host_institute"],
            project=data.get("project"),
            start_date=data["start_date"],
            end_date=data["end_date"],
            check_past=original is None or original.start_date != data["start_date"],
            exclude_pk=original.pk if original else None,
        )
        return data

    def _post_clean(self):
        # The model's full_clean would repeat the database constraints in less helpful words
        # (and would write the form's values onto the instance: the services do the writing).
        pass


@bulk_action(
    description="Approve for each side that has not decided (as programme manager)",
    done="exchange(s) approved",
)
def approve_pending_sides(request, exchange):
    decided = set(exchange.approvals.values_list("institute_id", flat=True))
    for side in exchange.sides:
        if side.pk not in decided:
            exchange = services.exchange_approve(
                user=request.user, exchange=exchange, institute=side
            )


@bulk_action(
    description="Activate (checklist complete, within its dates)",
    done="exchange(s) activated",
    name="activate",
)
def activate_exchanges(request, exchange):
    services.exchange_activate(user=request.user, exchange=exchange)


@bulk_action(
    description="Cancel (reason: cancelled by a programme manager)",
    done="exchange(s) cancelled",
    name="cancel",
)
def cancel_exchanges(request, exchange):
    services.exchange_cancel(
        user=request.user,
        exchange=exchange,
        reason=f"Cancelled by programme manager {request.user.display_name}.",
    )


@admin.register(Exchange)
class ExchangeAdmin(admin.ModelAdmin):
    form = ExchangeAdminForm
    list_display = [
        "person",
        "home_institute",
        "host_institute",
        "role_title",
        "start_date",
        "end_date",
        "status",
        "project",
        "open_items",
    ]
    list_filter = ["status", "home_institute", "host_institute", "host_role", "start_date"]
    search_fields = [
        "person__username",
        "person__first_name",
        "person__last_name",
        "role_title",
        "home_institute__code",
        "host_institute__code",
    ]
    date_hierarchy = "start_date"
    list_select_related = ["person", "home_institute", "host_institute", "project"]
    autocomplete_fields = ["person", "home_institute", "host_institute"]
    inlines = [ExchangeApprovalInline, ChecklistItemInline]
    actions = [approve_pending_sides, activate_exchanges, cancel_exchanges]
    trail_fields = [
        "status",
        "status_reason",
        "outcome",
        "proposed_by",
        "activated_at",
        "ended_at",
        "ended_by",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        # Staff who are not programme managers: the exchanges they may see on the pages.
        visible = selectors.exchanges_visible_to(request.user).values("pk")
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=visible)
            .annotate(
                _open_items=Count(
                    "checklist", filter=Q(checklist__mandatory=True, checklist__done_at=None)
                )
            )
        )

    @admin.display(description="Open mandatory items", ordering="_open_items")
    def open_items(self, obj):
        return obj._open_items

    def get_fields(self, request, obj=None):
        return list(EDITABLE_FIELDS) + ([] if obj is None else self.trail_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status != Exchange.Status.PROPOSED:
            return list(EDITABLE_FIELDS) + self.trail_fields
        return self.trail_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data
        }
        if change and not data:
            return  # nothing editable (the exchange is past the proposal)
        if change:
            saved = services.exchange_update(user=request.user, exchange=obj, **data)
        else:
            saved = services.exchange_propose(user=request.user, **data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # the inlines are read-only; approvals and the checklist come from the services

    def construct_change_message(self, request, form, formsets, add=False):
        return super().construct_change_message(request, form, [], add)


@admin.register(ChecklistItemType)
class ChecklistItemTypeAdmin(admin.ModelAdmin):
    """The onboarding steps copied onto each new exchange. Changes apply to exchanges proposed
    afterwards; exchanges already proposed keep their checklist."""

    list_display = ["name", "mandatory", "is_active", "order"]
    list_editable = ["mandatory", "is_active", "order"]
    list_filter = ["mandatory", "is_active"]
    search_fields = ["name", "description"]


@bulk_action(
    description="Revoke (the URL stops working at once)", done="feed(s) revoked", name="revoke"
)
def revoke_feeds(request, feed):
    services.calendar_feed_revoke(user=request.user, feed=feed)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["institute", "label", "created_by", "created_at", "revoked_at"]
    list_filter = ["institute", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["institute__code", "institute__name", "label"]
    list_select_related = ["institute", "created_by"]
    readonly_fields = ["institute", "label", "created_by", "created_at", "revoked_at"]
    exclude = ["token_hash"]
    actions = [revoke_feeds]

    def has_add_permission(self, request):
        return False  # feeds are opened from the calendar feeds page, which shows the URL once

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if access.is_programme_manager(request.user):
            return qs
        # Other staff: the feeds of institutes they lead (as on the calendar feeds page).
        return qs.filter(institute__in=selectors.feed_institutes(request.user))
