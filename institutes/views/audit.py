"""A project's audit trail, for its leads and programme managers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.shortcuts import render

from institutes import access, audit_text, selectors

EVENTS_PER_PAGE = 50
ACTIONS = {
    "insert": "Created",
    "update": "Changed",
    "delete": "Deleted",
    "bulk_insert": "Samples written",
    "export": "Exports",
    "embargoed_read": "Reads under embargo",
    "access_denied": "Refused access",
}


@login_required
def project_audit(request, slug: str):
    project = access.get_project_or_404(request.user, slug=slug)
    access.require(
        access.can_manage(request.user, project),
        "Only leads of a participating institute and programme managers see a project's trail.",
    )
    action = request.GET.get("action", "")
    action = action if action in ACTIONS else ""
    events = selectors.project_audit_events(request.user, project, action=action)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "institutes/project_audit.html",
        {
            "project": project,
            "page": page,
            "lines": audit_text.describe(list(page.object_list)),
            "actions": ACTIONS.items(),
            "keeps_trail": connection.vendor in ("postgresql", "sqlite"),
            "action": action,
            "results_hidden": not access.can_see_results(request.user, project),
        },
    )
