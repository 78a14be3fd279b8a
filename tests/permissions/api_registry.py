"""The REST API's permission matrix registry: which answer each kind of user gets from each
API route and method.

The page matrix (registry.py) requests pages with a session and form data; the API is used with
bearer tokens and JSON, and with PATCH and DELETE too, so its entries live here and
test_api_matrix.py runs them. Every route under `api/` in config.urls needs an entry here, with a
check for each HTTP method its view answers (test_api_matrix.py enumerates the URL configuration
and the viewsets' method maps, and fails on a route or method without one).

Entries live in modules named `api_entries_<area>.py` beside this file, imported automatically.
The roles and the world are the page matrix's (registry.ROLES, conftest.world). Besides the six
roles, every check is also sent with two more credentials (issue 9):
  partner  a write token of dan, evaluator at institute B (the project's partner institute): he
           gets what `evaluator` gets, unless the entry says otherwise with
           `partner={"POST": 403}` (e.g. acting for institute A, which is not his);
  revoked  the lead's token after it was revoked: 401 on every route;
and every write with the lead's *read-scope* token, which must get 403.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.permissions.registry import ROLES

Expect = int | tuple[int, ...]
Builder = Callable[[Any], Any]

# API routes whose entries other modules will register. A route under one of these without an
# entry counts as pending; remove a prefix once its entries exist (then a missing one fails).
# None is pending now: every API route needs its entry.
API_PENDING_OTHER_MODULES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ApiCheck:
    method: str
    expect: dict[str, Expect]
    data: Builder | None = None  # world -> JSON body (writes) or query dict (GET)
    partner: Expect | None = None  # the partner token's answer, when not the evaluator's

    def expected(self, who: str) -> Expect:
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
    anonymous: Expect = 401,
    outsider: Expect,
    viewer: Expect,
    evaluator: Expect,
    lead: Expect,
    pm: Expect,
) -> dict[str, Expect]:
    return {
        "anonymous": anonymous,
        "outsider": outsider,
        "viewer": viewer,
        "evaluator": evaluator,
        "lead": lead,
        "pm": pm,
    }


def api_everyone(status: Expect, *, anonymous: Expect = 401) -> dict[str, Expect]:
    return api_answers(
        anonymous=anonymous,
        outsider=status,
        viewer=status,
        evaluator=status,
        lead=status,
        pm=status,
    )


def api_register(
    name: str,
    *,
    kwargs: Builder | None = None,
    get: dict[str, Expect] | None = None,
    post: dict[str, Expect] | None = None,
    put: dict[str, Expect] | None = None,
    patch: dict[str, Expect] | None = None,
    delete: dict[str, Expect] | None = None,
    query: Builder | None = None,
    data: Builder | None = None,
    partner: dict[str, Expect] | None = None,
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
    import inspect

    caller = inspect.stack()[1].frame.f_globals.get("__name__", "")
    entry = ApiEntry(name=name, kwargs=kwargs, checks=tuple(checks), module=caller)
    API_REGISTRY[name] = entry
    return entry


def load_api_entries() -> dict[str, ApiEntry]:
    """Import every tests/permissions/api_entries_*.py module (each registers its routes)."""
    package = importlib.import_module("tests.permissions")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("api_entries_"):
            importlib.import_module(f"tests.permissions.{module.name}")
    return API_REGISTRY
