"""Webhook pages (docs/partner-tools.md, "Webhooks"). The world adds a webhook of institute A
(`w.webhook`). Any signed-in user opens the list (those who lead no institute see none); the form
is for leads (charlie leads C, so it opens for him, and naming A is a form error: 200) and
programme managers. A webhook exists only for the leads of its institute and programme managers:
everyone else gets 404, whatever the method. Registering and rotating answer 200 with the page
that shows the secret once; saving the edit form and the other buttons redirect."""

from __future__ import annotations

from django.utils import timezone

from tests.permissions.registry import answers, everyone, register, world_part
from webhooks.models import AccessWindowNotice, Delivery, DeliveryAttempt
from webhooks.services import webhooks as services

URL = "http://127.0.0.1:9/hook"


@world_part
def webhooks_world(w) -> None:
    """A webhook of A with a delivery, its attempt, and a window's closing notice: every table
    of the app has a row (the admin's change pages and the audit checks need one)."""
    webhook = services.webhook_create(
        user=w.users["lead"], institute=w.institute_a, url=URL, events=["job.finished"]
    ).webhook
    # Written directly, not emitted: nothing is sent to the broker from the matrix's world.
    delivery = Delivery.objects.create(webhook=webhook, event="ping", body="{}")
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, at=timezone.now(), status_code=500, duration_ms=12
    )
    AccessWindowNotice.objects.create(window=w.window, ends_at=w.window.ends_at)
    # Institute C's (charlie leads it): nobody of A or B ever sees it (tests/security).
    webhook_c = services.webhook_create(
        user=w.users["outsider"],
        institute=w.institute_c,
        url=URL,
        events=["job.finished"],
        description="C-only",
    ).webhook
    w.extra.update({"webhook": webhook, "delivery": delivery, "webhook_c": webhook_c})


def only_managers(ok) -> dict:
    return answers(outsider=404, viewer=404, evaluator=404, lead=ok, pm=ok)


def webhook(w) -> dict:
    return {"pk": w.webhook.pk}


register("webhooks:list", get=everyone(200))
register(
    "webhooks:create",
    get=answers(outsider=200, viewer=403, evaluator=403, lead=200, pm=200),
    post=answers(outsider=200, viewer=403, evaluator=403, lead=200, pm=200),
    data=lambda w: {"institute": w.institute_a.pk, "url": URL, "events": ["run.imported"]},
)
register("webhooks:detail", kwargs=webhook, get=only_managers(200))
register(
    "webhooks:edit",
    kwargs=webhook,
    get=only_managers(200),
    post=only_managers(302),
    data=lambda w: {"url": URL, "events": ["job.finished", "run.imported"], "description": "x"},
)
register("webhooks:test", kwargs=webhook, get=only_managers(405), post=only_managers(302))
register("webhooks:toggle", kwargs=webhook, get=only_managers(405), post=only_managers(302))
register("webhooks:rotate", kwargs=webhook, get=only_managers(405), post=only_managers(200))
register("webhooks:delete", kwargs=webhook, get=only_managers(405), post=only_managers(302))
