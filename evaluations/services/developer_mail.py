"""E-mails of the developer's side: to a project's developer contacts (a report version or a
finding shared with them) and to the leads of its participating institutes (a developer's
response recorded).

Messages go out when the transaction that caused them commits, so nobody hears of a change that
was rolled back; each address gets its own message (no one sees the others' address). A mail
server failure is logged and never fails the change: the shared report or finding is on the
developer's pages whether or not the e-mail arrived.

Templates are plain text, under templates/evaluations/developers/email/; each names the context
it expects in a comment at its top. Links in them are absolute (`absolute_url`, from
CONCORD_SITE_URL, as the exchanges' e-mails).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string

from evaluations.models import DeveloperContact, EvaluationProject
from institutes.models import Role, User

logger = logging.getLogger(__name__)

TEMPLATE_DIR = "evaluations/developers/email/"


def absolute_url(path: str) -> str:
    """The address of a Concord path (from `reverse`) as a link in an e-mail."""
    return settings.CONCORD_SITE_URL.rstrip("/") + path


def template_name(template: str) -> str:
    """`report_shared` -> evaluations/developers/email/report_shared.txt (a full path as is)."""
    return template if template.endswith(".txt") else f"{TEMPLATE_DIR}{template}.txt"


def contact_addresses(project: EvaluationProject) -> list[str]:
    """The addresses of the project's active developer contacts (accepted, not revoked)."""
    rows = DeveloperContact.objects.filter(
        project=project, user__isnull=False, user__is_active=True, revoked_at__isnull=True
    ).values_list("email", flat=True)
    return _unique(rows)


def lead_addresses(project: EvaluationProject) -> list[str]:
    """The addresses of the leads of the project's participating institutes."""
    rows = (
        User.objects.filter(
            is_active=True,
            memberships__role=Role.LEAD,
            memberships__institute__participations__project=project,
        )
        .order_by("pk")
        .values_list("email", flat=True)
    )
    return _unique(rows)


def _unique(addresses: Iterable[str]) -> list[str]:
    result, seen = [], set()
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def send_now(*, addresses: Iterable[str], subject: str, template: str, context: Mapping) -> int:
    """Render and send one message per address; a failure is logged, never raised. Returns the
    number of messages sent."""
    subject = subject if subject.startswith("[Concord]") else f"[Concord] {subject}"
    sent = 0
    for address in addresses:
        try:
            body = render_to_string(template_name(template), {**context, "address": address})
            message = EmailMessage(subject=subject, body=body, to=[address])
            sent += get_connection().send_messages([message]) or 0
        except Exception:
            logger.exception("Could not send %r to %s", subject, address)
    return sent


def send_on_commit(
    *, addresses: Iterable[str], subject: str, template: str, context: Mapping
) -> None:
    """Send when the current transaction commits (at once outside a transaction)."""
    addresses = list(addresses)
    context = dict(context)

    def send_developer_mail() -> None:  # a named function: a failure is logged by its name
        send_now(addresses=addresses, subject=subject, template=template, context=context)

    transaction.on_commit(send_developer_mail, robust=True)


def notify_contacts(
    project: EvaluationProject, *, subject: str, template: str, context: Mapping[str, Any]
) -> None:
    """Mail the project's active developer contacts, after commit. `template`: a name under
    templates/evaluations/developers/email/ (`report_shared`, `finding_shared`) or a path."""
    send_on_commit(
        addresses=contact_addresses(project),
        subject=subject,
        template=template,
        context={"project": project, **context},
    )


def notify_leads(
    project: EvaluationProject, *, subject: str, template: str, context: Mapping[str, Any]
) -> None:
    """Mail the leads of the project's participating institutes, after commit (e.g.
    `response_recorded`)."""
    send_on_commit(
        addresses=lead_addresses(project),
        subject=subject,
        template=template,
        context={"project": project, **context},
    )
