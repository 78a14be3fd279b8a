"""Small pieces every page view shares: scoping a view to a project, running a service from a
form, and answering htmx requests with a template partial."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from evaluations.forms.fields import add_service_errors
from evaluations.selectors import projects as project_selectors
from institutes import access

FAILED: Any = object()

# What a project page needs of the user, checked by institutes.access.
_CHECKS: dict[str, tuple[Callable[..., bool], str]] = {
    "act": (access.can_act, "Only evaluators and leads of this project can do this."),
    "manage": (access.can_manage, "Only leads of a participating institute manage this project."),
}


def project_view(need: str = "view"):
    """Resolve the `slug` argument to a project the user can see (404 otherwise) and, for `act`
    or `manage`, refuse users without that right (403) before any form is shown."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs):
            project = project_selectors.project_for(request.user, slug)
            if need != "view":
                check, message = _CHECKS[need]
                access.require(check(request.user, project), message)
            return view(request, project, *args, **kwargs)

        return wrapper

    return decorator


def run_service(form, action: Callable[[], Any]) -> Any:
    """Call a service for a valid form; its ValidationError becomes form errors and FAILED."""
    try:
        return action()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return FAILED


def run_action(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Call a service for a button (no form page): report the outcome as a message."""
    try:
        action()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not a history restore, which wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
