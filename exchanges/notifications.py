"""E-mails about exchanges, to the person and to the approvers (the leads of both institutes).

Sent once the transaction that made the change commits, so nobody hears of a change that was
rolled back. A failing mail server never undoes or breaks the change: the error is logged.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from institutes.models import Role, User

logger = logging.getLogger(__name__)

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


def notify(exchange, event: str, *, actor=None, institute=None, note: str = "") -> None:
    """Schedule the e-mails for this step of the exchange, sent when the transaction commits."""
    exchange_id, actor_name = exchange.pk, (actor.display_name if actor else "Concord")
    institute_name = institute.name if institute else ""
    transaction.on_commit(
        lambda: _send(exchange_id, event, actor_name, institute_name, note), robust=True
    )


def _send(exchange_id: int, event: str, actor_name: str, institute_name: str, note: str) -> None:
    from exchanges.models import Exchange

    exchange = Exchange.objects.select_related(
        "person", "home_institute", "host_institute", "project"
    ).get(pk=exchange_id)
    subject_part, sentence = EVENTS[event]
    fmt = {"actor": actor_name, "institute": institute_name}
    subject = (
        f"[Concord] Exchange of {exchange.person.display_name} "
        f"({exchange.home_institute.code} → {exchange.host_institute.code}): "
        f"{subject_part.format(**fmt)}"
    )
    body = render_to_string(
        "exchanges/email/notification.txt",
        {
            "exchange": exchange,
            "sentence": sentence.format(**fmt),
            "note": note,
            "url": settings.CONCORD_SITE_URL.rstrip("/")
            + reverse("exchanges:detail", args=[exchange.pk]),
        },
    )
    messages = [
        EmailMessage(subject=subject, body=body, to=[address]) for address in recipients(exchange)
    ]
    if not messages:
        return
    try:
        get_connection().send_messages(messages)
    except Exception:  # the change stands; a mail outage must not turn it into an error page
        logger.exception("Could not send the '%s' e-mails of exchange %s", event, exchange_id)
