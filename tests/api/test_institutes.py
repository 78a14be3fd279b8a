"""The institutes directory: every signed-in user reads it; staff lists only for their own."""

from __future__ import annotations

from tests.api_clients import bearer

BASE = "/api/v1/institutes/"


def test_staff_see_their_own_institutes_members_and_roles(alice, bob, vera, charlie):
    body = bearer(vera).get(f"{BASE}inst-a/").json()
    assert body["members"] == [
        {"username": "alice", "display_name": "alice", "role": "lead"},
        {"username": "bob", "display_name": "bob", "role": "evaluator"},
        {"username": "vera", "display_name": "vera", "role": "viewer"},
    ]


def test_other_institutes_staff_is_hidden(alice, charlie):
    listing = bearer(charlie).get(BASE).json()["results"]
    members = {i["code"]: i["members"] for i in listing}
    assert members["inst-a"] is None
    assert [m["username"] for m in members["inst-c"]] == ["charlie"]


def test_programme_managers_see_every_institutes_staff(alice, charlie, pm):
    listing = bearer(pm).get(BASE).json()["results"]
    assert all(i["members"] is not None for i in listing)


def test_disabled_users_are_not_listed(alice, bob):
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    body = bearer(alice).get(f"{BASE}inst-a/").json()
    assert [m["username"] for m in body["members"]] == ["alice"]


def test_institutes_are_read_only(alice):
    assert bearer(alice).post(BASE, {"code": "x", "name": "X", "country": "FR"}).status_code == 405
    assert bearer(alice).patch(f"{BASE}inst-a/", {"name": "X"}).status_code == 405


def test_institutes_filter_by_country_and_search(alice, charlie):
    client = bearer(alice)
    assert [i["code"] for i in client.get(BASE, {"country": "jp"}).json()["results"]] == ["inst-c"]
    assert [i["code"] for i in client.get(BASE, {"search": "Institute A"}).json()["results"]] == [
        "inst-a"
    ]
