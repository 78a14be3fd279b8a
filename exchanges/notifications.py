"""E-mails about exchanges, to the person and to the approvers (the leads of both institutes).

A service schedules them when its transaction commits (`services.notify`), so nobody hears of a
change that was rolled back. Celery sends them (`tasks.exchange_notify`, then one
`tasks.exchange_email_send` per address): the request never waits for the mail server, and an
unreachable server, or one that answers "try again later" (4xx), is retried with backoff up to
a cap instead of being logged and lost. Each address gets its own message, so no one sees the
others' address and a retry never mails twice someone already reached.
"""

from __future__ import annotations

import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from exchanges import rules
from exchanges.models import Exchange
from institutes.models import Institute, Role, User


class MailDeferred(Exception):
    """The mail server answered with a temporary failure (an SMTP 4xx reply): try again later."""


# Worth another try: the server unreachable, gone mid-conversation, or asking to come back later.
# A permanent refusal (5xx, a bad address) is not retried.
TRANSIENT_MAIL_ERRORS = (
    MailDeferred,
    smtplib.SMTPServerDisconnected,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)

# event: (subject, first sentence of the message)
EVENTS = {
    "proposed": (
        "proposed",
        "{actor} proposed this exchange. A lead of each institute decides on it.",
    ),
    "updated": (
        "changed",
        "{actor} changed this proposed exchange; earlier approvals no longer count.",
    ),
    "approved_side": (
        "approved by {institute}",
        "{actor} approved this exchange for {institute}. It waits for the other institute.",
    ),
    "approved": (
        "approved",
        "{actor} approved this exchange for {institute}: both institutes have approved it. "
        "It becomes active on its start date once the onboarding checklist is complete.",
    ),
    "declined": ("declined", "{actor} declined this exchange for {institute}."),
    "activated": ("started", "The exchange is now active ({actor})."),
    "completed": ("completed", "{actor} completed this exchange and wrote its outcome report."),
    "outcome": ("outcome report", "{actor} wrote the outcome report of this exchange."),
    "ended": (
        "ended",
        "The exchange reached its end date and is completed. A lead of either institute still "
        "has to write its outcome report.",
    ),
    "cancelled": ("cancelled", "{actor} cancelled this exchange."),
}


def recipients(exchange) -> list[str]:
    """The person and the leads of both institutes, each address once."""
    leads = User.objects.filter(
        is_active=True,
        memberships__role=Role.LEAD,
        memberships__institute_id__in=[exchange.home_institute_id, exchange.host_institute_id],
    ).values_list("email", flat=True)
    result, seen = [], set()
    for email in [exchange.person.email, *leads]:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            result.append(email)
    return result


def exchange_email_send(
    *,
    exchange_id: int,
    event: str,
    address: str,
    actor_id: int | None = None,
    institute_id: int | None = None,
    note: str = "",
) -> None:
    """Mail one address about this step of the exchange (raises on a mail server error)."""
    exchange = Exchange.objects.select_related(
        "person", "home_institute", "host_institute", "project"
    ).get(pk=exchange_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    # A linked project is named only to a reader who may see it (a lead of the home institute
    # may not take part in it).
    reader = User.objects.filter(email__iexact=address, is_active=True).first()
    institute = Institute.objects.filter(pk=institute_id).first() if institute_id else None
    subject_part, sentence = EVENTS[event]
    fmt = {
        "actor": actor.display_name if actor else "Concord",
        "institute": institute.name if institute else "",
    }
    subject = (
        f"[Concord] Exchange of {exchange.person.display_name} "
        f"({exchange.home_institute.code} → {exchange.host_institute.code}): "
        f"{subject_part.format(**fmt)}"
    )
    body = render_to_string(
        "exchanges/email/notification.txt",
        {
            "exchange": exchange,
            "project": rules.shown_project(reader, exchange) if reader else None,
            "sentence": sentence.format(**fmt),
            "note": note,
            "url": settings.CONCORD_SITE_URL.rstrip("/")
            + reverse("exchanges:detail", args=[exchange.pk]),
        },
    )
    message = EmailMessage(subject=subject, body=body, to=[address])
    try:
        get_connection().send_messages([message])
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise MailDeferred(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
