"""Demo personnel exchanges, one in each state. Idempotent: a second run changes no row.

Exchanges are found by person, institutes and role title and created only when missing; their
dates (relative to the day of the first run) and timestamps are set once, at creation. Seed data
is written directly, not through the services: it records a history (approvals given, items
ticked) that the services would only let happen on the days it describes. Every history reads in
order: proposed, then decided by each lead, then items ticked, active on its start date, ended
last, and nothing after the moment of seeding.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from evaluations.models import EvaluationProject
from exchanges.models import ChecklistItem, ChecklistItemType, Exchange, ExchangeApproval
from institutes.models import Role

PROJECT_SLUG = "frontier-2026-pre-deployment"
S = Exchange.Status

# person, home, host, role title, host role, start and end (days from today), status,
# decisions (institute code, lead, decision, reason), checklist items done, link to the project,
# objectives, outcome, status reason
EXCHANGES = [
    (
        "emi",
        "jp-aisi",
        "uk-aisi",
        "Visiting evaluator, autonomy workstream",
        Role.EVALUATOR,
        -20,
        70,
        S.ACTIVE,
        [("jp-aisi", "kenji", "approved", ""), ("uk-aisi", "alice", "approved", "")],
        "all",
        True,
        "Run the autonomy suite side by side with the UK team and bring the harness back to Tokyo.",
        "",
        "",
    ),
    (
        "dan",
        "us-caisi",
        "uk-aisi",
        "Secondee, cyber evaluations",
        Role.EVALUATOR,
        21,
        111,
        S.APPROVED,
        [("us-caisi", "carol", "approved", ""), ("uk-aisi", "alice", "approved", "")],
        ["Agreement signed"],
        False,
        "Align the cyber range set-up and the scoring of capture-the-flag tasks.",
        "",
        "",
    ),
    (
        "bob",
        "uk-aisi",
        "us-caisi",
        "Visiting researcher, safeguards",
        Role.VIEWER,
        60,
        150,
        S.PROPOSED,
        [("uk-aisi", "alice", "approved", "")],
        [],
        False,
        "Study the US safeguards red-teaming protocol ahead of the next joint test.",
        "",
        "",
    ),
    (
        "uma",
        "uk-aisi",
        "jp-aisi",
        "Liaison, evaluation guidelines",
        Role.VIEWER,
        -240,
        -150,
        S.COMPLETED,
        [("uk-aisi", "alice", "approved", ""), ("jp-aisi", "kenji", "approved", "")],
        "all",
        False,
        "Help translate and align the joint guideline drafts.",
        "Guidelines G-3 and G-5 aligned in English and Japanese; a glossary of 140 terms agreed.",
        "",
    ),
    (
        "vic",
        "us-caisi",
        "jp-aisi",
        "Observer, multilingual evaluations",
        Role.VIEWER,
        30,
        120,
        S.DECLINED,
        [("jp-aisi", "kenji", "declined", "No desk or clearance available before next year.")],
        [],
        False,
        "Observe the multilingual evaluations.",
        "",
        "No desk or clearance available before next year.",
    ),
    (
        "bob",
        "uk-aisi",
        "jp-aisi",
        "Visiting evaluator, chemical domain",
        Role.EVALUATOR,
        200,
        290,
        S.CANCELLED,
        [],
        [],
        False,
        "Joint chemical-domain task development.",
        "",
        "Superseded by the safeguards secondment to the US.",
    ),
]


def _at(day, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _proposed_on(start_date, today):
    """Six weeks before the start, and at least ten days ago: time for both leads to decide."""
    return min(start_date - timedelta(days=45), today - timedelta(days=10))


def seed_exchanges(people) -> None:
    institutes, users = people.institutes, people.users
    project = EvaluationProject.objects.filter(slug=PROJECT_SLUG).first()
    today = timezone.localdate()
    item_types = list(ChecklistItemType.objects.filter(is_active=True))
    for (
        username, home, host, role_title, host_role, start, end, status,
        decisions, done, linked, objectives, outcome, reason,
    ) in EXCHANGES:  # fmt: skip
        start_date, end_date = today + timedelta(days=start), today + timedelta(days=end)
        lead = users[decisions[0][1]] if decisions else users["alice"]
        ended = status in Exchange.FINAL_STATUSES
        proposed_on = _proposed_on(start_date, today)
        exchange, created = Exchange.objects.get_or_create(
            person=users[username],
            home_institute=institutes[home],
            host_institute=institutes[host],
            role_title=role_title,
            defaults={
                "host_role": host_role,
                "start_date": start_date,
                "end_date": end_date,
                "status": status,
                "objectives": objectives,
                "outcome": outcome,
                "status_reason": reason,
                "proposed_by": lead,
                "activated_at": _at(start_date) if status in (S.ACTIVE, S.COMPLETED) else None,
                "ended_at": _at(min(end_date, today) - timedelta(days=1), 17) if ended else None,
                "ended_by": lead if ended else None,
            },
        )
        if created:  # `created_at` is set on insert: move it back to the day it was proposed
            Exchange.objects.filter(pk=exchange.pk).update(created_at=_at(proposed_on))
        if linked and project is not None and exchange.project_id is None:
            exchange.project = project
            exchange.save(update_fields=["project", "updated_at"])
        for number, (code, decided_by, decision, why) in enumerate(decisions, start=1):
            approval, made = ExchangeApproval.objects.get_or_create(
                exchange=exchange,
                institute=institutes[code],
                defaults={"user": users[decided_by], "decision": decision, "reason": why},
            )
            if made:  # each lead decided a couple of days after the last
                ExchangeApproval.objects.filter(pk=approval.pk).update(
                    at=_at(proposed_on + timedelta(days=2 * number), 11)
                )
        for item_type in item_types:
            is_done = done == "all" or item_type.name in done
            ChecklistItem.objects.get_or_create(
                exchange=exchange,
                item_type=item_type,
                defaults={
                    "mandatory": item_type.mandatory,
                    "done_at": _at(
                        min(exchange.start_date - timedelta(days=7), today - timedelta(days=1))
                    )
                    if is_done
                    else None,
                    "done_by": users["alice"] if is_done else None,
                },
            )
