"""Reads of webhooks, scoped to the user: an institute's webhooks are its leads' (every
institute's for programme managers). Anyone else's webhook does not exist for them (404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from institutes import access
from institutes.models import Institute
from webhooks.models import Delivery, Webhook


def webhooks_managed_by(user) -> QuerySet[Webhook]:
    if not user.is_authenticated:
        return Webhook.objects.none()
    return Webhook.objects.filter(institute__in=access.manageable_institutes(user)).select_related(
        "institute", "created_by"
    )


def webhook_get(user, pk) -> Webhook:
    try:
        return webhooks_managed_by(user).get(pk=pk)
    except (Webhook.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such webhook.") from exc


def webhook_institutes(user) -> QuerySet[Institute]:
    """The institutes the user may register webhooks for."""
    return access.manageable_institutes(user).filter(is_active=True).order_by("code")


def deliveries_of(webhook: Webhook) -> QuerySet[Delivery]:
    """The webhook's delivery log, latest first, with each delivery's attempts."""
    return webhook.deliveries.order_by("-created_at", "-pk").prefetch_related("attempt_log")
