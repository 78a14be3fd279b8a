"""Sending a delivery: one attempt at a time, only in the workers.

An attempt is claimed by a conditional UPDATE (the delivery is pending, due, its webhook active)
that raises the attempt counter and pushes `next_attempt_at` past the attempt's longest run (a
lease): two workers given the same id never send the same attempt, and an attempt whose worker
died is tried again once the lease ends. Its result is written only if the delivery is still at
that attempt (the counter is a fencing token).

Any 2xx answer delivers. Anything else (another status, a timeout, a refused connection, an
address that is no longer public) is recorded and retried after 1 min, 2, 4, ... at most 1 h
apart, plus up to 10 % jitter, until CONCORD_WEBHOOK_RETRY_WINDOW_SECONDS (24 h) after the
first attempt; then the delivery fails. After CONCORD_WEBHOOK_FAILING_AFTER failed deliveries
in a row the webhook is marked failing: it keeps being attempted (its page says so, and a lead
may disable it); its next delivered event clears the mark.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from webhooks import network, signing
from webhooks.models import Delivery, DeliveryAttempt, Webhook

Status = Delivery.Status
JITTER = 0.1
RESEND_BATCH = 500


def retry_delay(attempt: int, *, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): 60, 120, 240, ...
    capped at CONCORD_WEBHOOK_RETRY_MAX_SECONDS, plus up to 10 % jitter so that many deliveries
    failing together do not come back together."""
    base = min(
        settings.CONCORD_WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0),
        settings.CONCORD_WEBHOOK_RETRY_MAX_SECONDS,
    )
    return base + (rng or random).uniform(0, base * JITTER)


def _lease() -> timedelta:
    return timedelta(seconds=settings.CONCORD_WEBHOOK_TIMEOUT_SECONDS * 2 + 60)


@dataclass(frozen=True)
class AttemptResult:
    status: str  # the delivery's status after the attempt
    retry_in: float | None = None  # seconds until the next attempt, when there is one


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now, webhook__active=True
    ).update(
        attempts=F("attempts") + 1,
        next_attempt_at=now + _lease(),
        first_attempt_at=Coalesce(F("first_attempt_at"), Value(now, output_field=DateTimeField())),
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("webhook").get(pk=delivery_id)


def headers_for(delivery: Delivery, secret: str, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": network.USER_AGENT,
        "X-Concord-Event": delivery.event,
        "X-Concord-Delivery": str(delivery.uid),
        "X-Concord-Timestamp": str(timestamp),
        "X-Concord-Signature": signing.sign(secret, timestamp, delivery.body.encode()),
    }


def _send(delivery: Delivery) -> network.Response:
    try:
        secret = signing.decrypt_secret(delivery.webhook.secret_encrypted)
        target = network.check_url(delivery.webhook.url)
    except (signing.SecretUnreadable, ValidationError) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return network.Response(None, 0, message[:500])
    timestamp = int(time.time())
    return network.post(
        target,
        delivery.body.encode(),
        headers_for(delivery, secret, timestamp),
        timeout=settings.CONCORD_WEBHOOK_TIMEOUT_SECONDS,
    )


def delivery_attempt(*, delivery_id: int, rng: random.Random | None = None) -> AttemptResult | None:
    """Make the next attempt of a delivery if it is due and not taken; None when there was
    nothing to do (delivered, failed, not due, taken by another worker, webhook disabled)."""
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return None
    number = delivery.attempts
    response = _send(delivery)
    return _record(delivery, number, response, rng=rng)


@transaction.atomic
def _record(
    delivery: Delivery, number: int, response: network.Response, *, rng: random.Random | None
) -> AttemptResult | None:
    now = timezone.now()
    locked = (
        Delivery.objects.select_for_update()
        .filter(pk=delivery.pk, status=Status.PENDING, attempts=number)
        .first()
    )
    if locked is None:
        return None  # the lease ran out and another attempt took over: its result counts
    DeliveryAttempt.objects.create(
        delivery=locked,
        number=number,
        at=now,
        status_code=response.status_code,
        duration_ms=response.duration_ms,
        error=response.error,
    )
    locked.last_status_code = response.status_code
    locked.last_error = response.error
    hooks = Webhook.objects.filter(pk=locked.webhook_id)
    retry_in = None
    if response.status_code is not None and 200 <= response.status_code < 300:
        locked.status = Status.DELIVERED
        locked.finished_at = now
        locked.next_attempt_at = None
        hooks.update(consecutive_failures=0, failing_since=None)
    else:
        delay = retry_delay(number, rng=rng)
        deadline = (locked.first_attempt_at or now) + timedelta(
            seconds=settings.CONCORD_WEBHOOK_RETRY_WINDOW_SECONDS
        )
        if now + timedelta(seconds=delay) > deadline:
            locked.status = Status.FAILED
            locked.finished_at = now
            locked.next_attempt_at = None
            hooks.update(consecutive_failures=F("consecutive_failures") + 1)
            hooks.filter(
                failing_since__isnull=True,
                consecutive_failures__gte=settings.CONCORD_WEBHOOK_FAILING_AFTER,
            ).update(failing_since=now)
        else:
            locked.next_attempt_at = now + timedelta(seconds=delay)
            retry_in = delay
    locked.save(
        update_fields=[
            "status",
            "finished_at",
            "next_attempt_at",
            "last_status_code",
            "last_error",
        ]
    )
    return AttemptResult(status=locked.status, retry_in=retry_in)


def deliveries_due(*, now: datetime | None = None, grace_seconds: float = 60) -> list[int]:
    """Ids of pending deliveries due for `grace_seconds` already: their message was lost (the
    broker restarted, a worker died holding it) or their attempt's lease ran out. Sending them
    again is harmless: the claim is conditional."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            status=Status.PENDING,
            next_attempt_at__lte=now - timedelta(seconds=grace_seconds),
            webhook__active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:RESEND_BATCH]
    )


def body_of(delivery: Delivery) -> dict:
    return json.loads(delivery.body)
