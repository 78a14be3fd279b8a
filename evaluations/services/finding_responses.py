"""What is said about a finding once it leaves the evaluators' hands: comments (by the AI
developer's contacts on a finding shared with them, and by the project's evaluators and leads)
and the developer's formal responses (acknowledged, disputed, mitigated; the latest stands).

Both are part of the record: kept, never edited or deleted, audited. Their text is plain text or
Markdown, rendered through `evaluations.markdown` (sanitised) wherever it is shown.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from evaluations.models import Finding, FindingComment, FindingResponse
from evaluations.services import developer_mail
from institutes import access

MAX_TEXT = 20_000


def _checked_text(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: "Write something."})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: f"Keep it under {MAX_TEXT:,} characters."})
    return text


def _require_shared(finding: Finding) -> None:
    if finding.shared_at is None:
        raise ValidationError("The finding has not been shared with the developer.")


@transaction.atomic
def finding_comment_add(*, finding: Finding, author, body: str) -> FindingComment:
    """A comment on a finding: by an active developer contact of its project once the finding is
    shared with them, or by an evaluator or lead of the project (or a programme manager) who may
    read its findings."""
    project = finding.project
    if access.developer_contact(author, project) is not None:
        _require_shared(finding)
    else:
        access.require(
            access.can_act(author, project) and access.can_see_results(author, project),
            "Only the project's evaluators and leads, and the developer's contacts on a finding "
            "shared with them, comment on a finding.",
        )
    comment = FindingComment(finding=finding, author=author, body=_checked_text(body, "body"))
    comment.save()
    return comment


@transaction.atomic
def finding_respond(*, finding: Finding, by, kind: str, text: str) -> FindingResponse:
    """The developer's response to a finding shared with them (only an active developer contact
    of the project records one). The project's leads are told by e-mail."""
    project = finding.project
    contact = access.developer_contact(by, project)
    access.require(
        contact is not None,
        "Only the AI developer's contacts of the project respond to a finding.",
    )
    _require_shared(finding)
    if kind not in FindingResponse.Kind.values:
        raise ValidationError(
            {"kind": f"'{kind}' is not a response (acknowledged, disputed or mitigated)."}
        )
    response = FindingResponse(
        finding=finding, contact=contact, kind=kind, text=_checked_text(text, "text")
    )
    response.save()
    _tell_leads(response)
    return response


def _tell_leads(response: FindingResponse) -> None:
    finding = response.finding
    path = reverse("projects:finding", kwargs={"slug": finding.project.slug, "pk": finding.pk})
    developer_mail.notify_leads(
        finding.project,
        subject=f"{response.contact.organisation} responded to a finding: {finding.title}",
        template="response_recorded",
        context={
            "finding": finding,
            "response": response,
            "url": developer_mail.absolute_url(path),
        },
    )
