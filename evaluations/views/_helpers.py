"""What every project page shares: the project resolved for the user before the view runs, the
form page for its changes, the way back to it, and the URL prefix a page joins its rows' ids to."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse

from evaluations.selectors import projects as project_selectors
from institutes import access

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


def project_form_page(request, project, form, *, title: str, submit: str, cancel=None):
    """A form that changes part of a project, on the project pages' shared form template."""
    return render(
        request,
        "evaluations/projects/form.html",
        {"form": form, "project": project, "title": title, "submit": submit, "cancel": cancel},
    )


def back_to_project(project, anchor: str = ""):
    """Redirect to the project page, at the section the change was made in."""
    url = reverse("projects:detail", kwargs={"slug": project.slug})
    return redirect(f"{url}#{anchor}" if anchor else url)


def url_prefix(viewname: str, **kwargs) -> str:
    """The address of a view whose last argument is an id, without that id and its slash: pages
    add each row's id and "/" to it, one URL reversal for the page instead of one per row."""
    *named, last = kwargs
    url = reverse(viewname, kwargs={**{k: kwargs[k] for k in named}, last: 0})
    if not url.endswith("/0/"):
        raise ValueError(f"{viewname} does not end with its {last}")
    return url[: -len("0/")]
