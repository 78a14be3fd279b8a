"""API routes of webhooks (/api/v1/webhooks/). The world is the page matrix's, with the webhook
of institute A that entries_webhooks.py adds (`w.webhook`).

Listing: every signed-in user, 200 (their own institutes' webhooks only). Registering for A:
its lead and programme managers 201; charlie (lead of C) 403 for A; members who lead nothing 403
before the body is read. A webhook exists only for its institute's leads and programme managers:
everyone else 404, for every method.
"""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_everyone, api_register

URL = "http://127.0.0.1:9/hook"


def managers(ok: int) -> dict:
    return api_answers(outsider=404, viewer=404, evaluator=404, lead=ok, pm=ok)


def webhook(w) -> dict:
    return {"pk": w.webhook.pk}


api_register(
    "webhook-list",
    get=api_everyone(200),
    post=api_answers(outsider=403, viewer=403, evaluator=403, lead=201, pm=201),
    data=lambda w: {"url": URL, "events": ["job.finished"], "institute": w.institute_a.code},
)
api_register(
    "webhook-detail",
    kwargs=webhook,
    get=managers(200),
    patch=managers(200),
    delete=managers(204),
    data=lambda w: {"description": "Changed"},
)
api_register("webhook-test", kwargs=webhook, post=managers(202))
api_register("webhook-rotate-secret", kwargs=webhook, post=managers(200))
api_register("webhook-deliveries", kwargs=webhook, get=managers(200))
