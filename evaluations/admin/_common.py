"""What the evaluations admin pages share: querysets and object permissions asked of
institutes.access (like every page), read-only inlines, and writes through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from config.forms import add_service_errors
from institutes import access


class PlatformAdmin(admin.ModelAdmin):
    """Programme managers run the platform through the admin: they hold every admin permission on
    these models without per-model grants. Other staff need Django's model permissions."""

    def _is_pm(self, request) -> bool:
        return access.is_programme_manager(request.user)

    def has_module_permission(self, request):
        return self._is_pm(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_pm(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._is_pm(request) or super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._is_pm(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_pm(request) or super().has_delete_permission(request, obj)


class ProjectScopedAdmin(PlatformAdmin):
    """Rows under a project: programme managers see all; other staff see the projects they take
    part in, and may change a row only where they manage (or, `write_needs="act"`, act in) it."""

    project_field = "project"  # path from the model to its project ("" for the project itself)
    results = False  # rows are results (findings): embargo applies
    write_needs = "manage"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        user = request.user
        projects = (
            access.results_visible_projects(user) if self.results else access.visible_projects(user)
        )
        if access.is_programme_manager(user) and not self.results:
            return qs
        lookup = f"{self.project_field}__in" if self.project_field else "pk__in"
        return qs.filter(**{lookup: projects.values("pk")})

    def project_of(self, obj):
        return getattr(obj, self.project_field) if self.project_field else obj

    def _may_write(self, request, obj) -> bool:
        check = access.can_act if self.write_needs == "act" else access.can_manage
        return check(request.user, self.project_of(obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._may_write(request, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._may_write(request, obj))


class KeepsEvidenceAdmin(admin.ModelAdmin):
    """Rows that are evidence (`evaluations.models.evidence`) are not deleted here either: no
    delete button or page for a kept row (`is_kept`), and no bulk delete action, whose selection
    could hold kept rows. Projects are withdrawn or closed instead."""

    def is_kept(self, obj) -> bool:
        return True

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.is_kept(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ReadOnlyInline(admin.TabularInline):
    """Rows shown for reference; they change on the project or guideline page, where the
    services' rules apply."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return access.is_programme_manager(request.user) or super().has_view_permission(
            request, obj
        )

    def get_readonly_fields(self, request, obj=None):
        return [f for f in self.fields or () if isinstance(f, str)]  # every shown field

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceForm(forms.ModelForm):
    """An admin change form whose save is a service call. `clean` makes that call once inside a
    savepoint that is always rolled back, so the service's ValidationError shows on the form
    (never a 500); the admin's `save_model` then makes it for real."""

    user: Any = None  # set per request by ServiceAdminMixin.get_form

    def service_call(self, instance, cleaned_data) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors or self.instance.pk is None:
            return cleaned
        fresh = type(self.instance).objects.get(pk=self.instance.pk)
        try:
            with transaction.atomic():
                self.service_call(fresh, cleaned)
                transaction.set_rollback(True)
        except ValidationError as exc:
            add_service_errors(self, exc)
        except PermissionDenied as exc:
            self.add_error(None, str(exc))
        return cleaned


class ServiceAdminMixin(admin.ModelAdmin):
    """Pairs with a ServiceForm: hands it the user and saves through the same service call."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        if change:
            form.service_call(obj, form.cleaned_data)
        else:
            super().save_model(request, obj, form, change)
