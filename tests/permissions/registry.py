"""The permission matrices' registry: which answer each kind of user gets from each route.

Two kinds of entry, one per matrix, both checked against the URL configuration (routes.py walks
it): every route of `config.urls` needs an entry, except the admin's (tests/security/test_routes.py
and test_admin_scope.py check every ModelAdmin's views and querysets).

- Pages (`register`, checked by test_matrix.py): requested with a session and form data. Entries
  live in modules named `entries_<area>.py` beside this file; an area that needs objects of its
  own adds them to the shared world with `@world_part`.
- The REST API (`api_register`, checked by test_api_matrix.py): every route under `api/`, with a
  check for each HTTP method its view answers, requested with bearer tokens and JSON. Entries
  live in modules named `api_entries_<area>.py`. Besides the six roles, every check is also sent
  with two more credentials:
    partner  a write token of dan, evaluator at institute B (the project's partner institute): he
             gets what `evaluator` gets, unless the entry says otherwise with
             `partner={"POST": 403}` (e.g. acting for institute A, which is not his);
    revoked  the lead's token after it was revoked: 401 on every route;
  and every write with the lead's *read-scope* token, which must get 403.

`load_entries()` imports both kinds of module. The seven kinds of user (the `ROLES`), in the world
of the `world` fixture (tests/conftest.py):
  anonymous  not signed in
  outsider   charlie, lead of institute C, which takes no part in the project or guideline
  viewer     vera, viewer at institute A (the project's lead institute)
  evaluator  bob, evaluator at A
  lead       alice, lead of A
  pm         pm, programme manager (platform-wide; not a member of any institute)
  developer  devon, an accepted developer contact of the project (an AI developer's person: no
             institute membership; entries_developers.py). An entry that names no answer for
             the developer expects the outsider's, or the one `developer_expect` sets for that
             route and method (a route where charlie's own institute counts, or one that shows
             the developer what was shared with them).

A page expectation is an HTTP status, a tuple of acceptable statuses, or LOGIN (a redirect to the
login page). An expected 302 that is not LOGIN must not be a redirect to the login page.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

ROLES = ("anonymous", "outsider", "viewer", "evaluator", "lead", "pm", "developer")
LOGIN = "login"

# Route prefixes that the page matrix leaves to other matrices, which check them route by route:
# the REST API (the API entries here, test_api_matrix.py: every action and method) and the admin
# (tests/security/test_routes.py and test_admin_scope.py: every ModelAdmin's views and querysets).
# Any other route without a page entry fails.
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
    key: str  # the URL name with its namespace ("projects:detail"), or the route
    kwargs: Builder | None  # world -> reverse() kwargs
    checks: tuple[Check, ...]
    module: str = ""
    setup: Builder | None = None  # world -> None, run before each role's request


REGISTRY: dict[str, Entry] = {}
WORLD_PARTS: list[Callable[[Any], None]] = []
LATE_WORLD_PARTS: list[Callable[[Any], None]] = []
# (route or API name, method) -> the developer's answer where it is not the outsider's.
DEVELOPER_EXPECT: dict[tuple[str, str], Any] = {}


def _with_developer(key: str, method: str, expect: dict) -> dict:
    """The expectations with the developer's: the outsider's unless the entry or
    `developer_expect` says otherwise."""
    if "developer" in expect:
        return expect
    answer = DEVELOPER_EXPECT.get((key, method), expect.get("outsider"))
    return {**expect, "developer": answer}


def developer_expect(key: str, method: str, answer: Any) -> None:
    """The developer's answer on a route (page or API) whose entry another module owns, where it
    is not the outsider's (applied when the entries are loaded, in whatever order)."""
    DEVELOPER_EXPECT[(key, method.upper())] = answer


