"""Personnel-exchange pages (docs/exchanges.md, "Who sees and does what").

The world adds two sets of exchanges between institutes A and B (`Side`): `w.xw`, where A is the
**home** institute and bob (the evaluator) is the person of `proposed` and `approved`; and
`w.xw_host`, the mirror, where A is the **host** (people of B are seconded to A). The entries
request `w.xw`, so vera is a home viewer, bob the person himself, alice a home lead;
test_exchanges_cases.py requests each entry about one exchange again with `w.xw_host` in its
place (vera, bob and alice at the host) and expects the same answers. Charlie (institute C) is
the outsider.

Reading: anonymous -> login, outsider -> 404, the person, members of either side and programme
managers -> 200. Acting (approve, decline, activate, complete, cancel, the checklist): outsiders
404, members who do not lead 403, leads of either side and programme managers redirect (302).
The edit form exists only for those who may edit (others: 404, as the app's own tests pin).
POST-only routes answer a GET with 405 once the exchange is found (404 before, as everywhere).

Calendar feeds: any signed-in user opens the feeds page (non-leads see no institute to choose: a
POST is a form error, 200); revoking is for leads of the feed's institute (others: 404, the feed
is not theirs to see). The feed itself is public to whoever has its address: 200 with a live
token; revoked and unknown tokens (404) are in test_exchanges_cases.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from exchanges.models import ChecklistItem, Exchange
from institutes.models import Role
from tests.exchanges.factories import CalendarFeedFactory, ExchangeFactory
from tests.factories import member
from tests.permissions.registry import answers, everyone, register, world_part

FEED_TOKEN = "matrix-feed-token-of-institute-a"
REVOKED_FEED_TOKEN = "matrix-revoked-feed-token-of-institute-a"


@dataclass(frozen=True)
class Side:
    """Exchanges from `home` to `host`: a proposed one (open checklist), an approved one starting
    today (checklist done, ready to activate) and an active one."""

    proposed: Exchange
    approved: Exchange
    active: Exchange
    item: ChecklistItem  # an open onboarding item of `proposed`


def _exchange(*, person, home, host, status, start, days, done=False) -> Exchange:
    exchange = ExchangeFactory(
        person=person,
        home_institute=home,
        host_institute=host,
        status=status,
        start_date=start,
        end_date=start + timedelta(days=days),
        checklist=True,
    )
    if done:
        exchange.checklist.update(done_at=timezone.now())
    return exchange


def _side(*, home, host, person, active_person) -> Side:
    today = timezone.localdate()
    # One person, disjoint dates: editing `proposed` meets no overlapping exchange.
    proposed = _exchange(
        person=person,
        home=home,
        host=host,
        status="proposed",
        start=today + timedelta(days=20),
        days=20,
    )
    approved = _exchange(
        person=person, home=home, host=host, status="approved", start=today, days=10, done=True
    )
    active = _exchange(
        person=active_person,
        home=home,
        host=host,
        status="active",
        start=today - timedelta(days=5),
        days=20,
        done=True,
    )
    return Side(proposed, approved, active, item=proposed.checklist.order_by("pk")[0])


@world_part
def exchanges_world(w) -> None:
    a, b = w.institute_a, w.institute_b
    w.extra["xw"] = _side(
        home=a,
        host=b,
        person=w.users["evaluator"],
        active_person=member("xa-seconded", a, Role.EVALUATOR),
    )
    w.extra["xw_host"] = _side(
        home=b,
        host=a,
        person=member("xb-guest", b, Role.EVALUATOR),
        active_person=member("xb-seconded", b, Role.VIEWER),
    )
    w.extra["feed"] = CalendarFeedFactory(institute=a, token=FEED_TOKEN, label="Matrix")
    w.extra["revoked_feed"] = CalendarFeedFactory(
        institute=a, token=REVOKED_FEED_TOKEN, revoked_at=timezone.now()
    )


def read() -> dict:
    return answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200)


def manage(ok: int = 302) -> dict:
    return answers(outsider=404, viewer=403, evaluator=403, lead=ok, pm=ok)


def post_only() -> dict:
    return answers(outsider=404, viewer=405, evaluator=405, lead=405, pm=405)


def only_managers(ok: int) -> dict:
    """Routes that exist only for those who may use them: others get 404."""
    return answers(outsider=404, viewer=404, evaluator=404, lead=ok, pm=ok)


def exchange(attr: str):
    return lambda w: {"pk": getattr(w.xw, attr).pk}


def form_data(ex: Exchange, **changes) -> dict:
    data = {
        "person": ex.person_id,
        "home_institute": ex.home_institute_id,
        "host_institute": ex.host_institute_id,
        "role_title": ex.role_title,
        "host_role": ex.host_role,
        "start_date": ex.start_date.isoformat(),
        "end_date": ex.end_date.isoformat(),
        "project": "",
        "objectives": ex.objectives,
    }
    data.update(changes)
    return data


def decision(w, **extra) -> dict:
    """Leads of A decide for A (home in `xw`, host in `xw_host`); a programme manager names it."""
    return {"institute": w.institute_a.pk, **extra}


# --- list, timeline, proposing ------------------------------------------------------------
register(
    "exchanges:list",
    get=everyone(200),
    query=lambda w: {"institute": w.institute_a.code, "status": "proposed", "year": ""},
)
register("exchanges:timeline", get=everyone(200))
register(
    "exchanges:create",
    # charlie leads C, so the form opens for him; proposing for A and B is refused (403). The
    # evaluator is the person proposed: staff may request their own secondment.
    get=answers(outsider=200, viewer=403, evaluator=200, lead=200, pm=200),
    post=answers(outsider=403, viewer=403, evaluator=302, lead=302, pm=302),
    data=lambda w: form_data(
        ExchangeFactory.build(
            person=w.users["evaluator"],
            home_institute=w.institute_a,
            host_institute=w.institute_b,
            start_date=timezone.localdate() + timedelta(days=100),
            end_date=timezone.localdate() + timedelta(days=130),
        )
    ),
)

# --- one exchange -------------------------------------------------------------------------
register("exchanges:detail", kwargs=exchange("proposed"), get=read())
register(
    "exchanges:edit",
    kwargs=exchange("proposed"),
    get=only_managers(200),
    post=only_managers(302),
    data=lambda w: form_data(w.xw.proposed, role_title="Renamed role"),
)
register(
    "exchanges:approve",
    kwargs=exchange("proposed"),
    get=post_only(),
    post=manage(),
    data=decision,
)
register(
    "exchanges:decline",
    kwargs=exchange("proposed"),
    get=post_only(),
    post=manage(),
    data=lambda w: decision(w, reason="No desk free."),
)
register("exchanges:activate", kwargs=exchange("approved"), get=post_only(), post=manage())
register(
    "exchanges:complete",
    kwargs=exchange("active"),
    get=post_only(),
    post=manage(),
    data=lambda w: {"outcome": "Ported the harness."},
)
register(
    "exchanges:cancel",
    kwargs=exchange("proposed"),
    get=post_only(),
    post=manage(),
    data=lambda w: {"reason": "Plans changed."},
)
register(
    "exchanges:checklist_toggle",
    kwargs=lambda w: {"pk": w.xw.proposed.pk, "item_pk": w.xw.item.pk},
    get=post_only(),
    post=manage(),
    data=lambda w: {"done": "1", "note": "Signed."},
)

# --- calendar feeds -----------------------------------------------------------------------
register(
    "exchanges:calendars",
    get=everyone(200),
    post=everyone(200),
    data=lambda w: {"institute": w.institute_a.pk, "label": "Team calendar"},
)
register(
    "exchanges:calendar_revoke",
    kwargs=lambda w: {"pk": w.feed.pk},
    get=only_managers(405),
    post=only_managers(302),
)
register(
    "exchanges:calendar_feed",
    kwargs=lambda w: {"token": FEED_TOKEN},
    get=everyone(200, anonymous=200),
)
