"""The institute's iCalendar feed at a secret URL: parsed back with icalendar."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from django.urls import reverse

from exchanges import services
from exchanges.models import CalendarFeed
from tests.exchanges.factories import ExchangeFactory


@pytest.fixture
def feed(alice, institute_a):
    return services.calendar_feed_create(user=alice, institute=institute_a, label="Team")


def feed_url(token: str) -> str:
    return reverse("exchanges:calendar_feed", args=[token])


def events(response) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_only_the_hash_of_the_token_is_stored(feed):
    stored, token = feed
    assert len(token) >= 40
    assert token not in stored.token_hash
    assert CalendarFeed.objects.filter(token_hash__contains=token).count() == 0


def test_the_feed_lists_the_institutes_exchanges_with_their_dates(client, feed, proposed, today):
    _, token = feed
    response = client.get(feed_url(token))  # no login: calendar applications cannot sign in
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    (event,) = events(response).values()
    assert str(event["summary"]) == "bob seconded to Institute B"
    assert event.decoded("dtstart") == proposed.start_date
    # The end date is the last day; iCalendar's DTEND is exclusive, so it is the day after.
    assert event.decoded("dtend") == proposed.end_date + timedelta(days=1)
    assert str(event["status"]) == "TENTATIVE"
    assert str(event["uid"]) == f"exchange-{proposed.pk}@concord"
    assert f"/exchanges/{proposed.pk}/" in str(event["url"])


def test_the_feed_shows_incoming_exchanges_and_confirms_approved_ones(
    client, institute_a, institute_b, institute_c, carol
):
    ExchangeFactory(home_institute=institute_c, host_institute=institute_a, status="approved")
    ExchangeFactory(home_institute=institute_b, host_institute=institute_c)  # not A's
    ExchangeFactory(home_institute=institute_a, host_institute=institute_b, status="declined")
    ExchangeFactory(home_institute=institute_a, host_institute=institute_b, status="cancelled")
    from tests.exchanges.factories import CalendarFeedFactory

    CalendarFeedFactory(institute=institute_a, token="tok-a")
    found = events(client.get(feed_url("tok-a")))
    assert len(found) == 1
    (event,) = found.values()
    assert str(event["summary"]).endswith("seconded from Institute C")
    assert str(event["status"]) == "CONFIRMED"


def test_a_revoked_token_gives_404(client, feed, alice):
    stored, token = feed
    assert client.get(feed_url(token)).status_code == 200
    services.calendar_feed_revoke(user=alice, feed=stored)
    assert client.get(feed_url(token)).status_code == 404


def test_an_unknown_token_gives_404(client, feed):
    assert client.get(feed_url("not-the-token")).status_code == 404


def test_revoking_one_feed_leaves_the_others_working(client, alice, institute_a):
    first, first_token = services.calendar_feed_create(user=alice, institute=institute_a)
    _, second_token = services.calendar_feed_create(user=alice, institute=institute_a)
    services.calendar_feed_revoke(user=alice, feed=first)
    assert client.get(feed_url(first_token)).status_code == 404
    assert client.get(feed_url(second_token)).status_code == 200


def test_only_leads_of_the_institute_manage_its_feeds(bob, charlie, alice, institute_a):
    from django.core.exceptions import PermissionDenied

    for user in (bob, charlie):
        with pytest.raises(PermissionDenied):
            services.calendar_feed_create(user=user, institute=institute_a)
    stored, _ = services.calendar_feed_create(user=alice, institute=institute_a)
    with pytest.raises(PermissionDenied):
        services.calendar_feed_revoke(user=charlie, feed=stored)


def test_a_programme_manager_opens_a_feed_for_any_institute(pm, institute_c):
    stored, _ = services.calendar_feed_create(user=pm, institute=institute_c)
    assert stored.institute == institute_c


def test_the_feed_answers_get_only(client, feed):
    _, token = feed
    assert client.post(feed_url(token)).status_code == 405


def test_the_feed_names_a_linked_project_only_if_the_institute_takes_part(
    client, feed, alice, carol, propose, institute_b
):
    from evaluations.models import EvaluationProject, Participation

    project = EvaluationProject.objects.create(slug="secret-b", title="B's secret evaluation")
    Participation.objects.create(project=project, institute=institute_b, role="lead")
    propose(user=carol, project=project)
    _, token_a = feed
    assert b"secret evaluation" not in client.get(feed_url(token_a)).content
    _, token_b = services.calendar_feed_create(user=carol, institute=institute_b)
    assert b"secret evaluation" in client.get(feed_url(token_b)).content
