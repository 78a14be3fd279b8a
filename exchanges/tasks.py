"""Celery tasks of the exchanges app: thin, they call services and notifications. They take ids
and plain values only (JSON), and read the rows again when they run."""

from __future__ import annotations

from celery import shared_task

from exchanges import notifications, services
from exchanges.models import Exchange


@shared_task(name="exchanges.tasks.exchanges_sync_dates", time_limit=600, soft_time_limit=540)
def exchanges_sync_dates() -> dict[str, int]:
    """Activates and completes exchanges on their dates (see services.exchanges_sync_dates).
    Safe to run twice or concurrently: each exchange is claimed under a row lock and a status guard."""
    return services.exchanges_sync_dates()


@shared_task(name="exchanges.tasks.exchange_notify", time_limit=60, soft_time_limit=50)
def exchange_notify(
    exchange_id: int,
    event: str,
    actor_id: int | None = None,
    institute_id: int | None = None,
    note: str = "",
) -> int:
    """One e-mail task per recipient of this step (the person and the leads of both institutes,
    as they are when it runs), each retried on its own; returns how many were queued."""
    exchange = Exchange.objects.select_related("person").get(pk=exchange_id)
    addresses = notifications.recipients(exchange)
    for address in addresses:
        exchange_email_send.delay(
            exchange_id=exchange_id,
            event=event,
            address=address,
            actor_id=actor_id,
            institute_id=institute_id,
            note=note,
        )
    return len(addresses)


@shared_task(
    name="exchanges.tasks.exchange_email_send",
    autoretry_for=notifications.TRANSIENT_MAIL_ERRORS,
    retry_backoff=30,  # seconds: 30, 60, 120, ... (with jitter), at most retry_backoff_max
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,  # about four hours of trying, then the error is raised and logged
    time_limit=120,
    soft_time_limit=100,
)
def exchange_email_send(
    exchange_id: int,
    event: str,
    address: str,
    actor_id: int | None = None,
    institute_id: int | None = None,
    note: str = "",
) -> None:
    notifications.exchange_email_send(
        exchange_id=exchange_id,
        event=event,
        address=address,
        actor_id=actor_id,
        institute_id=institute_id,
        note=note,
    )
