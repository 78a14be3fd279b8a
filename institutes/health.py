"""Checks behind /healthz."""

from __future__ import annotations

import time

from django.conf import settings
from kombu import Connection

from evaluations import logstore

BROKER_TIMEOUT_SECONDS = 2.0


def database_status(connection) -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {
        "ok": True,
        "vendor": connection.vendor,
        "ms": round(1000 * (time.monotonic() - started), 1),
    }


def broker_status() -> dict:
    url = settings.CELERY_BROKER_URL
    started = time.monotonic()
    try:
        with Connection(
            url,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            transport = conn.transport_cls
            if url.startswith(("redis://", "rediss://")):
                # ensure_connection is lazy for Redis: a PING proves the server answers.
                conn.default_channel.client.ping()
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {
        "ok": True,
        "transport": str(transport),
        "ms": round(1000 * (time.monotonic() - started), 1),
    }


def storage_status() -> dict:
    """The log storage: its folder is writable, or its bucket answers (`kind`: file or s3)."""
    try:
        return logstore.storage_status()
    except Exception as exc:  # a misconfigured storage is reported, not raised
        return {"ok": False, "kind": logstore.kind(), "error": exc.__class__.__name__}
