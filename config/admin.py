"""Admin plumbing every app's admin shares: bulk actions that are service calls, row by row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest


def bulk_action(*, description: str, done: str, name: str = ""):
    """Turn `apply(request, obj)`, one service call for one row, into an admin action over the
    selected rows (of any app's admin). Each refusal (ValidationError, PermissionDenied) is
    reported with its row and the others go on; the successes are counted: "3 jobs queued again".
    `name` names the action when one function makes several (one per status)."""

    def decorator(apply: Callable[[HttpRequest, Any], object]):
        def action(modeladmin, request, queryset):
            related = modeladmin.list_select_related
            if isinstance(related, list | tuple):  # what the rows' names and rules read
                queryset = queryset.select_related(*related)
            ok = 0
            for obj in queryset:
                try:
                    apply(request, obj)
                except (ValidationError, PermissionDenied) as exc:
                    reasons = "; ".join(getattr(exc, "messages", None) or [str(exc)])
                    modeladmin.message_user(request, f"{obj}: {reasons}", messages.ERROR)
                else:
                    ok += 1
            if ok:
                modeladmin.message_user(request, f"{ok} {done}.", messages.SUCCESS)

        action.__name__ = name or apply.__name__
        action.__doc__ = apply.__doc__
        return admin.action(description=description)(action)

    return decorator
