"""Celery tasks of the webhooks app: thin, they call the delivery service. They take ids only and
read the rows again when they run; sending twice the same id is harmless (the claim is
conditional)."""

from __future__ import annotations

from celery import shared_task

from webhooks.services import delivery, events


@shared_task(name="webhooks.tasks.deliver", time_limit=120, soft_time_limit=100)
def deliver(delivery_id: int) -> str:
    """One attempt; on failure the next one is scheduled for when it is due (the reconciler
    sends it again should this message be lost)."""
    result = delivery.delivery_attempt(delivery_id=delivery_id)
    if result is None:
        return "not due"
    if result.retry_in is not None:
        deliver.apply_async(args=[delivery_id], countdown=result.retry_in)
    return result.status


@shared_task(name="webhooks.tasks.resend_due", time_limit=120, soft_time_limit=100)
def resend_due() -> int:
    due = delivery.deliveries_due()
    for delivery_id in due:
        deliver.delay(delivery_id)
    return len(due)


@shared_task(name="webhooks.tasks.notify_closing_windows", time_limit=300, soft_time_limit=280)
def notify_closing_windows() -> int:
    return events.access_windows_notify()
