"""Exchange pages: who sees what (anonymous -> login, outsider -> 404, members read, leads act),
forms with their messages, htmx checklist, bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from exchanges.models import CalendarFeed, Exchange
from tests.exchanges.conftest import tick_all
from tests.exchanges.factories import ExchangeFactory


def login(client, user):
    client.force_login(user)
    return client


def detail_url(exchange) -> str:
    return reverse("exchanges:detail", args=[exchange.pk])


# --- list, timeline ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, proposed):
    for url in [
        reverse("exchanges:list"),
        reverse("exchanges:timeline"),
        reverse("exchanges:create"),
        reverse("exchanges:calendars"),
        detail_url(proposed),
        reverse("exchanges:edit", args=[proposed.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_the_list_keeps_its_address(proposed):
    assert reverse("exchanges:list") == "/exchanges/"


@pytest.mark.parametrize(
    ("who", "sees"),
    [("charlie", False), ("bob", True), ("vera", True), ("alice", True), ("carol", True),
     ("dan", True), ("pm", True)],
)  # fmt: skip
def test_the_list_shows_an_exchange_to_its_person_members_and_programme_managers(
    client, proposed, who, sees, request
):
    response = login(client, request.getfixturevalue(who)).get("/exchanges/")
    assert response.status_code == 200
    assert (detail_url(proposed) in response.content.decode()) is sees


def test_the_list_filters_by_institute_status_and_year(
    client, pm, institute_a, institute_b, institute_c, today
):
    ab = ExchangeFactory(home_institute=institute_a, host_institute=institute_b, status="approved")
    bc = ExchangeFactory(home_institute=institute_b, host_institute=institute_c)
    later = ExchangeFactory(
        home_institute=institute_c,
        host_institute=institute_a,
        start_date=today.replace(year=today.year + 2, month=1, day=10),
        end_date=today.replace(year=today.year + 2, month=2, day=10),
    )
    login(client, pm)

    def shown(**query):
        page = client.get("/exchanges/", query).context["page"]
        return {x.pk for x in page.object_list}

    assert shown(institute="inst-a") == {ab.pk, later.pk}
    assert shown(institute="inst-b", status="proposed") == {bc.pk}
    assert shown(year=today.year + 2) == {later.pk}
    assert shown(institute="nowhere") == {ab.pk, bc.pk, later.pk}  # invalid filter: ignored


def test_the_list_pages_with_bounded_queries(client, pm, django_assert_max_num_queries):
    for _ in range(30):
        ExchangeFactory()
    login(client, pm)
    with django_assert_max_num_queries(7):
        response = client.get("/exchanges/")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25


def test_the_timeline_shows_the_days_of_each_exchange_in_the_month(client, alice, proposed):
    login(client, alice)
    month = proposed.start_date.strftime("%Y-%m")
    response = client.get("/exchanges/timeline/", {"month": month})
    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert row["exchange"] == proposed
    on_days = [
        day for day, cell in zip(response.context["days"], row["cells"], strict=True) if cell["on"]
    ]
    assert on_days[0] == max(proposed.start_date, on_days[0].replace(day=1))
    assert all(proposed.start_date <= day <= proposed.end_date for day in on_days)


def test_the_timeline_has_a_colour_legend(client, alice, proposed):
    html = (
        login(client, alice)
        .get(reverse("exchanges:timeline"), {"month": proposed.start_date.strftime("%Y-%m")})
        .content.decode()
    )
    assert 'class="timeline-legend"' in html
    for status in ("Proposed", "Approved", "Active", "Completed", "Declined or cancelled"):
        assert f"</span>{status}</li>" in html


def test_the_trail_says_who_activated_the_exchange(client, alice, carol, approved):
    tick_all(approved, carol)
    login(client, carol).post(reverse("exchanges:activate", args=[approved.pk]))
    html = login(client, alice).get(detail_url(approved)).content.decode()
    assert "Became active: activated by carol" in html


def test_the_trail_says_the_schedule_activated_it(client, alice, approved):
    from exchanges import services

    tick_all(approved, alice)
    services.exchanges_sync_dates(today=approved.start_date)
    html = login(client, alice).get(detail_url(approved)).content.decode()
    assert "Became active on its start date (by the schedule)." in html


def test_the_timeline_hides_what_the_user_may_not_see(client, charlie, proposed):
    login(client, charlie)
    month = proposed.start_date.strftime("%Y-%m")
    assert client.get("/exchanges/timeline/", {"month": month}).context["rows"] == []


def test_the_timeline_survives_a_nonsense_month(client, alice):
    login(client, alice)
    for month in ["9999-12", "2026-13", "x"]:
        assert client.get("/exchanges/timeline/", {"month": month}).status_code == 200


def test_the_timeline_has_bounded_queries(client, pm, today, django_assert_max_num_queries):
    for _ in range(20):
        ExchangeFactory(start_date=today, end_date=today + timedelta(days=3))
    login(client, pm)
    with django_assert_max_num_queries(6):
        response = client.get("/exchanges/timeline/")
    assert len(response.context["rows"]) == 20


# --- detail -------------------------------------------------------------------------------------


def test_an_outsider_gets_404_for_an_exchange(client, charlie, proposed):
    assert login(client, charlie).get(detail_url(proposed)).status_code == 404


@pytest.mark.parametrize("who", ["bob", "vera", "dan"])
def test_the_person_and_members_read_the_exchange_without_buttons(client, proposed, who, request):
    response = login(client, request.getfixturevalue(who)).get(detail_url(proposed))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Approval trail" in html
    assert "Onboarding checklist" in html
    for action in ["approve", "decline", "activate", "complete", "cancel", "edit"]:
        assert reverse(f"exchanges:{action}", args=[proposed.pk]) not in html
    assert "Mark done" not in html


def test_a_lead_sees_the_decision_for_their_side_only(client, alice, proposed):
    html = login(client, alice).get(detail_url(proposed)).content.decode()
    assert "Approve for inst-a" in html
    assert "Approve for inst-b" not in html
    assert reverse("exchanges:cancel", args=[proposed.pk]) in html
    assert reverse("exchanges:edit", args=[proposed.pk]) in html
    assert "Mark done" in html


def test_a_programme_manager_sees_both_decisions(client, pm, proposed):
    html = login(client, pm).get(detail_url(proposed)).content.decode()
    assert "Approve for inst-a" in html
    assert "Approve for inst-b" in html


def test_the_detail_shows_the_approval_trail(client, alice, carol, proposed):
    from exchanges import services

    services.exchange_approve(user=alice, exchange=proposed)
    html = login(client, carol).get(detail_url(proposed)).content.decode()
    assert "for Institute A by alice" in html
    assert "Waiting for Institute B." in html


def test_activate_is_shown_with_the_open_items_that_block_it(client, alice, approved):
    html = login(client, alice).get(detail_url(approved)).content.decode()
    assert (
        "Open mandatory items: Agreement signed, Access provisioned, Security briefing done."
        in html
    )
    assert "disabled" in html


def test_the_detail_page_has_bounded_queries(
    client, alice, approved, django_assert_max_num_queries
):
    login(client, alice)
    with django_assert_max_num_queries(8):
        assert client.get(detail_url(approved)).status_code == 200


# --- transitions from the page ------------------------------------------------------------------


def test_a_lead_approves_from_the_page(client, alice, proposed, institute_a):
    response = login(client, alice).post(
        reverse("exchanges:approve", args=[proposed.pk]), {"institute": institute_a.pk}
    )
    assert response.status_code == 302
    assert proposed.approvals.get().user == alice


@pytest.mark.parametrize("action", ["approve", "decline", "activate", "complete", "cancel"])
def test_an_outsider_gets_404_for_every_action(client, charlie, proposed, action):
    response = login(client, charlie).post(reverse(f"exchanges:{action}", args=[proposed.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["approve", "decline", "activate", "complete", "cancel"])
def test_a_member_who_is_not_a_lead_gets_403(client, bob, proposed, action):
    response = login(client, bob).post(
        reverse(f"exchanges:{action}", args=[proposed.pk]), {"reason": "x", "outcome": "x"}
    )
    assert response.status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == Exchange.Status.PROPOSED


def test_actions_take_only_post(client, alice, proposed):
    assert (
        login(client, alice).get(reverse("exchanges:approve", args=[proposed.pk])).status_code
        == 405
    )


ACTIONS = ["approve", "decline", "activate", "complete", "cancel"]


def _post_only_urls(exchange) -> list[str]:
    item = exchange.checklist.first()
    return [
        *(reverse(f"exchanges:{action}", args=[exchange.pk]) for action in ACTIONS),
        reverse("exchanges:checklist_toggle", args=[exchange.pk, item.pk]),
    ]


def test_an_outsider_gets_404_not_405_for_a_get_of_an_action(client, charlie, bob, proposed):
    """The exchange is looked up before the method: to an outsider it does not exist (404), as on
    every other page; those who may see it learn that the route takes POST (405)."""
    for url in _post_only_urls(proposed):
        assert login(client, charlie).get(url).status_code == 404, url
        assert login(client, bob).get(url).status_code == 405, url


def test_only_a_lead_of_the_feeds_institute_gets_405_for_a_get_of_revoke(
    client, alice, bob, charlie, institute_a
):
    from tests.exchanges.factories import CalendarFeedFactory

    url = reverse("exchanges:calendar_revoke", args=[CalendarFeedFactory(institute=institute_a).pk])
    assert login(client, charlie).get(url).status_code == 404
    assert login(client, bob).get(url).status_code == 404
    assert login(client, alice).get(url).status_code == 405


def test_a_refused_transition_comes_back_as_a_message(client, carol, proposed):
    response = login(client, carol).post(
        reverse("exchanges:decline", args=[proposed.pk]), {"reason": ""}, follow=True
    )
    assert "Say why the exchange is declined." in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == Exchange.Status.PROPOSED


def test_the_whole_flow_from_the_pages(client, alice, carol, proposed, today, institute_b):
    from exchanges import services

    services.exchange_update(
        user=alice, exchange=proposed, start_date=today, end_date=today + timedelta(days=9)
    )
    login(client, alice).post(reverse("exchanges:approve", args=[proposed.pk]))
    login(client, carol).post(reverse("exchanges:approve", args=[proposed.pk]))
    tick_all(proposed, carol)
    client.post(reverse("exchanges:activate", args=[proposed.pk]))
    proposed.refresh_from_db()
    assert proposed.status == Exchange.Status.ACTIVE
    client.post(reverse("exchanges:complete", args=[proposed.pk]), {"outcome": "Went well."})
    proposed.refresh_from_db()
    assert (proposed.status, proposed.outcome) == (Exchange.Status.COMPLETED, "Went well.")


def test_a_lead_cancels_with_a_reason(client, alice, approved):
    login(client, alice).post(reverse("exchanges:cancel", args=[approved.pk]), {"reason": "Moved."})
    approved.refresh_from_db()
    assert (approved.status, approved.status_reason) == (Exchange.Status.CANCELLED, "Moved.")


# --- checklist (htmx) -------------------------------------------------------------------------


def test_ticking_an_item_with_htmx_returns_the_checklist_fragment(client, alice, proposed):
    item = proposed.checklist.first()
    response = login(client, alice).post(
        reverse("exchanges:checklist_toggle", args=[proposed.pk, item.pk]),
        {"done": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="checklist"')
    assert "<html" not in html
    item.refresh_from_db()
    assert item.done_by == alice


def test_ticking_the_last_item_enables_activate_out_of_band(client, alice, approved):
    *first, last = approved.checklist.all()
    tick_all_but = first
    from exchanges import services

    for item in tick_all_but:
        services.checklist_item_done(user=alice, item=item)
    response = login(client, alice).post(
        reverse("exchanges:checklist_toggle", args=[approved.pk, last.pk]),
        {"done": "1"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert '<div id="exchange-actions" hx-swap-oob="true">' in html
    assert "Open mandatory items" not in html
    assert reverse("exchanges:activate", args=[approved.pk]) in html
    assert " disabled" not in html


def test_ticking_without_htmx_redirects_to_the_detail(client, alice, proposed):
    item = proposed.checklist.first()
    response = login(client, alice).post(
        reverse("exchanges:checklist_toggle", args=[proposed.pk, item.pk]), {"done": "1"}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("exchanges:checklist_toggle", args=[proposed.pk, item.pk]), {"done": "0"}
    )
    item.refresh_from_db()
    assert item.done_at is None


def test_checklist_items_of_another_exchange_are_404(client, alice, proposed):
    other = ExchangeFactory(checklist=True)
    item = other.checklist.first()
    response = login(client, alice).post(
        reverse("exchanges:checklist_toggle", args=[proposed.pk, item.pk]), {"done": "1"}
    )
    assert response.status_code == 404


def test_a_member_cannot_tick_the_checklist(client, bob, proposed):
    item = proposed.checklist.first()
    response = login(client, bob).post(
        reverse("exchanges:checklist_toggle", args=[proposed.pk, item.pk]), {"done": "1"}
    )
    assert response.status_code == 403


# --- forms -------------------------------------------------------------------------------------


def form_data(person, home, host, start, end, **extra):
    return {
        "person": person.pk,
        "home_institute": home.pk,
        "host_institute": host.pk,
        "role_title": "Visiting evaluator",
        "host_role": "evaluator",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "objectives": "Learn.",
        **extra,
    }


def test_a_lead_proposes_from_the_form(client, alice, bob, carol, institute_a, institute_b, today):
    login(client, alice)
    assert client.get("/exchanges/new/").status_code == 200
    response = client.post(
        "/exchanges/new/",
        form_data(bob, institute_a, institute_b, today, today + timedelta(days=30)),
    )
    exchange = Exchange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(exchange)
    assert exchange.checklist.count() == 3


def test_the_form_shows_the_rules_messages(client, alice, bob, institute_a, today):
    login(client, alice)
    response = client.post(
        "/exchanges/new/",
        form_data(
            bob, institute_a, institute_a, today - timedelta(days=3), today - timedelta(days=5)
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The exchange must end after it starts." in html
    assert "The host institute must differ from the home institute." in html
    assert "only programme managers record past exchanges" in html
    assert not Exchange.objects.exists()


def test_viewers_cannot_open_the_form(client, vera):
    assert login(client, vera).get("/exchanges/new/").status_code == 403


def _person_options(response) -> set[str]:
    form = response.context["form"]
    return {user.username for user in form.fields["person"].queryset}


def test_an_evaluator_requests_their_own_secondment_from_the_form(
    client, bob, alice, institute_a, institute_b, today
):
    login(client, bob)
    page = client.get("/exchanges/new/")
    assert page.status_code == 200
    assert "Request a secondment" in page.content.decode()
    assert _person_options(page) == {"bob"}
    homes = {i.code for i in page.context["form"].fields["home_institute"].queryset}
    assert homes == {"inst-a"}
    response = client.post(
        "/exchanges/new/",
        form_data(bob, institute_a, institute_b, today, today + timedelta(days=9)),
    )
    exchange = Exchange.objects.get()
    assert response.status_code == 302
    assert (exchange.person, exchange.proposed_by) == (bob, bob)
    assert login(client, alice).get("/exchanges/").content.decode().count("Propose an exchange")


def test_an_evaluator_cannot_pick_someone_else_in_the_form(
    client, bob, alice, institute_a, institute_b, today
):
    login(client, bob)
    response = client.post(
        "/exchanges/new/",
        form_data(alice, institute_a, institute_b, today, today + timedelta(days=9)),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["person"]
    assert not Exchange.objects.exists()


def test_the_person_list_offers_the_chosen_home_institutes_staff(
    client, alice, bob, vera, carol, dan, charlie, institute_a, institute_b
):
    login(client, carol)
    assert _person_options(client.get("/exchanges/new/")) == set()
    page = client.get("/exchanges/new/", {"home_institute": institute_a.pk})
    assert _person_options(page) == {"alice", "bob", "vera"}
    page = client.get("/exchanges/new/", {"home_institute": institute_b.pk})
    assert _person_options(page) == {"carol", "dan"}
    # the home institute's select reloads the person list when it changes
    html = page.content.decode()
    assert 'hx-get="/exchanges/new/"' in html
    assert 'hx-select="#id_person"' in html


def test_the_form_refuses_a_person_of_another_institute(
    client, carol, dan, institute_a, institute_b, today
):
    login(client, carol)
    response = client.post(
        "/exchanges/new/",
        form_data(dan, institute_a, institute_b, today, today + timedelta(days=9)),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["person"]
    assert not Exchange.objects.exists()


# --- a linked project shows only to those who may see it ----------------------------------------


@pytest.fixture
def linked(propose, carol, institute_b):
    from evaluations.models import EvaluationProject, Participation

    project = EvaluationProject.objects.create(slug="secret-b", title="B's secret evaluation")
    Participation.objects.create(project=project, institute=institute_b, role="lead")
    return propose(user=carol, project=project)


@pytest.mark.parametrize("who", ["carol", "dan", "pm"])
def test_the_linked_project_shows_to_who_may_see_it(client, linked, who, request):
    login(client, request.getfixturevalue(who))
    for url in (detail_url(linked), "/exchanges/"):
        assert "B&#x27;s secret evaluation" in client.get(url).content.decode(), url


@pytest.mark.parametrize("who", ["alice", "bob", "vera"])
def test_an_outsider_to_the_project_sees_nothing_of_it(client, linked, who, request):
    login(client, request.getfixturevalue(who))
    for url in (detail_url(linked), "/exchanges/", reverse("exchanges:timeline")):
        html = client.get(url).content.decode()
        assert "secret evaluation" not in html, url
        assert "secret-b" not in html, url


def test_a_lead_edits_a_proposed_exchange(client, alice, proposed):
    login(client, alice)
    url = reverse("exchanges:edit", args=[proposed.pk])
    response = client.get(url)
    assert response.status_code == 200
    data = form_data(
        proposed.person,
        proposed.home_institute,
        proposed.host_institute,
        proposed.start_date,
        proposed.end_date,
        role_title="Renamed role",
    )
    assert client.post(url, data).status_code == 302
    proposed.refresh_from_db()
    assert proposed.role_title == "Renamed role"


@pytest.mark.parametrize("who", ["charlie", "bob"])
def test_others_cannot_open_the_edit_form(client, proposed, who, request):
    response = login(client, request.getfixturevalue(who)).get(
        reverse("exchanges:edit", args=[proposed.pk])
    )
    assert response.status_code == 404


def test_an_approved_exchange_has_no_edit_form(client, alice, approved):
    response = login(client, alice).get(reverse("exchanges:edit", args=[approved.pk]))
    assert response.status_code == 404


# --- calendar feeds page ----------------------------------------------------------------------


def test_a_lead_opens_a_feed_and_sees_its_address_once(client, alice, institute_a):
    login(client, alice)
    response = client.post("/exchanges/calendars/", {"institute": institute_a.pk, "label": "Team"})
    assert response.status_code == 200
    url = response.context["new_feed_url"]
    assert url.startswith("http://testserver/exchanges/calendars/")
    assert url.endswith(".ics")
    assert response["Cache-Control"] == "no-store"
    feed = CalendarFeed.objects.get()
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in feed.token_hash  # only the hash is stored
    assert url not in client.get("/exchanges/calendars/").content.decode()


def test_members_who_lead_nothing_cannot_open_a_feed(client, bob, institute_a):
    login(client, bob)
    response = client.post("/exchanges/calendars/", {"institute": institute_a.pk})
    assert response.status_code == 200
    assert "Leads of an institute open and revoke" in response.content.decode()
    assert not CalendarFeed.objects.exists()


def test_a_lead_cannot_open_a_feed_for_another_institute(client, alice, institute_b):
    login(client, alice).post("/exchanges/calendars/", {"institute": institute_b.pk})
    assert not CalendarFeed.objects.exists()


def test_a_lead_revokes_a_feed_of_their_institute(client, alice, institute_a):
    from tests.exchanges.factories import CalendarFeedFactory

    feed = CalendarFeedFactory(institute=institute_a)
    response = login(client, alice).post(reverse("exchanges:calendar_revoke", args=[feed.pk]))
    assert response.status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at is not None


@pytest.mark.parametrize("who", ["charlie", "bob"])
def test_others_get_404_when_revoking_a_feed(client, institute_a, who, request):
    from tests.exchanges.factories import CalendarFeedFactory

    feed = CalendarFeedFactory(institute=institute_a)
    response = login(client, request.getfixturevalue(who)).post(
        reverse("exchanges:calendar_revoke", args=[feed.pk])
    )
    assert response.status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_pages_carry_no_inline_script_or_style(client, alice, proposed):
    login(client, alice)
    for url in ["/exchanges/", "/exchanges/timeline/", detail_url(proposed), "/exchanges/new/",
                "/exchanges/calendars/"]:  # fmt: skip
        html = client.get(url).content.decode()
        for forbidden in ["<script>", " style=", "<style", " onclick=", " onsubmit="]:
            assert forbidden not in html, (url, forbidden)
