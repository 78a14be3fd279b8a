"""The periodic task: approved exchanges start on their day (checklist complete), active ones
are completed after their last day. Idempotent."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings

from exchanges import services, tasks
from exchanges.models import Exchange
from tests.exchanges.conftest import tick_all

S = Exchange.Status


def test_the_schedule_is_defined_in_code():
    entry = settings.CELERY_BEAT_SCHEDULE["exchanges-sync-dates"]
    assert entry["task"] == "exchanges.tasks.exchanges_sync_dates"
    assert tasks.exchanges_sync_dates.name == entry["task"]


def test_an_approved_exchange_with_its_checklist_done_starts_on_its_day(approved, alice):
    tick_all(approved, alice)
    counts = services.exchanges_sync_dates(today=approved.start_date - timedelta(days=1))
    assert counts == {"activated": 0, "waiting": 0, "completed": 0}
    counts = services.exchanges_sync_dates(today=approved.start_date)
    assert counts["activated"] == 1
    assert Exchange.objects.get(pk=approved.pk).status == S.ACTIVE


def test_an_open_checklist_holds_the_start(approved):
    counts = services.exchanges_sync_dates(today=approved.start_date)
    assert counts == {"activated": 0, "waiting": 1, "completed": 0}
    assert Exchange.objects.get(pk=approved.pk).status == S.APPROVED


def test_an_active_exchange_is_completed_after_its_last_day(active):
    services.exchanges_sync_dates(today=active.end_date)
    assert Exchange.objects.get(pk=active.pk).status == S.ACTIVE
    counts = services.exchanges_sync_dates(today=active.end_date + timedelta(days=1))
    assert counts["completed"] == 1
    exchange = Exchange.objects.get(pk=active.pk)
    assert exchange.status == S.COMPLETED
    assert exchange.outcome == ""
    assert exchange.ended_by is None
    assert exchange.status_reason.startswith("Ended on its end date")


def test_running_twice_changes_nothing_more(active):
    day = active.end_date + timedelta(days=1)
    services.exchanges_sync_dates(today=day)
    before = Exchange.objects.get(pk=active.pk).updated_at
    assert services.exchanges_sync_dates(today=day) == {
        "activated": 0,
        "waiting": 0,
        "completed": 0,
    }
    assert Exchange.objects.get(pk=active.pk).updated_at == before


def test_proposed_exchanges_are_left_alone(proposed):
    services.exchanges_sync_dates(today=proposed.start_date)
    assert Exchange.objects.get(pk=proposed.pk).status == S.PROPOSED


def test_the_task_runs_the_service_and_returns_json(approved, alice):
    tick_all(approved, alice)
    result = tasks.exchanges_sync_dates.apply().get()
    assert json.loads(json.dumps(result)) == {"activated": 1, "waiting": 0, "completed": 0}
