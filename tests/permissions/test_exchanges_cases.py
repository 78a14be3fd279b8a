"""Cases of the exchanges routes that one entry per route cannot hold (entries_exchanges.py and
api_entries_exchanges.py request the exchanges where institute A is the home):

- the host side: every route about one exchange is requested again, page and API, with the
  mirror exchanges (`w.xw_host`: B sends its people to A), so vera, bob and alice are members and
  a lead of the *host*; docs/exchanges.md gives both sides the same rights, hence the same answers;
- the person: bob still sees his own exchange after leaving his home institute;
- the calendar feed: a revoked or an unknown token is a 404 for everyone, signed in or not.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from institutes.models import Membership
from tests.permissions import test_api_matrix as api_matrix
from tests.permissions import test_matrix as page_matrix
from tests.permissions.entries_exchanges import REVOKED_FEED_TOKEN
from tests.permissions.registry import ROLES

SIDED_ROUTES = [
    "exchanges:detail",
    "exchanges:edit",
    "exchanges:approve",
    "exchanges:decline",
    "exchanges:activate",
    "exchanges:complete",
    "exchanges:cancel",
    "exchanges:checklist_toggle",
]
SIDED_API_ROUTES = [
    "exchange-detail",
    "exchange-approve",
    "exchange-decline",
    "exchange-activate",
    "exchange-complete",
    "exchange-cancel",
]


@pytest.fixture
def host_side(world):
    """The world with A as the host of the exchanges the entries request."""
    world.extra["xw"] = world.extra["xw_host"]
    return world


@pytest.mark.parametrize("key", SIDED_ROUTES)
def test_a_page_answers_the_host_side_as_the_home_side(key, host_side, client):
    page_matrix.test_route_answers_each_role_as_expected(key, host_side, client)


@pytest.fixture
def api_clients(world):
    made = {"anonymous": APIClient()}
    for role in ROLES:
        if world.users[role] is not None:
            made[role] = api_matrix._bearer(world.users[role], "write")
    made["lead_read_token"] = api_matrix._bearer(world.users["lead"], "read")
    return made


@pytest.mark.parametrize("name", SIDED_API_ROUTES)
def test_an_api_route_answers_the_host_side_as_the_home_side(name, host_side, api_clients):
    api_matrix.test_api_route_answers_each_role_as_expected(name, host_side, api_clients)


def test_the_person_still_sees_their_exchange_after_leaving_the_home_institute(world, client):
    bob = world.users["evaluator"]
    Membership.objects.filter(user=bob).delete()
    bob.refresh_from_db()  # losing a membership may end his sessions: sign in afresh
    exchange = world.xw.proposed
    client.force_login(bob)
    assert client.get(reverse("exchanges:detail", args=[exchange.pk])).status_code == 200
    api = api_matrix._bearer(bob, "read")
    assert api.get(f"/api/v1/exchanges/{exchange.pk}/").status_code == 200
    # Seeing is all: the person decides and acts on nothing.
    assert (
        client.post(reverse("exchanges:cancel", args=[exchange.pk]), {"reason": "x"}).status_code
        == 403
    )


@pytest.mark.parametrize(
    "token", [REVOKED_FEED_TOKEN, "no-such-token", "matrix-feed-token-of-institute-a-"]
)
def test_a_revoked_or_unknown_feed_token_is_404_for_everyone(token, world, client):
    url = reverse("exchanges:calendar_feed", kwargs={"token": token})
    for role in ROLES:
        client.logout()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        assert client.get(url).status_code == 404, role
