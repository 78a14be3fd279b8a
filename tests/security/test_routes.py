"""Every route is classified: each URL pattern (pages, API, admin), each DRF action and each
registered ModelAdmin is either on the public allow-list below, with the reason it is public, or
refuses anonymous users and users with no grant. The test does not trust declarations: it
requests every route with every method its view answers, anonymously and as `nobody` (signed in,
no membership, no platform role: a bearer token for the API, a session for pages and the admin),
and counts the 2xx answers.

What a user with no grant may still get (2xx), and why:
- routes with no object in their address (a list, a dashboard, a form): they answer with what the
  access policy lets the user see, which for `nobody` is nothing; API lists must come back empty;
- the signed-in directories below (`SIGNED_IN_DIRECTORIES`);
- never a route that names an object (a project, run, exchange, admin row...): 403/404/redirect.
"""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.db import transaction
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from config.api.permissions import DenyAll
from config.api_urls import router
from tests.api_clients import bearer
from tests.figures import figure
from tests.permissions.routes import Route, admin_models, all_routes, route_url

# Answered to anyone, signed in or not.
PUBLIC = {
    "healthz": "liveness for load balancers: database and broker up or down, no data",
    "login": "the sign-in page",
    "admin:login": "the admin's sign-in page",
    "admin:logout": "the admin's signed-out page",
    "api-schema": "the OpenAPI description of the API: no data",
    "api-docs": "Swagger UI, served from local files: no data",
    "exchanges:calendar_feed": "an institute's iCal feed, opened by its secret (revocable) token",
    "developers:accept": "a developer contact's sign-up page, opened by the invitation's secret "
    "token (works once, expires, replaced by a re-invitation)",
}

# API reads every signed-in user gets, whatever their grants.
SIGNED_IN_DIRECTORIES = {
    "api-root": "the index of the API's resources",
    "institute-list": "the directory of institutes (members only to their own staff)",
    "institute-detail": "the directory of institutes (members only to their own staff)",
    "task-list": "the shared registry of evaluation tasks",
    "task-detail": "the shared registry of evaluation tasks",
    "system-list": "systems not yet in any project, so their registrant can add them",
}
# Admin pages every staff user gets (they list nothing without permissions).
STAFF_PAGES = {"admin:index", "admin:password_change", "admin:password_change_done", "admin:jsi18n"}


def _request(client, method: str, url: str):
    call = getattr(client, method.lower())
    if method in ("GET", "OPTIONS", "HEAD"):
        return call(url)
    # Writes run in a transaction that is rolled back: every request sees the same world.
    with transaction.atomic():
        response = call(url, {}, format="json") if isinstance(client, APIClient) else call(url)
        transaction.set_rollback(True)
    return response


def _is_empty_list(response) -> bool:
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    if isinstance(body, dict) and "results" in body:
        return body["results"] == []
    return body == []


def _nobody_may_get_2xx(route: Route, method: str, response) -> bool:
    if route.key in PUBLIC:
        return True
    if route.kind == "admin":
        return False  # `nobody` is not staff
    if route.kind == "api":
        if route.key in SIGNED_IN_DIRECTORIES and method == "GET":
            return True
        return method == "GET" and not route.object_params and _is_empty_list(response)
    return not route.object_params


def _viewset_actions() -> set[tuple[str, str]]:
    """(viewset, action) for every viewset on the API router: its standard methods and @actions."""
    found = set()
    for _prefix, viewset, _basename in router.registry:
        for name in ("list", "create", "retrieve", "update", "partial_update", "destroy"):
            if hasattr(viewset, name):
                found.add((viewset.__name__, name))
        for extra in viewset.get_extra_actions():
            found.add((viewset.__name__, extra.__name__))
    return found


def _routed_actions(routes: list[Route]) -> set[tuple[str, str]]:
    found = set()
    for route in routes:
        actions = getattr(route.callback, "actions", None)
        if actions:
            found.update((route.callback.cls.__name__, action) for action in actions.values())
    return found


