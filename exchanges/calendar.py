"""The iCalendar feed of an institute's exchanges: one all-day event per exchange.

An exchange's end date is its last day, so the event's DTEND (exclusive in iCalendar) is the day
after it. Proposed exchanges are TENTATIVE, the others CONFIRMED; declined and cancelled ones
are left out, so calendars drop them at the next refresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import icalendar
from django.conf import settings
from django.urls import reverse

from exchanges.models import Exchange
from institutes.models import Institute

FEED_STATUSES = (
    Exchange.Status.PROPOSED,
    Exchange.Status.APPROVED,
    Exchange.Status.ACTIVE,
    Exchange.Status.COMPLETED,
)


def exchange_event(exchange: Exchange, institute: Institute) -> icalendar.Event:
    outgoing = exchange.home_institute_id == institute.pk
    direction = (
        f"to {exchange.host_institute.name}" if outgoing else f"from {exchange.home_institute.name}"
    )
    event = icalendar.Event()
    event.add("uid", f"exchange-{exchange.pk}@concord")
    event.add("dtstamp", exchange.updated_at)
    event.add("dtstart", exchange.start_date)
    event.add(
        "dtend", exchange.end_date + timedelta(days=1) if exchange.end_date < date.max else date.max
    )
    event.add("summary", f"{exchange.person.display_name} seconded {direction}")
    lines = [
        f"{exchange.role_title}",
        f"{exchange.home_institute.name} → {exchange.host_institute.name}",
        f"Status: {exchange.get_status_display()}",
    ]
    # The feed is the institute's: it names a linked project only if the institute takes part.
    if exchange.project is not None and getattr(exchange, "project_shared", False):
        lines.append(f"Project: {exchange.project.title}")
    event.add("description", "\n".join(lines))
    event.add(
        "url",
        settings.CONCORD_SITE_URL.rstrip("/") + reverse("exchanges:detail", args=[exchange.pk]),
    )
    event.add("status", "TENTATIVE" if exchange.status == Exchange.Status.PROPOSED else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    return event


def institute_calendar(institute: Institute, exchanges: Iterable[Exchange]) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Concord//Personnel exchanges//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Exchanges of {institute.name}")
    for exchange in exchanges:
        calendar.add_component(exchange_event(exchange, institute))
    return calendar.to_ical()
