"""Read what was sent to the Celery broker (Redis), without a worker: the real JSON messages."""

from __future__ import annotations

import base64
import json

import redis
from django.conf import settings

QUEUES = ("evals", "default")


def client():
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def purge() -> None:
    client().delete(*QUEUES)


def sent(queue: str = "evals") -> list[dict]:
    """Every message waiting in the queue: task name and decoded (args, kwargs)."""
    messages = []
    for raw in client().lrange(queue, 0, -1):
        envelope = json.loads(raw)
        body = json.loads(base64.b64decode(envelope["body"]))
        args, kwargs, _embed = body
        messages.append({"task": envelope["headers"]["task"], "args": args, "kwargs": kwargs})
    return messages
