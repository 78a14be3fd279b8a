"""Registering and managing webhooks. Leads of an institute manage its webhooks; programme
managers manage any institute's. Each write checks the URL (webhooks.network: http(s), public
addresses only) and the events, and returns the new signing secret when it makes one (at
creation and on rotation): that is the only time anyone sees it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from institutes import access
from institutes.models import Institute
from webhooks import network, signing
from webhooks.models import EVENT_NAMES, Delivery, Webhook
from webhooks.services import events

NOT_A_LEAD = "Only leads of an institute and programme managers manage its webhooks."


@dataclass(frozen=True)
class WithSecret:
    webhook: Webhook
    secret: str  # shown once


def _clean_events(names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(names))
    unknown = [name for name in names if name not in EVENT_NAMES]
    if unknown:
        raise ValidationError(
            {"events": f"Unknown event {', '.join(unknown)}: choose from {', '.join(EVENT_NAMES)}."}
        )
    if not names:
        raise ValidationError({"events": "Choose at least one event."})
    return names


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        network.check_url(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from exc
    return url


def _new_secret(webhook: Webhook) -> str:
    secret = signing.generate_secret()
    webhook.secret_encrypted = signing.encrypt_secret(secret)
    webhook.secret_hint = secret[-4:]
    return secret


@transaction.atomic
def webhook_create(
    *, user, institute: Institute, url: str, events: Iterable[str], description: str = ""
) -> WithSecret:
    """Register a webhook for `institute` (its leads, programme managers)."""
    access.require(access.is_lead_of(user, institute), NOT_A_LEAD)
    webhook = Webhook(
        institute=institute,
        url=_clean_url(url),
        events=_clean_events(events),
        description=description.strip(),
        created_by=user,
    )
    secret = _new_secret(webhook)
    webhook.full_clean()
    webhook.save()
    return WithSecret(webhook, secret)


_UNSET = object()


@transaction.atomic
def webhook_update(
    *,
    user,
    webhook: Webhook,
    url=_UNSET,
    events=_UNSET,
    active=_UNSET,
    description=_UNSET,
) -> Webhook:
    """Change what was given. Enabling a webhook again clears its failing mark."""
    access.require(access.is_lead_of(user, webhook.institute_id), NOT_A_LEAD)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    fields = ["updated_at"]
    if url is not _UNSET:
        webhook.url = _clean_url(url)
        fields.append("url")
    if events is not _UNSET:
        webhook.events = _clean_events(events)
        fields.append("events")
    if description is not _UNSET:
        webhook.description = str(description).strip()
        fields.append("description")
    if active is not _UNSET:
        active = bool(active)
        if active and not webhook.active:
            webhook.consecutive_failures = 0
            webhook.failing_since = None
            fields += ["consecutive_failures", "failing_since"]
        webhook.active = active
        fields.append("active")
    webhook.full_clean()
    webhook.save(update_fields=fields)
    return webhook


@transaction.atomic
def webhook_delete(*, user, webhook: Webhook) -> None:
    """Delete a webhook with its delivery log (pending deliveries are never sent)."""
    access.require(access.is_lead_of(user, webhook.institute_id), NOT_A_LEAD)
    webhook.delete()


@transaction.atomic
def webhook_rotate_secret(*, user, webhook: Webhook) -> WithSecret:
    """A new signing secret, at once: deliveries from now on (retries included) are signed with
    it, and the old one stops working."""
    access.require(access.is_lead_of(user, webhook.institute_id), NOT_A_LEAD)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    secret = _new_secret(webhook)
    webhook.save(update_fields=["secret_encrypted", "secret_hint", "updated_at"])
    return WithSecret(webhook, secret)


@transaction.atomic
def webhook_test(*, user, webhook: Webhook) -> Delivery:
    """Send the `ping` event to this webhook (it shows in the delivery log like any other)."""
    access.require(access.is_lead_of(user, webhook.institute_id), NOT_A_LEAD)
    if not webhook.active:
        raise ValidationError("The webhook is disabled: enable it to send a test event.")
    return events.ping(webhook=webhook)
