"""Fixtures of the security tests.

They build on the permission matrix's world (tests/permissions/conftest.py: project `frontier`
and `results-perm` led by institute A with B as partner; alice lead, bob evaluator, vera viewer
at A; charlie at C; pm a programme manager) and add what the matrix does not have: a user with
no grant at all (`nobody`, no membership, not staff), an exchange, a calendar feed, and API
tokens.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from institutes.services import token_create
from tests.factories import UserFactory
from tests.permissions import conftest as permissions_conftest

FEED_TOKEN = "security-feed-token-0123456789"
world = permissions_conftest.world  # the matrix's world, as a fixture of these tests too


def bearer(user, scope: str = "write") -> APIClient:
    """An API client carrying a fresh token of `user`."""
    _, raw = token_create(user=user, name=f"security {scope}", scope=scope, expires_in_days=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def nobody(db):
    """Signed in, but with no membership, no exchange and no platform role: no grant at all."""
    return UserFactory(username="nobody")


@pytest.fixture
def security_world(world, nobody, institute_b):
    """The matrix world plus an exchange (bob from A to B), its checklist, a calendar feed of A
    and an auth group, so that every route with an object in its address has one to name."""
    from exchanges.models import ChecklistItem
    from tests.exchanges.factories import CalendarFeedFactory, ExchangeFactory

    exchange = ExchangeFactory(
        person=world.users["evaluator"],
        home_institute=world.institute_a,
        host_institute=institute_b,
        proposed_by=world.users["lead"],
        checklist=True,
    )
    world.extra.update(
        {
            "exchange": exchange,
            "checklist_item": ChecklistItem.objects.filter(exchange=exchange).first(),
            "feed": CalendarFeedFactory(institute=world.institute_a, token=FEED_TOKEN),
            "feed_token": FEED_TOKEN,
            "group": Group.objects.create(name="Auditors"),
            "nobody": nobody,
        }
    )
    return world
