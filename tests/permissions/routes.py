"""Every route of the URL configuration, and how the permission registry classifies it."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from tests.permissions import registry


@dataclass(frozen=True)
class Route:
    key: str  # namespaced URL name, or the route text for an unnamed pattern
    route: str  # the full route, e.g. "projects/<slug:slug>/edit/"


def iter_routes(patterns=None, prefix: str = "", namespace: str = ""):
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
            yield Route(key=name or text, route=text)


def load_entries() -> dict[str, registry.Entry]:
    """Import every tests/permissions/entries_*.py module (each registers its routes)."""
    package = importlib.import_module("tests.permissions")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("entries_"):
            importlib.import_module(f"tests.permissions.{module.name}")
    return registry.REGISTRY


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
    entries = load_entries()
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
