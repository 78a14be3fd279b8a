"""The permission matrix, built from the URL configuration: every route of config.urls must have
an entry in the registry (or sit under a prefix that another matrix checks: the API, the
admin), and every entry is
requested as each kind of user. See registry.py for the roles and how to add entries."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.urls import reverse

from tests.permissions import registry
from tests.permissions.registry import load_entries
from tests.permissions.routes import classify

load_entries()


def test_every_route_has_an_entry():
    result = classify()
    print(result.summary())
    assert not result.unclassified, "Routes without a permission-matrix entry:\n" + "\n".join(
        f"  {r.key}  ({r.route})" for r in result.unclassified
    )
    assert not result.stale, f"Entries for routes that no longer exist: {result.stale}"
    assert result.covered, "The matrix covers no route at all."


def _is_login_redirect(response) -> bool:
    if response.status_code != 302:
        return False
    return urlparse(response["Location"]).path == resolve_url(settings.LOGIN_URL)


def _matches(response, expect) -> bool:
    if expect == registry.LOGIN:
        return _is_login_redirect(response)
    allowed = expect if isinstance(expect, tuple) else (expect,)
    return response.status_code in allowed and not _is_login_redirect(response)


def _routes_with_entries() -> list[str]:
    return sorted(route.key for route in {r.key: r for r in classify().covered}.values())


@pytest.mark.parametrize("key", _routes_with_entries())
def test_route_answers_each_role_as_expected(key, world, client):
    entry = registry.REGISTRY[key]
    url = reverse(key, kwargs=entry.kwargs(world) if entry.kwargs else None)
    wrong = []
    for check in entry.checks:
        for role in registry.ROLES:
            client.logout()
            user = world.users[role]
            if user is not None:
                client.force_login(user)
            # Each request sees the same world: whatever it changes is rolled back.
            with transaction.atomic():
                if entry.setup:
                    entry.setup(world)
                if check.method == "GET":
                    response = client.get(url, check.query(world) if check.query else None)
                else:
                    response = client.post(url, check.data(world) if check.data else {})
                transaction.set_rollback(True)
            expect = check.expect[role]
            if not _matches(response, expect):
                where = response.get("Location", "")
                wrong.append(
                    f"  {check.method} as {role}: expected {expect}, got "
                    f"{response.status_code}{' -> ' + where if where else ''}"
                )
    assert not wrong, f"{key} ({url}):\n" + "\n".join(wrong)
