"""Every transition of an exchange and every validation rule, through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from exchanges import services
from exchanges.models import ChecklistItemType, Exchange, ExchangeApproval
from institutes import access
from institutes.models import Role
from tests.exchanges.conftest import tick_all
from tests.exchanges.factories import ExchangeFactory
from tests.factories import member

S = Exchange.Status


# --- proposing --------------------------------------------------------------------------------


def test_a_home_lead_proposes_an_exchange_with_the_default_checklist(propose, alice):
    exchange = propose()
    assert exchange.status == S.PROPOSED
    assert exchange.proposed_by == alice
    names = [item.item_type.name for item in exchange.checklist.all()]
    assert names == ["Agreement signed", "Access provisioned", "Security briefing done"]
    assert all(item.mandatory and item.done_at is None for item in exchange.checklist.all())


def test_a_host_lead_may_propose(propose, carol):
    assert propose(user=carol).proposed_by == carol


def test_a_programme_manager_may_propose(propose, pm):
    assert propose(user=pm).proposed_by == pm


@pytest.mark.parametrize("who", ["vera", "charlie", "dan"])
def test_people_who_lead_neither_side_cannot_propose_for_bob(propose, who, request, carol):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied, match="Only a lead of the home or the host institute"):
        propose(user=user)
    assert not Exchange.objects.exists()


def test_an_evaluator_requests_their_own_secondment(propose, bob, alice, carol):
    exchange = propose(user=bob)
    assert (exchange.person, exchange.proposed_by, exchange.status) == (bob, bob, "proposed")
    with pytest.raises(PermissionDenied, match="Only a lead of the home or the host institute"):
        services.exchange_approve(user=bob, exchange=exchange)
    services.exchange_approve(user=alice, exchange=exchange)
    assert services.exchange_approve(user=carol, exchange=exchange).status == "approved"


def test_an_evaluator_cannot_request_for_someone_else(propose, bob, alice, institute_a):
    other = member("erin", institute_a, Role.EVALUATOR)
    with pytest.raises(PermissionDenied, match="evaluators request one for themselves"):
        propose(user=bob, person=other)
    assert not Exchange.objects.exists()


def test_an_evaluator_requests_only_from_their_own_institute(
    propose, dan, institute_b, institute_c
):
    """dan is an evaluator of B: he cannot be sent from A, where he is nobody's staff."""
    with pytest.raises(PermissionDenied):
        propose(user=dan, person=dan)
    exchange = propose(user=dan, person=dan, home_institute=institute_b, host_institute=institute_c)
    assert exchange.home_institute == institute_b


def test_a_viewer_cannot_request_a_secondment(propose, vera):
    with pytest.raises(PermissionDenied):
        propose(user=vera, person=vera)


def test_the_checklist_copies_only_active_item_types_and_their_mandatory_flag(propose):
    ChecklistItemType.objects.filter(name="Access provisioned").update(is_active=False)
    ChecklistItemType.objects.create(name="Laptop returned", mandatory=False, order=99)
    exchange = propose()
    items = {item.item_type.name: item.mandatory for item in exchange.checklist.all()}
    assert items == {
        "Agreement signed": True,
        "Security briefing done": True,
        "Laptop returned": False,
    }


def test_the_end_must_come_after_the_start(propose, today):
    with pytest.raises(ValidationError) as exc:
        propose(start_date=today + timedelta(days=5), end_date=today + timedelta(days=5))
    assert exc.value.message_dict == {"end_date": ["The exchange must end after it starts."]}


def test_home_and_host_must_differ(propose, institute_a):
    with pytest.raises(ValidationError) as exc:
        propose(host_institute=institute_a)
    assert exc.value.message_dict["host_institute"] == [
        "The host institute must differ from the home institute."
    ]


def test_the_person_must_be_a_member_of_the_home_institute(propose, dan):
    with pytest.raises(ValidationError) as exc:
        propose(person=dan)
    assert "dan is not on the staff of Institute A" in exc.value.message_dict["person"][0]


def test_a_lead_cannot_propose_dates_in_the_past(propose, today):
    with pytest.raises(ValidationError) as exc:
        propose(start_date=today - timedelta(days=1))
    assert exc.value.message_dict["start_date"] == [
        "The start date is in the past: only programme managers record past exchanges."
    ]


def test_a_programme_manager_records_a_past_exchange(propose, pm, today):
    exchange = propose(
        user=pm, start_date=today - timedelta(days=100), end_date=today - timedelta(days=10)
    )
    assert exchange.start_date < today


