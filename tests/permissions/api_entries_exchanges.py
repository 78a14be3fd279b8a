"""API routes for personnel exchanges (/api/v1/exchanges/, docs/exchanges.md). The world is the
page matrix's, with the exchanges entries_exchanges.py adds: `w.xw` (A is the home institute,
bob the person of `proposed` and `approved`) and its mirror `w.xw_host` (A is the host), with
which test_exchanges_cases.py requests each entry about one exchange again, expecting the same
answers.

Reading: anonymous 401, outsider 404 (an exchange they may not see does not exist), the person,
members of either side and programme managers 200. Proposing: leads of the home or the host
institute and programme managers 201, and the evaluator of the proposal, who requests their own
secondment; anyone else 403 (charlie leads C, not A or B). Deciding and
the other steps: outsiders 404 (the exchange is found before the body is read), members who do
not lead 403, leads of either side and programme managers 200.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.permissions.registry import api_answers, api_everyone, api_register


def read() -> dict:
    return api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200)


def manage(ok: int = 200) -> dict:
    return api_answers(outsider=404, viewer=403, evaluator=403, lead=ok, pm=ok)


def exchange(attr: str):
    return lambda w: {"pk": getattr(w.xw, attr).pk}


def proposal(w) -> dict:
    today = timezone.localdate()
    return {
        "person": w.users["evaluator"].username,
        "home_institute": w.institute_a.code,
        "host_institute": w.institute_b.code,
        "role_title": "Visiting evaluator",
        "host_role": "evaluator",
        # Clear of bob's exchanges in the world (one exchange at a time).
        "start_date": (today + timedelta(days=100)).isoformat(),
        "end_date": (today + timedelta(days=130)).isoformat(),
        "objectives": "Learn the partner's harness.",
    }


api_register(
    "exchange-list",
    get=api_everyone(200),
    query=lambda w: {"institute": w.institute_a.code, "status": "proposed"},
    post=api_answers(outsider=403, viewer=403, evaluator=201, lead=201, pm=201),
    # dan evaluates at B: he may request his own secondment, not propose bob's.
    partner={"POST": 403},
    data=proposal,
)
api_register("exchange-detail", kwargs=exchange("proposed"), get=read())
# Leads of A decide for A (home in `xw`, host in `xw_host`); a programme manager names the side.
api_register(
    "exchange-approve",
    kwargs=exchange("proposed"),
    post=manage(),
    data=lambda w: {"institute": w.institute_a.code},
)
api_register(
    "exchange-decline",
    kwargs=exchange("proposed"),
    post=manage(),
    data=lambda w: {"institute": w.institute_a.code, "reason": "No desk free."},
)
api_register("exchange-activate", kwargs=exchange("approved"), post=manage())
api_register(
    "exchange-complete",
    kwargs=exchange("active"),
    post=manage(),
    data=lambda w: {"outcome": "Ported the harness."},
)
api_register(
    "exchange-cancel",
    kwargs=exchange("proposed"),
    post=manage(),
    data=lambda w: {"reason": "Plans changed."},
)
