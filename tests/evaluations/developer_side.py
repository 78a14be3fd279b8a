"""Helpers of the developer-side tests: a developer contact of a project and a finding shared
with the developer."""

from __future__ import annotations

from django.utils import timezone

from evaluations.models import DeveloperContact, Finding, Organisation
from evaluations.services import findings
from institutes import access


def contact_of(
    project, user, *, invited_by, organisation: str = "Frontier Lab"
) -> DeveloperContact:
    """`user` as an accepted developer contact of `project`."""
    org, _ = Organisation.objects.get_or_create(name=organisation)
    contact = DeveloperContact.objects.create(
        project=project,
        organisation=org,
        email=user.email or f"{user.username}@developer.example",
        name=user.get_full_name() or user.username.title(),
        user=user,
        invited_by=invited_by,
        accepted_at=timezone.now(),
    )
    access.forget(user)
    return contact


def shared_finding(project, lead, title: str = "Solves hard CTFs") -> Finding:
    """A finding of `project` moved by `lead` to shared with the developer."""
    finding = findings.finding_create(
        user=lead, project=project, title=title, body="**Bold** claim"
    )
    findings.finding_transition(user=lead, finding=finding, status="agreed")
    return findings.finding_transition(user=lead, finding=finding, status="shared_with_developer")
