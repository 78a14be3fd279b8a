"""The admin goes through the services: same rules, same trail, same e-mails."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exchanges.models import CalendarFeed, ChecklistItemType, Exchange
from tests.exchanges.factories import CalendarFeedFactory, ExchangeFactory

CHANGELIST = "/admin/exchanges/exchange/"


@pytest.fixture
def admin(client, pm):
    pm.is_superuser = True
    pm.save()
    client.force_login(pm)
    return client


def admin_form(person, home, host, start, end, **extra):
    return {
        "person": person.pk,
        "home_institute": home.pk,
        "host_institute": host.pk,
        "role_title": "Visiting evaluator",
        "host_role": "evaluator",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "objectives": "",
        "project": "",
        # the read-only inlines' management forms
        "approvals-TOTAL_FORMS": "0",
        "approvals-INITIAL_FORMS": "0",
        "checklist-TOTAL_FORMS": "0",
        "checklist-INITIAL_FORMS": "0",
        **extra,
    }


def test_the_changelist_has_bounded_queries(admin, django_assert_max_num_queries):
    for _ in range(20):
        ExchangeFactory(checklist=True)
    with django_assert_max_num_queries(12):
        response = admin.get(CHANGELIST)
    assert response.status_code == 200
    assert "Open mandatory items" in response.content.decode()


def test_the_changelist_filters_and_searches(admin, proposed):
    assert admin.get(CHANGELIST, {"status__exact": "proposed"}).status_code == 200
    response = admin.get(CHANGELIST, {"q": "bob"})
    assert response.context["cl"].result_count == 1


def test_adding_in_the_admin_proposes_through_the_service(
    admin, pm, bob, institute_a, institute_b, today
):
    assert admin.get("/admin/exchanges/exchange/add/").status_code == 200
    response = admin.post(
        "/admin/exchanges/exchange/add/",
        admin_form(bob, institute_a, institute_b, today - timedelta(days=30), today),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    exchange = Exchange.objects.get()
    assert exchange.proposed_by == pm  # a programme manager may record past dates
    assert exchange.checklist.count() == 3


def test_the_admin_form_shows_the_rules_messages(admin, bob, institute_a, today):
    response = admin.post(
        "/admin/exchanges/exchange/add/",
        admin_form(bob, institute_a, institute_a, today, today + timedelta(days=3)),
    )
    assert response.status_code == 200
    assert "The host institute must differ from the home institute." in response.content.decode()
    assert not Exchange.objects.exists()


def test_changing_a_proposed_exchange_in_the_admin_uses_the_service(admin, proposed, alice, carol):
    from exchanges import services

    services.exchange_approve(user=carol, exchange=proposed)
    response = admin.post(
        f"/admin/exchanges/exchange/{proposed.pk}/change/",
        admin_form(
            proposed.person,
            proposed.home_institute,
            proposed.host_institute,
            proposed.start_date,
            proposed.end_date,
            role_title="Renamed in the admin",
            **{"approvals-TOTAL_FORMS": "1", "approvals-INITIAL_FORMS": "1"},
        ),
    )
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.role_title == "Renamed in the admin"
    assert not proposed.approvals.exists()  # withdrawn by the change, as on the pages


def test_a_proposed_exchange_opens_for_editing_in_the_admin(admin, proposed):
    response = admin.get(f"/admin/exchanges/exchange/{proposed.pk}/change/")
    assert response.status_code == 200
    assert 'name="role_title"' in response.content.decode()


def test_an_approved_exchange_is_read_only_in_the_admin(admin, approved):
    response = admin.get(f"/admin/exchanges/exchange/{approved.pk}/change/")
    assert response.status_code == 200
    assert 'name="role_title"' not in response.content.decode()


def test_the_approve_action_approves_each_pending_side(admin, proposed):
    response = admin.post(
        CHANGELIST, {"action": "approve_pending_sides", "_selected_action": [proposed.pk]}
    )
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == Exchange.Status.APPROVED
    assert proposed.approvals.count() == 2


def test_the_cancel_action_cancels_with_a_reason(admin, approved):
    admin.post(CHANGELIST, {"action": "cancel", "_selected_action": [approved.pk]})
    approved.refresh_from_db()
    assert approved.status == Exchange.Status.CANCELLED
    assert "programme manager" in approved.status_reason


def test_a_refused_action_is_reported_not_applied(admin, approved):
    response = admin.post(
        CHANGELIST, {"action": "activate", "_selected_action": [approved.pk]}, follow=True
    )
    assert "mandatory onboarding items are still open" in response.content.decode()
    approved.refresh_from_db()
    assert approved.status == Exchange.Status.APPROVED


def test_programme_managers_configure_the_checklist(admin):
    response = admin.post(
        "/admin/exchanges/checklistitemtype/add/",
        {"name": "IT induction", "description": "", "mandatory": "on", "is_active": "on",
         "order": "40"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ChecklistItemType.objects.filter(name="IT induction", mandatory=True).exists()


def test_feeds_are_revoked_from_the_admin(admin, institute_a):
    feed = CalendarFeedFactory(institute=institute_a)
    admin.post(
        "/admin/exchanges/calendarfeed/", {"action": "revoke", "_selected_action": [feed.pk]}
    )
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is not None
    assert admin.get("/admin/exchanges/calendarfeed/add/").status_code == 403
