"""The REST API's permission matrix, built from the URL configuration: every route under `api/`
must have an API entry in registry.py (or sit under a prefix pending other modules) with a check
for each method its view answers, and every check is requested as each kind of user with a
bearer token (and, for writes, with the lead's read-scope token, which must get 403)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from institutes.models import Membership, Role
from institutes.services import token_revoke
from tests.api_clients import issue_token
from tests.factories import UserFactory
from tests.permissions.registry import (
    API_PENDING_OTHER_MODULES,
    API_REGISTRY,
    ROLES,
    load_entries,
)
from tests.permissions.routes import iter_routes

load_entries()


def _api_routes():
    return [route for route in iter_routes() if route.route.startswith("api/")]


def test_every_api_route_and_method_has_an_entry():
    missing, pending, unchecked = [], [], []
    for route in _api_routes():
        if route.key in API_REGISTRY:
            checked = {check.method for check in API_REGISTRY[route.key].checks}
            for method in sorted(set(route.methods()) - checked):
                unchecked.append(f"  {method} {route.key}  ({route.route})")
        elif route.route.startswith(tuple(API_PENDING_OTHER_MODULES)):
            pending.append(route)
        else:
            missing.append(f"  {route.key}  ({route.route})")
    keys = {route.key for route in _api_routes()}
    stale = sorted(name for name in API_REGISTRY if name not in keys)
    print(
        f"API matrix: {len(keys)} named API routes, {len(API_REGISTRY)} with entries, "
        f"{len({r.key for r in pending})} pending other modules, {len(missing)} unclassified"
    )
    assert not missing, "API routes without a matrix entry:\n" + "\n".join(missing)
    assert not unchecked, "API methods without a matrix check:\n" + "\n".join(unchecked)
    assert not stale, f"Entries for API routes that no longer exist: {stale}"


@pytest.fixture
def clients(world):
    """One API client per role, each with a write-scope token; the lead's read token; a token of
    dan, evaluator at the partner institute B; and a revoked token of the lead's."""
    made = {"anonymous": APIClient()}
    for role in ROLES:
        user = world.users[role]
        if user is not None:
            made[role] = _bearer(user, "write")
    made["lead_read_token"] = _bearer(world.users["lead"], "read")
    dan = UserFactory(username="dan")
    Membership.objects.get_or_create(
        user=dan, institute=world.institute_b, defaults={"role": Role.EVALUATOR}
    )
    made["partner"] = _bearer(dan, "write")
    made["revoked"] = _bearer(world.users["lead"], "write", revoke=True)
    return made


def _bearer(user, scope: str, *, revoke: bool = False) -> APIClient:
    # The viewer's write token: one issued before token_create gave viewers read tokens only.
    token, raw = issue_token(user, scope=scope, name=f"matrix {scope}")
    if revoke:
        token_revoke(token=token, by=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _request(client, method: str, url: str, data):
    if method == "GET":
        return client.get(url, data)
    return getattr(client, method.lower())(url, data, format="json")


def _status_ok(status: int, expect) -> bool:
    return status in (expect if isinstance(expect, tuple) else (expect,))


@pytest.mark.parametrize("name", sorted(API_REGISTRY))
def test_api_route_answers_each_role_as_expected(name, world, clients):
    entry = API_REGISTRY[name]
    url = reverse(name, kwargs=entry.kwargs(world) if entry.kwargs else None)
    wrong = []
    for check in entry.checks:
        data = check.data(world) if check.data else None
        asked = [*ROLES, "partner", "revoked"]
        if check.method != "GET":
            asked.append("lead_read_token")
        # (A caller with clients of its own may leave the extra credentials out.)
        for who in (who for who in asked if who in clients):
            expect = check.expected(who)
            # Each request sees the same world: whatever it changes is rolled back.
            with transaction.atomic():
                response = _request(clients[who], check.method, url, data)
                transaction.set_rollback(True)
            if not _status_ok(response.status_code, expect):
                body = response.content[:300].decode(errors="replace")
                wrong.append(
                    f"  {check.method} as {who}: expected {expect}, got "
                    f"{response.status_code} {body}"
                )
            elif response.status_code >= 400 and "json" in response.get("Content-Type", ""):
                error = response.json().get("error", {})
                if error.get("status") != response.status_code:
                    wrong.append(f"  {check.method} as {who}: not the error shape: {error}")
    assert not wrong, f"{name} ({url}):\n" + "\n".join(wrong)
