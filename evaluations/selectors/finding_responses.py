"""Reads of what is said about findings: a finding a developer contact may read (shared with the
developer in one of their projects: `access.developer_shared_findings`) and a finding's thread (comments and the developer's
responses), in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404

from evaluations import rules
from evaluations.models import Finding, FindingComment, FindingResponse
from institutes import access


def developer_finding_for(user, finding_id: int) -> Finding:
    """A finding shared with the user as a developer contact of its project; 404 otherwise."""
    try:
        return (
            access.developer_shared_findings(user)
            .select_related("project", "workstream__domain")
            .get(pk=finding_id)
        )
    except (Finding.DoesNotExist, ValueError) as exc:
        raise Http404("No such finding.") from exc


@dataclass
class Thread:
    """A finding's comments and the developer's responses, oldest first; `latest` stands."""

    comments: list[FindingComment]
    responses: list[FindingResponse]
    window_open: bool
    window_closes: datetime | None

    @property
    def latest(self) -> FindingResponse | None:
        return self.responses[-1] if self.responses else None

    @property
    def earlier(self) -> list[FindingResponse]:
        """The responses the latest one replaced, newest first."""
        return list(reversed(self.responses[:-1]))


def finding_thread(finding: Finding) -> Thread:
    comments = list(
        FindingComment.objects.filter(finding=finding)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    responses = list(
        FindingResponse.objects.filter(finding=finding)
        .select_related("contact__organisation", "contact__user")
        .order_by("created_at", "pk")
    )
    window_open, closes_at = rules.response_window(finding)
    return Thread(comments, responses, window_open, closes_at)
