"""Celery tasks of the exchanges app: thin, they call services."""

from __future__ import annotations

from celery import shared_task

from exchanges import services


@shared_task(name="exchanges.tasks.exchanges_sync_dates", time_limit=600, soft_time_limit=540)
def exchanges_sync_dates() -> dict[str, int]:
    """Activates and completes exchanges on their dates (see services.exchanges_sync_dates).
    Safe to run twice or concurrently: each exchange is claimed under a row lock and a status guard."""
    return services.exchanges_sync_dates()
