"""Odd input is refused with a 400 (or ignored), never a 500."""

from __future__ import annotations

import pytest

from tests.api_clients import bearer
from tests.exchanges.test_api import url


@pytest.mark.parametrize(
    "query",
    [{"year": "99999"}, {"year": "-1"}, {"year": "x"}, {"status": "nope"}, {"person": "a\x00b"},
     {"institute": "a\x00b"}, {"ordering": "nope"}],
)  # fmt: skip
def test_odd_filters_are_a_400_or_ignored(pm, query):
    assert bearer(pm).get(url(), query).status_code in (200, 400)


@pytest.mark.parametrize(
    "change",
    [{"role_title": "a\x00b"}, {"person": "b\x00ob"}, {"start_date": "0001-01-01"},
     {"end_date": "9999-12-31"}, {"host_role": "king"}, {"objectives": 5}, {"project": None}],
)  # fmt: skip
def test_odd_proposals_are_a_400_or_accepted(pm, bob, institute_b, today, change):
    body = {
        "person": "bob",
        "home_institute": "inst-a",
        "host_institute": "inst-b",
        "role_title": "X",
        "start_date": today.isoformat(),
        "end_date": today.replace(year=today.year + 1).isoformat(),
        **change,
    }
    response = bearer(pm).post(url(), body, format="json")
    assert response.status_code in (201, 400), response.content


def test_the_feed_copes_with_the_last_representable_day(client, pm, bob, institute_a, institute_b):
    from datetime import date

    from exchanges import services

    services.exchange_propose(
        user=pm,
        person=bob,
        home_institute=institute_a,
        host_institute=institute_b,
        role_title="Forever",
        start_date=date(9999, 1, 1),
        end_date=date.max,
    )
    _, token = services.calendar_feed_create(user=pm, institute=institute_a)
    assert client.get(f"/exchanges/calendars/{token}.ics").status_code == 200
    client.force_login(pm)
    assert client.get("/exchanges/timeline/", {"month": "9999-12"}).status_code == 200
    assert client.get("/exchanges/", {"year": "9999"}).status_code == 200


def test_odd_page_input_is_never_a_500(client, alice, proposed):
    client.force_login(alice)
    assert client.get("/exchanges/", {"page": "x", "year": "1e9"}).status_code == 200
    assert client.post(f"/exchanges/{proposed.pk}/approve/", {"institute": "x"}).status_code in (
        302,
        403,
    )
    assert client.get("/exchanges/99999999999999999999/").status_code == 404
