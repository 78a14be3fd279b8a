"""The one walk of the URL configuration, shared by the permission matrices (tests/permissions)
and the security tests (tests/security): every route with what it takes to request it (the
address, with real objects of the test world in it; the HTTP methods its view answers; what kind
of route it is: page, API, admin), and how the matrices' registry classifies it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.permissions import registry
from tests.permissions.registry import API_REGISTRY, REGISTRY, load_entries

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")
SKIPPED_METHODS = {"HEAD", "OPTIONS", "TRACE"}


@dataclass(frozen=True)
class Route:
    key: str  # namespaced URL name, or the route text for an unnamed pattern
    route: str  # the full route, e.g. "projects/<slug:slug>/"
    pattern: URLPattern

    @property
    def params(self) -> list[str]:
        return [a or b for a, b in _PARAM.findall(self.route)]

    @property
    def object_params(self) -> list[str]:
        """The parameters that name something (not the API's `.json` format suffix)."""
        return [p for p in self.params if p != "format"]

    @property
    def kind(self) -> str:
        if self.route.startswith("admin/"):
            return "admin"
        if self.route.startswith("api/"):
            return "api"
        return "page"

    @property
    def callback(self):
        return self.pattern.callback

    def methods(self) -> list[str]:
        """The HTTP methods the view answers (function views: GET and POST)."""
        actions = getattr(self.callback, "actions", None)
        if actions:  # HEAD answers as GET does; OPTIONS is requested on its own
            return sorted(m.upper() for m in actions if m.upper() not in SKIPPED_METHODS)
        view_class = getattr(self.callback, "view_class", None)
        if view_class is not None:
            return sorted(
                m.upper()
                for m in view_class.http_method_names
                if m.upper() not in SKIPPED_METHODS and hasattr(view_class, m)
            )
        return ["GET", "POST"]


def iter_routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    """Walk the URL configuration (config.urls), recursively through includes."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from iter_routes(pattern.url_patterns, text, ns)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield Route(key=name or text, route=text, pattern=pattern)


# Addresses for routes that no matrix entry describes: world -> kwargs.
SAMPLE_KWARGS: dict[str, Callable[[Any], dict]] = {
    "exchanges:detail": lambda w: {"pk": w.exchange.pk},
    "exchanges:edit": lambda w: {"pk": w.exchange.pk},
    "exchanges:approve": lambda w: {"pk": w.exchange.pk},
    "exchanges:decline": lambda w: {"pk": w.exchange.pk},
    "exchanges:activate": lambda w: {"pk": w.exchange.pk},
    "exchanges:complete": lambda w: {"pk": w.exchange.pk},
    "exchanges:cancel": lambda w: {"pk": w.exchange.pk},
    "exchanges:checklist_toggle": lambda w: {"pk": w.exchange.pk, "item_pk": w.checklist_item.pk},
    "exchanges:calendar_revoke": lambda w: {"pk": w.feed.pk},
    "exchanges:calendar_feed": lambda w: {"token": w.feed_token},
    "exchange-detail": lambda w: {"pk": w.exchange.pk},
    "exchange-approve": lambda w: {"pk": w.exchange.pk},
    "exchange-decline": lambda w: {"pk": w.exchange.pk},
    "exchange-activate": lambda w: {"pk": w.exchange.pk},
    "exchange-complete": lambda w: {"pk": w.exchange.pk},
    "exchange-cancel": lambda w: {"pk": w.exchange.pk},
    "admin:app_list": lambda w: {"app_label": "institutes"},
    "admin:auth_user_password_change": lambda w: {"id": w.users["lead"].pk},
    "admin:view_on_site": lambda w: {
        "content_type_id": ContentType.objects.get_for_model(w.project).pk,
        "object_id": w.project.pk,
    },
}
# Last resort for a route nobody described yet: parameters whose name says what they are.
GENERIC_KWARGS: dict[str, Callable[[Any], Any]] = {
    "slug": lambda w: w.project.slug,
    "run_id": lambda w: w.rw.run_a.pk,
    "job_id": lambda w: w.rw.running.pk,
}
# Unnamed patterns: the address to request, world -> path.
SAMPLE_PATHS: dict[str, Callable[[Any], str]] = {
    "admin/(?P<url>.*)$": lambda w: "/admin/no-such-page/",
}


def admin_models() -> dict[str, type]:
    """'app_model' -> model, for every registered ModelAdmin."""
    return {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}


def _admin_object_id(route: Route) -> str | None:
    """The first row of the model an admin route is about (its change, delete, history...)."""
    models = admin_models()
    if route.key.startswith("admin:"):
        name = route.key.removeprefix("admin:")
        matches = [m for prefix, m in models.items() if name.startswith(prefix + "_")]
        if not matches:
            return None
        model = matches[0]
    else:  # "admin/<app>/<model>/<path:object_id>/": the redirect to the change page
        parts = route.route.split("/")
        model = models.get(f"{parts[1]}_{parts[2]}") if len(parts) > 3 else None
        if model is None:
            return None
    row = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return None if row is None else str(row)


def route_kwargs(route: Route, world) -> dict | None:
    """Keyword arguments naming real objects of the world; None when the route's address
    cannot be built (the meta-test reports it as unclassified)."""
    params = route.object_params
    kwargs: dict | None = None
    if not params:
        kwargs = {}
    elif route.key in REGISTRY and REGISTRY[route.key].kwargs:
        kwargs = REGISTRY[route.key].kwargs(world)
    elif route.key in API_REGISTRY and API_REGISTRY[route.key].kwargs:
        kwargs = API_REGISTRY[route.key].kwargs(world)
    elif route.key in SAMPLE_KWARGS:
        kwargs = SAMPLE_KWARGS[route.key](world)
    elif route.kind == "admin" and set(params) <= {"object_id", "id"}:
        object_id = _admin_object_id(route)
        kwargs = None if object_id is None else dict.fromkeys(params, object_id)
    elif set(params) <= set(GENERIC_KWARGS):
        kwargs = {name: GENERIC_KWARGS[name](world) for name in params}
    if kwargs is None or set(params) - set(kwargs):
        return None
    if "format" in route.params:
        kwargs = {**kwargs, "format": "json"}
    return kwargs


def route_url(route: Route, world) -> str | None:
    if route.key in SAMPLE_PATHS:
        return SAMPLE_PATHS[route.key](world)
    kwargs = route_kwargs(route, world)
    if kwargs is None:
        return None
    if route.key == route.route:  # unnamed: fill the pattern in
        path = route.route
        for name, value in kwargs.items():
            path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
        return "/" + path
    return reverse(route.key, kwargs=kwargs or None)


@dataclass
class Classification:
    routes: list[Route]
    covered: list[Route]
    pending: list[Route]
    unclassified: list[Route]
    stale: list[str]  # registered keys that match no route

    def summary(self) -> str:
        elsewhere = ", ".join(f"{p} in {t}" for p, t in sorted(registry.CHECKED_ELSEWHERE.items()))
        return (
            f"{len(self.routes)} routes, {len(self.unclassified)} unclassified "
            f"({len(self.covered)} with an entry here, {len(self.pending)} checked by the "
            f"matrices of {elsewhere})"
        )


def classify() -> Classification:
    entries, _ = load_entries()
    routes = list(iter_routes())
    covered, pending, unclassified = [], [], []
    for route in routes:
        if route.key in entries:
            covered.append(route)
        elif route.route.startswith(tuple(registry.CHECKED_ELSEWHERE)):
            pending.append(route)
        else:
            unclassified.append(route)
    keys = {route.key for route in routes}
    stale = sorted(key for key in entries if key not in keys)
    return Classification(routes, covered, pending, unclassified, stale)


def all_routes() -> list[Route]:
    load_entries()
    return list(iter_routes())
