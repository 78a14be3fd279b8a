"""Reads of the developer's side, scoped to the user: a developer contact's projects and what
was shared with them (institutes.access decides what that is), and a project's contacts for the
leads who manage them."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from evaluations.models import DeveloperContact, EvaluationProject, Organisation
from institutes import access


def developer_projects(user) -> QuerySet:
    """The projects the user is an active developer contact of, each with the report versions
    and findings shared with them (prefetched: `shared_reports`, `shared_findings`)."""
    ids = access.developer_project_ids(user)
    return (
        EvaluationProject.objects.filter(pk__in=ids)
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=access.developer_shared_reports(user).order_by("-number"),
                to_attr="shared_reports",
            ),
            Prefetch(
                "findings",
                queryset=access.developer_shared_findings(user).order_by("-shared_at", "-pk"),
                to_attr="shared_findings",
            ),
        )
        .order_by("title")
    )


def developer_project_for(user, slug: str) -> EvaluationProject:
    """One of the user's projects as a developer contact (404 for any other)."""
    project = developer_projects(user).filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    return project


def project_contacts(user, project: EvaluationProject) -> QuerySet:
    """The project's developer contacts, for those who manage it (none for anyone else)."""
    if not access.can_manage(user, project):
        return DeveloperContact.objects.none()
    return DeveloperContact.objects.filter(project=project).select_related(
        "organisation", "user", "invited_by"
    )


def contact_for(user, project: EvaluationProject, pk: int) -> DeveloperContact:
    """One of the project's contacts, for those who manage it (404 otherwise)."""
    contact = project_contacts(user, project).filter(pk=pk).first()
    if contact is None:
        raise Http404("No such developer contact.")
    return contact


def developer_organisations() -> QuerySet:
    """Known AI developers (the invite form suggests them)."""
    return Organisation.objects.filter(kind=Organisation.Kind.DEVELOPER).order_by("name")