def answers(
    *,
    anonymous: Expect = LOGIN,
    outsider: Expect,
    viewer: Expect,
    evaluator: Expect,
    lead: Expect,
    pm: Expect,
    developer: Expect | None = None,
) -> dict[str, Expect]:
    """One expectation per role, named (so a matrix row reads like a table row). The developer's
    is the outsider's unless given."""
    return {
        "anonymous": anonymous,
        "outsider": outsider,
        "viewer": viewer,
        "evaluator": evaluator,
        "lead": lead,
        "pm": pm,
        "developer": outsider if developer is None else developer,
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
        developer=status,
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
        checks.append(Check("GET", _with_developer(key, "GET", get), query=query))
    if post is not None:
        checks.append(Check("POST", _with_developer(key, "POST", post), data=data))
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


def late_world_part(builder: Callable[[Any], None]) -> Callable[[Any], None]:
    """Decorator: like `world_part`, run after every area's part (it may use their objects)."""
    LATE_WORLD_PARTS.append(builder)
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


# --- the REST API ---------------------------------------------------------------------------

ApiExpect = int | tuple[int, ...]

# API routes whose entries other modules will register. A route under one of these without an
# entry counts as pending; remove a prefix once its entries exist (then a missing one fails).
# None is pending now: every API route needs its entry.
API_PENDING_OTHER_MODULES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ApiCheck:
    method: str
    expect: dict[str, ApiExpect]
    data: Builder | None = None  # world -> JSON body (writes) or query dict (GET)
    partner: ApiExpect | None = None  # the partner token's answer, when not the evaluator's

    def expected(self, who: str) -> ApiExpect:
        if who == "partner":
            return self.expect["evaluator"] if self.partner is None else self.partner
        if who == "revoked":
            return 401
        if who == "lead_read_token":
            return 403  # refused before the view looks at the object or the body
        return self.expect[who]


@dataclass(frozen=True)
class ApiEntry:
    name: str  # the URL name, e.g. "project-detail"
    kwargs: Builder | None  # world -> reverse() kwargs
    checks: tuple[ApiCheck, ...]
    module: str = ""


API_REGISTRY: dict[str, ApiEntry] = {}


def api_answers(
    *,
    anonymous: ApiExpect = 401,
    outsider: ApiExpect,
    viewer: ApiExpect,
    evaluator: ApiExpect,
    lead: ApiExpect,
    pm: ApiExpect,
    developer: ApiExpect | None = None,
) -> dict[str, ApiExpect]:
    return {
        "anonymous": anonymous,
        "outsider": outsider,
        "viewer": viewer,
        "evaluator": evaluator,
        "lead": lead,
        "pm": pm,
        "developer": outsider if developer is None else developer,
    }


def api_everyone(status: ApiExpect, *, anonymous: ApiExpect = 401) -> dict[str, ApiExpect]:
    return api_answers(
        anonymous=anonymous,
        outsider=status,
        viewer=status,
        evaluator=status,
        lead=status,
        pm=status,
        developer=status,
    )


def api_register(
    name: str,
    *,
    kwargs: Builder | None = None,
    get: dict[str, ApiExpect] | None = None,
    post: dict[str, ApiExpect] | None = None,
    put: dict[str, ApiExpect] | None = None,
    patch: dict[str, ApiExpect] | None = None,
    delete: dict[str, ApiExpect] | None = None,
    query: Builder | None = None,
    data: Builder | None = None,
    partner: dict[str, ApiExpect] | None = None,
) -> ApiEntry:
    """Register the answers for one API route: `get`/`post`/`put`/`patch`/`delete` map each role to an
    HTTP status. `data`: world -> JSON body for the writes; `query`: world -> GET query;
    `partner`: method -> the partner token's answer where it is not the evaluator's."""
    if name in API_REGISTRY:
        raise ValueError(f"{name} is registered twice ({API_REGISTRY[name].module}).")
    checks = []
    methods = (("GET", get), ("POST", post), ("PUT", put), ("PATCH", patch), ("DELETE", delete))
    for method, expect in methods:
        if expect is None:
            continue
        expect = _with_developer(name, method, expect)
        if set(expect) != set(ROLES):
            raise ValueError(f"{name} {method}: give an answer for each of {ROLES}.")
        checks.append(
            ApiCheck(
                method,
                expect,
                query if method == "GET" else data,
                partner=(partner or {}).get(method),
            )
        )
    if not checks:
        raise ValueError(f"{name}: give at least one method.")
    if set(partner or {}) - {check.method for check in checks}:
        raise ValueError(f"{name}: partner= names a method the entry does not check.")
    caller = sys._getframe(1).f_globals.get("__name__", "")
    entry = ApiEntry(name=name, kwargs=kwargs, checks=tuple(checks), module=caller)
    API_REGISTRY[name] = entry
    return entry


def load_entries() -> tuple[dict[str, Entry], dict[str, ApiEntry]]:
    """Import every `entries_*.py` and `api_entries_*.py` module beside this one (each registers
    its routes): (REGISTRY, API_REGISTRY)."""
    package = importlib.import_module(__package__ or "tests.permissions")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith(("entries_", "api_entries_")):
            importlib.import_module(f"{package.__name__}.{module.name}")
    _apply_developer_expectations()
    return REGISTRY, API_REGISTRY


def _apply_developer_expectations() -> None:
    """Set the answers `developer_expect` gave on entries registered before it was called."""
    for (key, method), answer in DEVELOPER_EXPECT.items():
        page = REGISTRY.get(key)
        if page is not None:
            checks = tuple(
                replace(c, expect={**c.expect, "developer": answer}) if c.method == method else c
                for c in page.checks
            )
            REGISTRY[key] = replace(page, checks=checks)
        api = API_REGISTRY.get(key)
        if api is not None:
            api_checks = tuple(
                replace(c, expect={**c.expect, "developer": answer}) if c.method == method else c
                for c in api.checks
            )
            API_REGISTRY[key] = replace(api, checks=api_checks)
