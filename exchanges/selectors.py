"""Reads of exchanges, already scoped to the user: an exchange the user may not see is a 404."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from exchanges.calendar import FEED_STATUSES
from exchanges.models import (
    CalendarFeed,
    ChecklistItem,
    Exchange,
    ExchangeApproval,
    ExchangeQuerySet,
)
from institutes import access
from institutes.models import Institute, hash_token


def exchanges_visible_to(user) -> QuerySet[Exchange]:
    """The person sees their own exchanges; members see their institutes' (home or host)."""
    if not user.is_authenticated:
        return Exchange.objects.none()
    if access.is_programme_manager(user):
        return Exchange.objects.all()
    institute_ids = list(access.institute_ranks(user).keys())
    return Exchange.objects.filter(
        Q(person=user)
        | Q(home_institute_id__in=institute_ids)
        | Q(host_institute_id__in=institute_ids)
    )


def exchange_list(user) -> QuerySet[Exchange]:
    """Visible exchanges with what a list row shows."""
    return exchanges_visible_to(user).select_related(
        "person", "home_institute", "host_institute", "project"
    )


def exchange_detail(user) -> QuerySet[Exchange]:
    """Visible exchanges with their approval trail and checklist, for a detail page or response."""
    return exchange_list(user).prefetch_related(
        Prefetch(
            "approvals",
            queryset=ExchangeApproval.objects.select_related("institute", "user"),
        ),
        Prefetch(
            "checklist",
            queryset=ChecklistItem.objects.select_related("item_type", "done_by"),
        ),
    )


def exchange_get(user, pk) -> Exchange:
    try:
        return (
            exchange_detail(user)
            .select_related("proposed_by", "activated_by", "ended_by")
            .get(pk=pk)
        )
    except (Exchange.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such exchange.") from exc


def checklist_item_get(user, *, exchange_pk, item_pk) -> ChecklistItem:
    exchange = exchange_get(user, exchange_pk)
    for item in exchange.checklist.all():
        if str(item.pk) == str(item_pk):
            return item
    raise Http404("No such checklist item.")


def exchanges_in_month(queryset: ExchangeQuerySet, first: date, last: date) -> ExchangeQuerySet:
    return queryset.overlapping(first, last).order_by("start_date", "pk")


def feed_institutes(user) -> QuerySet[Institute]:
    """Institutes whose calendar feeds the user manages (their leads; all for programme managers)."""
    return access.manageable_institutes(user).filter(is_active=True)


def calendar_feeds_managed_by(user) -> QuerySet[CalendarFeed]:
    return (
        CalendarFeed.objects.filter(institute__in=feed_institutes(user), revoked_at__isnull=True)
        .select_related("institute", "created_by")
        .order_by("institute__name", "-created_at")
    )


def calendar_feed_for_token(token: str) -> CalendarFeed:
    """The live feed a secret token opens; 404 for an unknown or revoked token."""
    feed = (
        CalendarFeed.objects.filter(
            token_hash=hash_token(token), revoked_at__isnull=True, institute__is_active=True
        )
        .select_related("institute")
        .first()
    )
    if feed is None:
        raise Http404("No such calendar feed.")
    return feed


def calendar_exchanges(institute: Institute) -> QuerySet[Exchange]:
    """The institute's exchanges for its feed; `project_shared`: the institute takes part in the
    linked project (the feed names the project only then)."""
    from evaluations.models import Participation

    return (
        Exchange.objects.filter(
            Q(home_institute=institute) | Q(host_institute=institute), status__in=FEED_STATUSES
        )
        .annotate(
            project_shared=Exists(
                Participation.objects.filter(project=OuterRef("project"), institute=institute)
            )
        )
        .select_related("person", "home_institute", "host_institute", "project")
        .order_by("start_date", "pk")
    )