def test_overlapping_open_exchanges_of_one_person_are_refused(propose, today):
    propose(start_date=today + timedelta(days=10), end_date=today + timedelta(days=40))
    with pytest.raises(ValidationError) as exc:
        # shares exactly one day (the last day of the first one)
        propose(start_date=today + timedelta(days=40), end_date=today + timedelta(days=60))
    message = exc.value.message_dict["__all__"][0]
    assert "bob already has an exchange on overlapping dates" in message
    assert "inst-a → inst-b" in message


def test_an_exchange_may_start_the_day_after_another_ends(propose, today):
    propose(start_date=today + timedelta(days=10), end_date=today + timedelta(days=40))
    propose(start_date=today + timedelta(days=41), end_date=today + timedelta(days=60))
    assert Exchange.objects.count() == 2


@pytest.mark.parametrize("final", [S.COMPLETED, S.DECLINED, S.CANCELLED])
def test_final_exchanges_do_not_block_new_dates(propose, final):
    first = propose()
    Exchange.objects.filter(pk=first.pk).update(status=final)
    assert propose().pk != first.pk


def test_a_linked_project_must_include_the_host_institute(propose, alice, institute_a):
    from evaluations.models import EvaluationProject, Participation

    project = EvaluationProject.objects.create(slug="p", title="Joint test")
    Participation.objects.create(project=project, institute=institute_a)
    with pytest.raises(ValidationError) as exc:
        propose(project=project)
    assert "Institute B does not take part in Joint test" in exc.value.message_dict["project"][0]


def test_a_linked_project_must_be_visible_to_the_proposer(propose, institute_b):
    from evaluations.models import EvaluationProject, Participation

    project = EvaluationProject.objects.create(slug="p", title="Secret")
    Participation.objects.create(project=project, institute=institute_b)
    with pytest.raises(ValidationError) as exc:
        propose(project=project)
    assert exc.value.message_dict["project"] == ["You can link only a project you take part in."]


# --- deciding -----------------------------------------------------------------------------------


def test_one_approval_keeps_the_exchange_proposed(proposed, alice):
    services.exchange_approve(user=alice, exchange=proposed)
    proposed.refresh_from_db()
    assert proposed.status == S.PROPOSED
    assert list(proposed.approvals.values_list("institute__code", "user__username")) == [
        ("inst-a", "alice")
    ]


def test_the_exchange_is_approved_when_both_sides_approved(proposed, alice, carol):
    services.exchange_approve(user=alice, exchange=proposed)
    exchange = services.exchange_approve(user=carol, exchange=proposed)
    assert exchange.status == S.APPROVED
    assert set(exchange.approvals.values_list("institute__code", flat=True)) == {
        "inst-a",
        "inst-b",
    }


def test_a_side_approves_only_once(proposed, alice, institute_a):
    services.exchange_approve(user=alice, exchange=proposed)
    with pytest.raises(ValidationError, match="Institute A has already decided"):
        services.exchange_approve(user=alice, exchange=proposed)


@pytest.mark.parametrize("who", ["bob", "vera", "dan", "charlie"])
def test_only_leads_approve(proposed, who, request):
    with pytest.raises(PermissionDenied):
        services.exchange_approve(user=request.getfixturevalue(who), exchange=proposed)
    assert not ExchangeApproval.objects.exists()


def test_a_lead_cannot_approve_for_the_other_side(proposed, alice, institute_b):
    with pytest.raises(PermissionDenied, match="Only a lead of Institute B"):
        services.exchange_approve(user=alice, exchange=proposed, institute=institute_b)


def test_a_lead_cannot_approve_their_own_exchange(propose, alice, institute_a, carol):
    member("alice2", institute_a, "lead")
    exchange = propose(person=alice)
    with pytest.raises(PermissionDenied, match="cannot decide on your own exchange"):
        services.exchange_approve(user=alice, exchange=exchange)


def test_one_person_leading_both_sides_decides_for_one_side_only(proposed, alice, institute_b):
    from institutes.models import Membership

    Membership.objects.create(user=alice, institute=institute_b, role="lead")
    access.forget(alice)
    with pytest.raises(ValidationError, match="say which institute"):
        services.exchange_approve(user=alice, exchange=proposed)
    services.exchange_approve(user=alice, exchange=proposed, institute=institute_b)
    with pytest.raises(PermissionDenied, match="already decided for the other side"):
        services.exchange_approve(user=alice, exchange=proposed)


def test_a_programme_manager_approves_each_side_by_name(proposed, pm, institute_a, institute_b):
    with pytest.raises(ValidationError, match="say which institute"):
        services.exchange_approve(user=pm, exchange=proposed)
    services.exchange_approve(user=pm, exchange=proposed, institute=institute_a)
    exchange = services.exchange_approve(user=pm, exchange=proposed, institute=institute_b)
    assert exchange.status == S.APPROVED


