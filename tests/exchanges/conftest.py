"""People and exchanges for the exchange tests.

Institute A (alice lead, bob evaluator, vera viewer) sends bob to institute B (carol lead, dan
evaluator); charlie leads institute C and is the outsider; pm is a programme manager.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exchanges import services
from institutes.models import Role
from tests.factories import member


@pytest.fixture
def carol(institute_b):
    return member("carol", institute_b, Role.LEAD)


@pytest.fixture
def dan(institute_b):
    return member("dan", institute_b, Role.EVALUATOR)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def propose(alice, bob, institute_a, institute_b, today):
    """Propose an exchange of bob from A to B (by alice unless said otherwise)."""

    def _propose(**overrides):
        fields = {
            "user": alice,
            "person": bob,
            "home_institute": institute_a,
            "host_institute": institute_b,
            "role_title": "Visiting evaluator",
            "start_date": today + timedelta(days=10),
            "end_date": today + timedelta(days=40),
        }
        fields.update(overrides)
        return services.exchange_propose(**fields)

    return _propose


@pytest.fixture
def proposed(propose, carol):
    return propose()


@pytest.fixture
def approved(propose, alice, carol, institute_a, institute_b, today):
    """Approved by both sides, starting today."""
    exchange = propose(start_date=today, end_date=today + timedelta(days=30))
    services.exchange_approve(user=alice, exchange=exchange)
    return services.exchange_approve(user=carol, exchange=exchange)


def tick_all(exchange, user):
    for item in exchange.checklist.all():
        services.checklist_item_done(user=user, item=item)


@pytest.fixture
def active(approved, alice):
    tick_all(approved, alice)
    return services.exchange_activate(user=alice, exchange=approved)
