"""Page plumbing every app's views share: answering htmx with a fragment, POST-only routes that
still answer 404 first, and reporting a button's service call as messages.

Form pages need none of this: they call the service straight and attach its errors to the form
(`try: service(...) except ValidationError as exc: add_service_errors(form, exc)`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

T = TypeVar("T")


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment. A history restore (the browser's copy of the page was
    evicted and the user went Back) is sent by htmx too, but it wants the whole page."""
    htmx = getattr(request, "htmx", None)  # set by django_htmx.middleware.HtmxMiddleware
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str,
    status: int = 200,
) -> HttpResponse:
    """The page, or for an htmx request only its template partial `fragment`. The answer varies
    on the htmx headers, so no cache serves the fragment for the page or the other way round."""
    name = f"{template}#{fragment}" if is_htmx(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


def post_only(lookup: Callable[..., object] | None = None):
    """Like `require_POST`, except that what the URL names is looked up first, so whoever may not
    see it gets a 404 whatever the method; only those who may see it learn that the route takes
    POST (405). `lookup(request.user, **url_kwargs)` raises the 404; leave it out when an outer
    decorator (a project page's `project_view`) has already resolved the object."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method != "POST":
                if lookup is not None:
                    lookup(request.user, **kwargs)
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def error_messages(request: HttpRequest, exc: ValidationError) -> None:
    """A service's refusal shown as messages (for buttons, which have no form to carry it)."""
    for message in exc.messages:
        messages.error(request, message)


def button_action(
    request: HttpRequest,
    service: Callable[..., T],
    /,
    *,
    success: str,
    **arguments: Any,
) -> T | None:
    """Call `service(**arguments)` for a button (a POST without a form page) and return what it
    returns. Its ValidationError becomes error messages and the answer is None; otherwise
    `success` is shown."""
    try:
        result = service(**arguments)
    except ValidationError as exc:
        error_messages(request, exc)
        return None
    messages.success(request, success)
    return result
