"""Demo exchanges: one in each state, consistent with the rules, idempotent."""

from __future__ import annotations

import itertools

from exchanges.models import Exchange
from exchanges.seed import seed_exchanges
from institutes import access
from institutes.seed import seed_institutes


def snapshot():
    return sorted(
        Exchange.objects.values_list(
            "person__username", "home_institute__code", "host_institute__code", "status",
            "start_date", "end_date", "project_id",
        )
    )  # fmt: skip


def test_the_demo_has_an_exchange_in_each_state_and_a_second_run_changes_nothing(db):
    people = seed_institutes()
    seed_exchanges(people)
    first = snapshot()
    seed_exchanges(people)
    assert snapshot() == first
    assert {row[3] for row in first} == set(Exchange.Status.values)


def test_demo_exchanges_keep_the_rules(db):
    people = seed_institutes()
    seed_exchanges(people)
    for exchange in Exchange.objects.all():
        assert exchange.person.memberships.filter(institute=exchange.home_institute).exists()
        assert exchange.end_date > exchange.start_date
        if exchange.status in (Exchange.Status.APPROVED, Exchange.Status.ACTIVE):
            assert exchange.approvals.filter(decision="approved").count() == 2
        if exchange.status == Exchange.Status.ACTIVE:
            assert not exchange.checklist.filter(mandatory=True, done_at=None).exists()
    for person in {e.person for e in Exchange.objects.open()}:
        spans = sorted(Exchange.objects.open().filter(person=person).values_list(
            "start_date", "end_date"))  # fmt: skip
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start > end


def test_the_active_demo_exchange_opens_the_project_when_it_exists(db):
    from evaluations.models import EvaluationProject, Participation

    people = seed_institutes()
    project = EvaluationProject.objects.create(
        slug="frontier-2026-pre-deployment", title="Frontier"
    )
    Participation.objects.create(project=project, institute=people.institutes["uk-aisi"])
    seed_exchanges(people)
    emi = people.users["emi"]
    assert access.project_rank(emi, project) == access.ACT


def test_without_the_project_the_exchanges_stay_unlinked(db):
    seed_exchanges(seed_institutes())
    assert not Exchange.objects.filter(project__isnull=False).exists()