def test_an_institute_outside_the_exchange_cannot_be_named(proposed, pm, institute_c):
    with pytest.raises(ValidationError, match="neither the home nor the host"):
        services.exchange_approve(user=pm, exchange=proposed, institute=institute_c)


@pytest.mark.parametrize("side", ["alice", "carol"])
def test_either_side_declines_with_a_reason(proposed, side, request):
    lead = request.getfixturevalue(side)
    exchange = services.exchange_decline(user=lead, exchange=proposed, reason="No budget.")
    assert exchange.status == S.DECLINED
    assert exchange.status_reason == "No budget."
    assert exchange.ended_by == lead
    approval = exchange.approvals.get()
    assert (approval.decision, approval.reason, approval.user) == ("declined", "No budget.", lead)


def test_declining_needs_a_reason(proposed, carol):
    with pytest.raises(ValidationError) as exc:
        services.exchange_decline(user=carol, exchange=proposed, reason="  ")
    assert exc.value.message_dict == {"reason": ["Say why the exchange is declined."]}
    proposed.refresh_from_db()
    assert proposed.status == S.PROPOSED


def test_an_approved_exchange_can_no_longer_be_declined(approved, carol):
    with pytest.raises(ValidationError, match="This exchange is approved"):
        services.exchange_decline(user=carol, exchange=approved, reason="Changed our mind.")


def test_a_declined_exchange_cannot_be_approved(proposed, alice, carol):
    services.exchange_decline(user=carol, exchange=proposed, reason="No desk.")
    with pytest.raises(ValidationError, match="This exchange is declined"):
        services.exchange_approve(user=alice, exchange=proposed)


# --- editing ------------------------------------------------------------------------------------


def test_editing_a_proposed_exchange_withdraws_the_approvals(proposed, alice, carol, today):
    services.exchange_approve(user=carol, exchange=proposed)
    exchange = services.exchange_update(
        user=alice, exchange=proposed, end_date=today + timedelta(days=50)
    )
    assert exchange.end_date == today + timedelta(days=50)
    assert not exchange.approvals.exists()


def test_editing_applies_the_same_rules(proposed, alice, today):
    with pytest.raises(ValidationError, match="must end after it starts"):
        services.exchange_update(user=alice, exchange=proposed, end_date=today + timedelta(days=1))


def test_editing_does_not_count_an_exchange_as_overlapping_itself(proposed, alice, today):
    exchange = services.exchange_update(
        user=alice, exchange=proposed, start_date=today + timedelta(days=11)
    )
    assert exchange.start_date == today + timedelta(days=11)


def test_unchanged_past_dates_do_not_block_an_edit(proposed, alice, today):
    Exchange.objects.filter(pk=proposed.pk).update(start_date=today - timedelta(days=2))
    exchange = services.exchange_update(user=alice, exchange=proposed, role_title="Renamed")
    assert exchange.role_title == "Renamed"


def test_an_approved_exchange_cannot_be_edited(approved, alice):
    with pytest.raises(ValidationError, match="Only a proposed exchange can be changed"):
        services.exchange_update(user=alice, exchange=approved, role_title="X")


def test_only_leads_edit(proposed, bob):
    with pytest.raises(PermissionDenied):
        services.exchange_update(user=bob, exchange=proposed, role_title="X")


# --- checklist and activation -------------------------------------------------------------------


def test_ticking_and_reopening_a_checklist_item(proposed, carol):
    item = proposed.checklist.first()
    item = services.checklist_item_done(user=carol, item=item, note="Signed on paper")
    assert item.done_at is not None
    assert item.done_by == carol
    assert item.note == "Signed on paper"
    item = services.checklist_item_undone(user=carol, item=item)
    assert item.done_at is None
    assert item.done_by is None


def test_only_leads_tick_the_checklist(proposed, bob):
    with pytest.raises(PermissionDenied):
        services.checklist_item_done(user=bob, item=proposed.checklist.first())


def test_the_checklist_is_frozen_once_active(active, alice):
    with pytest.raises(ValidationError, match="can change only before it becomes active"):
        services.checklist_item_undone(user=alice, item=active.checklist.first())


def test_activation_is_refused_with_open_mandatory_items(approved, alice):
    first = approved.checklist.first()
    services.checklist_item_done(user=alice, item=first)
    with pytest.raises(ValidationError) as exc:
        services.exchange_activate(user=alice, exchange=approved)
    assert exc.value.messages == [
        "These mandatory onboarding items are still open: Access provisioned, "
        "Security briefing done."
    ]


def test_optional_items_do_not_block_activation(approved, alice):
    item = approved.checklist.first()
    item.mandatory = False
    item.save()
    for other in approved.checklist.exclude(pk=item.pk):
        services.checklist_item_done(user=alice, item=other)
    assert services.exchange_activate(user=alice, exchange=approved).status == S.ACTIVE


