"""The permission matrix's registry: which answer each kind of user gets from each route.

Every URL pattern in `config.urls` needs an entry (test_matrix.py enumerates the URL configuration
and fails on a route without one). Entries live in modules named `entries_<area>.py` beside this
file, imported automatically; each calls `register(...)` for the routes of its area. An area that
needs objects of its own adds them to the shared world with `@world_part`.

The six kinds of user (the `ROLES`), in the world built by test_matrix.py:
  anonymous  not signed in
  outsider   charlie, lead of institute C, which takes no part in the project or guideline
  viewer     vera, viewer at institute A (the project's lead institute)
  evaluator  bob, evaluator at A
  lead       alice, lead of A
  pm         pm, programme manager (platform-wide; not a member of any institute)

An expectation is an HTTP status, a tuple of acceptable statuses, or LOGIN (a redirect to the
login page). An expected 302 that is not LOGIN must not be a redirect to the login page.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "outsider", "viewer", "evaluator", "lead", "pm")
LOGIN = "login"

# Route prefixes that other matrices check, route by route: the REST API (api_registry.py,
# test_api_matrix.py: every action and method) and the admin (tests/security/test_routes.py and
# test_admin_scope.py: every ModelAdmin's views and querysets). This page matrix leaves them to
# those; any other route without an entry here fails.
CHECKED_ELSEWHERE: dict[str, str] = {
    "api/": "tests/permissions/test_api_matrix.py",
    "admin/": "tests/security/test_routes.py",
}

Expect = int | tuple[int, ...] | str
Builder = Callable[[Any], Any]


@dataclass(frozen=True)
class Check:
    method: str
    expect: dict[str, Expect]
    data: Builder | None = None  # world -> POST data
    query: Builder | None = None  # world -> GET query dict


@dataclass(frozen=True)
class Entry:
    key: str  # the URL name with its namespace ("evaluations:project_detail"), or the route
    kwargs: Builder | None  # world -> reverse() kwargs
    checks: tuple[Check, ...]
    module: str = ""
    setup: Builder | None = None  # world -> None, run before each role's request


REGISTRY: dict[str, Entry] = {}
WORLD_PARTS: list[Callable[[Any], None]] = []


def answers(
    *,
    anonymous: Expect = LOGIN,
    outsider: Expect,
    viewer: Expect,
    evaluator: Expect,
    lead: Expect,
    pm: Expect,
) -> dict[str, Expect]:
    """One expectation per role, named (so a matrix row reads like a table row)."""
    return {
        "anonymous": anonymous,
        "outsider": outsider,
        "viewer": viewer,
        "evaluator": evaluator,
        "lead": lead,
        "pm": pm,
    }


def everyone(status: Expect, *, anonymous: Expect = LOGIN) -> dict[str, Expect]:
    """Any signed-in user gets `status`."""
    return answers(
        anonymous=anonymous,
        outsider=status,
        viewer=status,
        evaluator=status,
        lead=status,
        pm=status,
    )


def register(
    key: str,
    *,
    kwargs: Builder | None = None,
    get: dict[str, Expect] | None = None,
    post: dict[str, Expect] | None = None,
    data: Builder | None = None,
    query: Builder | None = None,
    setup: Builder | None = None,
) -> Entry:
    """Register the expected answers for one route. `get`/`post`: role -> expectation."""
    if key in REGISTRY:
        raise ValueError(f"{key} is registered twice ({REGISTRY[key].module}).")
    checks = []
    if get is not None:
        checks.append(Check("GET", get, query=query))
    if post is not None:
        checks.append(Check("POST", post, data=data))
    if not checks:
        raise ValueError(f"{key}: give at least one of get= or post=.")
    for check in checks:
        if set(check.expect) != set(ROLES):
            raise ValueError(f"{key} {check.method}: give an answer for each of {ROLES}.")
    caller = sys._getframe(1).f_globals.get("__name__", "")
    entry = Entry(key=key, kwargs=kwargs, checks=tuple(checks), module=caller, setup=setup)
    REGISTRY[key] = entry
    return entry


def world_part(builder: Callable[[Any], None]) -> Callable[[Any], None]:
    """Decorator: `builder(world)` adds an area's own objects to the shared world."""
    WORLD_PARTS.append(builder)
    return builder


@dataclass
class World:
    users: dict[str, Any]  # role -> user (None for anonymous)
    extra: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["extra"][name]
        except KeyError:
            raise AttributeError(name) from None
