"""Admin for institutes' worker pools (programme managers): list, create (the credential is
shown once, after saving), revoke. Writes go through `evaluations.services.pools`; the
credential's hash is never shown."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from config.admin import bulk_action
from config.forms import add_service_errors
from evaluations.admin._common import PlatformAdmin
from evaluations.models import WorkerPool
from evaluations.services import pools as services


class WorkerPoolCreationForm(forms.ModelForm):
    class Meta:
        model = WorkerPool
        fields = ["institute", "name", "description", "is_default"]

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        name = (cleaned.get("name") or "").strip()
        institute = cleaned.get("institute")
        if (
            institute
            and WorkerPool.objects.active().filter(institute=institute, name=name).exists()
        ):
            add_service_errors(
                self,
                ValidationError({"name": f"{institute.name} already has a pool named '{name}'."}),
            )
        return cleaned

    def validate_constraints(self):  # the service keeps one default per institute
        pass


@bulk_action(description="Revoke the selected pools", done="pools revoked")
def revoke(request, pool):
    """Its workers are refused at once; its queued jobs fail."""
    services.pool_revoke(pool=pool, by=request.user)


@admin.register(WorkerPool)
class WorkerPoolAdmin(PlatformAdmin):
    list_display = [
        "name",
        "institute",
        "is_default",
        "credential_prefix",
        "created_at",
        "last_seen_at",
        "revoked_at",
    ]
    list_filter = ["institute", "is_default", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "credential_prefix", "institute__code", "institute__name"]
    list_select_related = ["institute"]
    actions = [revoke]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = WorkerPoolCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["institute", "name", "description", "is_default"]
        return [
            "institute",
            "name",
            "description",
            "is_default",
            "credential_prefix",
            "created_by",
            "created_at",
            "last_seen_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # Default and revocation go through the services (the pools page, the action).
        return self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: jobs keep naming the pool that ran them

    def save_model(self, request, obj, form, change):
        if change:
            return
        pool, raw = services.pool_create(
            institute=form.cleaned_data["institute"],
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            is_default=form.cleaned_data["is_default"],
            by=request.user,
        )
        for field in WorkerPool._meta.concrete_fields:
            setattr(obj, field.attname, getattr(pool, field.attname))
        obj._state.adding = False
        obj._state.db = pool._state.db
        messages.warning(
            request,
            format_html(
                "Credential of the pool {}: <code>{}</code> — copy it now, it is shown only "
                "this once.",
                pool,
                raw,
            ),
        )