def test_every_api_view_declares_its_permissions():
    """DRF's default permission denies everything; no API view relies on it."""
    assert [DenyAll] == api_settings.DEFAULT_PERMISSION_CLASSES
    relying = []
    for route in all_routes():
        view = getattr(route.callback, "cls", None) or getattr(route.callback, "view_class", None)
        if view is None or not hasattr(view, "permission_classes"):
            continue  # not a DRF view
        if not view.permission_classes or DenyAll in view.permission_classes:
            relying.append(f"{view.__module__}.{view.__name__} ({route.route})")
    assert not relying, "API views without their own permission_classes:\n" + "\n".join(relying)


def test_every_route_refuses_anonymous_users_and_users_without_a_grant(security_world, client):
    world = security_world
    routes = all_routes()
    nobody = world.nobody
    nobody_token = bearer(nobody)
    nobody_staff = type(nobody).objects.create_user("nobody-staff", is_staff=True)
    anonymous_api = APIClient()

    unclassified: list[str] = []
    anonymous_2xx: list[str] = []
    nobody_2xx: list[str] = []
    requests = 0
    for route in routes:
        url = route_url(route, world)
        if url is None:
            unclassified.append(f"  {route.key}  ({route.route}): no address to request")
            continue
        for method in route.methods():
            requests += 1
            anonymous = anonymous_api if route.kind == "api" else client
            client.logout()
            response = _request(anonymous, method, url)
            if 200 <= response.status_code < 300 and route.key not in PUBLIC:
                anonymous_2xx.append(f"  {method} {url} ({route.key}): {response.status_code}")
            if route.kind == "api":
                signed_in = nobody_token
            else:
                client.force_login(nobody)
                signed_in = client
            response = _request(signed_in, method, url)
            if 200 <= response.status_code < 300 and not _nobody_may_get_2xx(
                route, method, response
            ):
                nobody_2xx.append(f"  {method} {url} ({route.key}): {response.status_code}")
            if route.kind == "admin":
                client.force_login(nobody_staff)
                response = _request(client, method, url)
                allowed = route.key in PUBLIC or route.key in STAFF_PAGES
                if 200 <= response.status_code < 300 and not allowed:
                    nobody_2xx.append(
                        f"  {method} {url} ({route.key}) as staff without permissions: "
                        f"{response.status_code}"
                    )
    # Anonymous OPTIONS on the API (DRF answers it for every route) is refused too.
    for route in routes:
        url = route_url(route, world)
        if route.kind == "api" and url and route.key not in PUBLIC:
            requests += 1
            response = anonymous_api.options(url)
            if 200 <= response.status_code < 300:
                anonymous_2xx.append(f"  OPTIONS {url} ({route.key}): {response.status_code}")

    actions = _viewset_actions()
    unrouted = actions - _routed_actions(routes)
    unclassified += [f"  {view}.{action}: no route" for view, action in sorted(unrouted)]
    changelists = {r.key for r in routes if r.kind == "admin"}
    for name in admin_models():
        if f"admin:{name}_changelist" not in changelists:
            unclassified.append(f"  ModelAdmin {name}: no changelist route")

    figure(
        f"{len(routes)} routes, {len(unclassified)} unclassified, "
        f"{len(anonymous_2xx)} anonymous 2xx "
        f"({len(actions)} DRF actions, {len(admin.site._registry)} ModelAdmins, "
        f"{requests} requests per kind of user; "
        f"{len(nobody_2xx)} unexpected 2xx without a grant)"
    )
    assert not unclassified, "Routes that could not be requested:\n" + "\n".join(unclassified)
    assert not anonymous_2xx, "Answered 2xx to an anonymous user:\n" + "\n".join(anonymous_2xx)
    assert not nobody_2xx, "Answered 2xx to a user with no grant:\n" + "\n".join(nobody_2xx)


@pytest.mark.parametrize("key", sorted(PUBLIC))
def test_the_public_allow_list_names_existing_routes(key):
    assert key in {route.key for route in all_routes()}
