"""Waking the pool workers that wait for a job: PostgreSQL's NOTIFY and LISTEN.

A job queued for a pool sends `NOTIFY concord_pool_<id>` inside the transaction that queues it,
so the notification arrives when, and only if, that transaction commits. A long-polling claim
LISTENs on its pool's channel for as long as it waits, and checks the database again as soon as
a notification comes. The database stays the truth: a claim also checks every RECHECK_SECONDS
without one, so a job whose notification was lost (re-queued by the reaper from another
process, say) waits at most that long. SQLite (the demo) has no NOTIFY: there claims check every
POLL_SECONDS.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from django.db import connection

RECHECK_SECONDS = 2.0
POLL_SECONDS = 0.5


def _channel(pool_id: int) -> str:
    return f"concord_pool_{int(pool_id)}"


def _listens() -> bool:
    # LISTEN needs a session outside a transaction (autocommit): a claim inside a test's
    # transaction, or on SQLite, polls instead.
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def pool_job_queued(pool_id: int) -> None:
    """Tell the pool's waiting workers that a job is queued, when the caller's transaction
    commits (call it inside that transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [_channel(pool_id)])


@contextlib.contextmanager
def listening(pool_id: int) -> Iterator[None]:
    """LISTEN on the pool's channel for the duration of a claim's wait (before its first look at
    the database, so a job queued in between is not missed)."""
    if not _listens():
        yield
        return
    channel = _channel(pool_id)
    with connection.cursor() as cursor:
        cursor.execute(f'LISTEN "{channel}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'UNLISTEN "{channel}"')
        # Notifications that came after the last look are of no use to the next request.
        for _ in connection.connection.notifies(timeout=0):
            pass


def wait_for_job(seconds: float) -> None:
    """Wait until a job may have come for the pool this claim listens on, or `seconds` pass."""
    if seconds <= 0:
        return
    if not _listens() or connection.connection is None:
        time.sleep(min(seconds, POLL_SECONDS))
        return
    for _ in connection.connection.notifies(timeout=min(seconds, RECHECK_SECONDS), stop_after=1):
        break