def test_an_approved_exchange_with_its_checklist_done_becomes_active(approved, carol):
    tick_all(approved, carol)
    exchange = services.exchange_activate(user=carol, exchange=approved)
    assert exchange.status == S.ACTIVE
    assert exchange.activated_at is not None
    exchange.refresh_from_db()
    assert exchange.activated_by == carol


def test_activation_waits_for_the_start_date(propose, alice, carol, today):
    exchange = propose(start_date=today + timedelta(days=1), end_date=today + timedelta(days=9))
    services.exchange_approve(user=alice, exchange=exchange)
    services.exchange_approve(user=carol, exchange=exchange)
    tick_all(exchange, alice)
    with pytest.raises(ValidationError, match="it can be activated from that day"):
        services.exchange_activate(user=alice, exchange=exchange)


def test_activation_is_refused_after_the_end_date_except_for_programme_managers(
    approved, alice, pm, today
):
    tick_all(approved, alice)
    Exchange.objects.filter(pk=approved.pk).update(
        start_date=today - timedelta(days=20), end_date=today - timedelta(days=1)
    )
    with pytest.raises(ValidationError, match="it can no longer be activated"):
        services.exchange_activate(user=alice, exchange=approved)
    assert services.exchange_activate(user=pm, exchange=approved).status == S.ACTIVE


def test_a_proposed_exchange_cannot_be_activated(proposed, alice):
    with pytest.raises(ValidationError, match="needs the approval of both institutes"):
        services.exchange_activate(user=alice, exchange=proposed)


def test_only_leads_activate(approved, bob, alice):
    tick_all(approved, alice)
    with pytest.raises(PermissionDenied):
        services.exchange_activate(user=bob, exchange=approved)


# --- completing and cancelling ------------------------------------------------------------------


def test_an_active_exchange_is_completed_with_its_outcome_report(active, carol):
    exchange = services.exchange_complete(user=carol, exchange=active, outcome="Harness ported.")
    assert exchange.status == S.COMPLETED
    assert exchange.outcome == "Harness ported."
    assert exchange.ended_by == carol


def test_completing_needs_an_outcome_report(active, carol):
    with pytest.raises(ValidationError) as exc:
        services.exchange_complete(user=carol, exchange=active, outcome="")
    assert exc.value.message_dict == {
        "outcome": ["Write the outcome report: what was done and learnt."]
    }


def test_an_approved_exchange_cannot_be_completed(approved, alice):
    with pytest.raises(ValidationError, match="Only an active exchange can be completed"):
        services.exchange_complete(user=alice, exchange=approved, outcome="Done.")


def test_the_outcome_report_of_a_schedule_completed_exchange_is_written_later(active, alice):
    Exchange.objects.filter(pk=active.pk).update(status=S.COMPLETED)
    exchange = services.exchange_complete(user=alice, exchange=active, outcome="Late report.")
    assert exchange.outcome == "Late report."
    with pytest.raises(ValidationError, match="already has its outcome report"):
        services.exchange_complete(user=alice, exchange=active, outcome="Again.")


def test_only_leads_complete(active, bob):
    with pytest.raises(PermissionDenied):
        services.exchange_complete(user=bob, exchange=active, outcome="Done.")


@pytest.mark.parametrize("state", ["proposed", "approved", "active"])
def test_an_open_exchange_is_cancelled_with_a_reason(state, request, carol):
    exchange = request.getfixturevalue(state)
    exchange = services.exchange_cancel(user=carol, exchange=exchange, reason="Budget cut.")
    assert exchange.status == S.CANCELLED
    assert exchange.status_reason == "Budget cut."


def test_cancelling_needs_a_reason(proposed, alice):
    with pytest.raises(ValidationError) as exc:
        services.exchange_cancel(user=alice, exchange=proposed, reason="")
    assert exc.value.message_dict == {"reason": ["Say why the exchange is cancelled."]}


def test_a_completed_exchange_cannot_be_cancelled(active, alice):
    services.exchange_complete(user=alice, exchange=active, outcome="Done.")
    with pytest.raises(ValidationError, match="can no longer be cancelled"):
        services.exchange_cancel(user=alice, exchange=active, reason="Oops.")


def test_only_leads_cancel(proposed, bob):
    with pytest.raises(PermissionDenied):
        services.exchange_cancel(user=bob, exchange=proposed, reason="Nope.")


def test_the_database_refuses_an_exchange_ending_before_it_starts(alice, institute_a, institute_b):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeFactory(
            person=alice,
            home_institute=institute_a,
            host_institute=institute_b,
            start_date=date(2030, 5, 2),
            end_date=date(2030, 5, 1),
        )
