"""/api/v1/exchanges/: scoped reads, writes through the services, the API's error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from exchanges import services
from exchanges.models import Exchange
from tests.api_clients import bearer
from tests.exchanges.conftest import tick_all
from tests.exchanges.factories import ExchangeFactory

S = Exchange.Status


def url(exchange=None, action: str = "") -> str:
    if exchange is None:
        return "/api/v1/exchanges/"
    return f"/api/v1/exchanges/{exchange.pk}/" + (f"{action}/" if action else "")


ACTIONS = ["approve", "decline", "activate", "complete", "cancel"]


def test_anonymous_requests_get_401(proposed):
    client = APIClient()
    assert client.get(url()).status_code == 401
    assert client.get(url(proposed)).status_code == 401
    assert client.post(url(), {}).status_code == 401
    for action in ACTIONS:
        assert client.post(url(proposed, action), {}).status_code == 401


def test_an_outsider_sees_no_exchange_and_gets_404(charlie, proposed):
    client = bearer(charlie)
    assert client.get(url()).json()["count"] == 0
    response = client.get(url(proposed))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    for action in ACTIONS:
        assert client.post(url(proposed, action), {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("who", ["bob", "vera", "dan", "alice", "carol", "pm"])
def test_the_person_members_and_programme_managers_read_it(proposed, who, request):
    response = bearer(request.getfixturevalue(who)).get(url(proposed))
    assert response.status_code == 200
    body = response.json()
    assert body["person"] == "bob"
    assert (body["home_institute"], body["host_institute"]) == ("inst-a", "inst-b")
    assert [item["name"] for item in body["checklist"]] == [
        "Agreement signed",
        "Access provisioned",
        "Security briefing done",
    ]


@pytest.mark.parametrize("action", ACTIONS)
def test_members_who_are_not_leads_get_403(bob, proposed, action):
    response = bearer(bob).post(url(proposed, action), {"reason": "x", "outcome": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_read_only_token_cannot_act(alice, proposed):
    response = bearer(alice, scope="read").post(url(proposed, "approve"), {})
    assert response.status_code == 403
    assert not proposed.approvals.exists()


def test_a_lead_proposes(alice, bob, carol, today):
    response = bearer(alice).post(
        url(),
        {
            "person": "bob",
            "home_institute": "inst-a",
            "host_institute": "inst-b",
            "role_title": "Visiting evaluator",
            "start_date": (today + timedelta(days=3)).isoformat(),
            "end_date": (today + timedelta(days=33)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "proposed"
    assert body["host_role"] == "evaluator"
    assert body["proposed_by"] == "alice"
    assert len(body["checklist"]) == 3


def test_a_refused_proposal_names_each_field(alice, bob, today):
    response = bearer(alice).post(
        url(),
        {
            "person": "bob",
            "home_institute": "inst-a",
            "host_institute": "inst-a",
            "role_title": "X",
            "start_date": today.isoformat(),
            "end_date": today.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"] == {
        "end_date": ["The exchange must end after it starts."],
        "host_institute": ["The host institute must differ from the home institute."],
    }


def test_the_input_shape_is_checked_strictly(alice):
    response = bearer(alice).post(
        url(),
        {"person": 5, "home_institute": "inst-a", "start_date": "soon"},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"person", "host_institute", "role_title", "start_date", "end_date"} <= set(fields)


def test_a_project_the_user_cannot_see_reads_as_missing(alice, bob, institute_b, today):
    from evaluations.models import EvaluationProject, Participation

    project = EvaluationProject.objects.create(slug="hidden", title="Hidden")
    Participation.objects.create(project=project, institute=institute_b)
    response = bearer(alice).post(
        url(),
        {
            "person": "bob",
            "home_institute": "inst-a",
            "host_institute": "inst-b",
            "project": "hidden",
            "role_title": "X",
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=5)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["error"]["fields"]["project"][0]


def test_an_evaluator_requests_their_own_secondment(bob, institute_b, today):
    response = bearer(bob).post(
        url(),
        {
            "person": "bob",
            "home_institute": "inst-a",
            "host_institute": "inst-b",
            "role_title": "X",
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=5)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["person"], body["proposed_by"], body["status"]) == ("bob", "bob", "proposed")


def test_the_whole_flow_through_the_api(alice, carol, propose, today):
    exchange = propose(start_date=today, end_date=today + timedelta(days=10))
    body = bearer(alice).post(url(exchange, "approve"), {}, format="json").json()
    assert body["status"] == "proposed"
    assert [a["institute"] for a in body["approvals"]] == ["inst-a"]
    body = bearer(carol).post(url(exchange, "approve"), {}, format="json").json()
    assert body["status"] == "approved"
    response = bearer(carol).post(url(exchange, "activate"), format="json")
    assert response.status_code == 400
    assert "still open" in response.json()["error"]["message"]
    tick_all(exchange, carol)
    assert bearer(carol).post(url(exchange, "activate")).json()["status"] == "active"
    response = bearer(carol).post(url(exchange, "complete"), {"outcome": ""}, format="json")
    assert response.json()["error"]["fields"] == {
        "outcome": ["Write the outcome report: what was done and learnt."]
    }
    body = bearer(carol).post(url(exchange, "complete"), {"outcome": "Done."}, format="json").json()
    assert (body["status"], body["outcome"], body["ended_by"]) == ("completed", "Done.", "carol")


def test_a_programme_manager_names_the_side(pm, proposed):
    client = bearer(pm)
    response = client.post(url(proposed, "approve"), {}, format="json")
    assert response.status_code == 400
    assert "say which institute" in response.json()["error"]["fields"]["institute"][0]
    body = client.post(url(proposed, "approve"), {"institute": "inst-b"}, format="json").json()
    assert [a["institute"] for a in body["approvals"]] == ["inst-b"]


def test_decline_and_cancel_need_a_reason(carol, proposed):
    client = bearer(carol)
    response = client.post(url(proposed, "decline"), {}, format="json")
    assert response.json()["error"]["fields"] == {"reason": ["Say why the exchange is declined."]}
    body = client.post(url(proposed, "decline"), {"reason": "No desk."}, format="json").json()
    assert (body["status"], body["status_reason"]) == ("declined", "No desk.")
    assert body["approvals"][0]["decision"] == "declined"


def test_cancel_an_approved_exchange(alice, approved):
    body = bearer(alice).post(url(approved, "cancel"), {"reason": "Moved."}, format="json").json()
    assert body["status"] == "cancelled"


def test_the_list_filters_by_institute_status_year_and_person(
    pm, institute_a, institute_b, institute_c, today
):
    ab = ExchangeFactory(home_institute=institute_a, host_institute=institute_b, status="active")
    bc = ExchangeFactory(home_institute=institute_b, host_institute=institute_c)
    far = ExchangeFactory(
        home_institute=institute_c,
        host_institute=institute_a,
        start_date=today.replace(year=today.year + 3, month=3, day=1),
        end_date=today.replace(year=today.year + 3, month=4, day=1),
    )
    client = bearer(pm)

    def ids(**query):
        response = client.get(url(), query)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(institute="inst-a") == {ab.pk, far.pk}
    assert ids(status="active") == {ab.pk}
    assert ids(year=today.year + 3) == {far.pk}
    assert ids(person=bc.person.username) == {bc.pk}
    response = client.get(url(), {"institute": "nowhere"})
    assert response.status_code == 400
    assert "institute" in response.json()["error"]["fields"]


def test_the_list_has_bounded_queries(pm, django_assert_max_num_queries):
    for _ in range(20):
        ExchangeFactory(checklist=True)
    client = bearer(pm)
    with django_assert_max_num_queries(8):
        response = client.get(url())
    assert response.json()["count"] == 20


def test_the_schema_documents_the_exchange_endpoints():
    import yaml

    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    paths = yaml.safe_load(response.content)["paths"]
    assert set(paths["/api/v1/exchanges/"]) >= {"get", "post"}
    for action in ACTIONS:
        operation = paths[f"/api/v1/exchanges/{{id}}/{action}/"]["post"]
        assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])


def _proposal(today, **fields) -> dict:
    body = {
        "person": "bob",
        "home_institute": "inst-a",
        "host_institute": "inst-b",
        "role_title": "Visiting evaluator",
        "start_date": (today + timedelta(days=3)).isoformat(),
        "end_date": (today + timedelta(days=33)).isoformat(),
    }
    body.update(fields)
    return body


@pytest.mark.parametrize("who", ["vera"])
def test_who_may_not_propose_gets_the_same_403_whatever_the_body_names(who, request, today):
    """Refused before the body is read: a username that exists, one that does not, and a body
    that is not a proposal at all get the same answer."""
    client = bearer(request.getfixturevalue(who))
    answers = [
        client.post(url(), body, format="json")
        for body in (
            _proposal(today),
            _proposal(today, person="no-such-user"),
            _proposal(today, person="charlie"),
            {"person": 5},
        )
    ]
    assert {a.status_code for a in answers} == {403}
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["error"]["code"] == "permission_denied"
    assert not Exchange.objects.exists()


def test_a_lead_of_neither_institute_learns_nothing_about_usernames(
    charlie, bob, institute_b, today
):
    """charlie leads C, so may propose, but not between A and B: 403 before the person is looked
    up, whether the username exists or not."""
    client = bearer(charlie)
    known = client.post(url(), _proposal(today), format="json")
    unknown = client.post(url(), _proposal(today, person="no-such-user"), format="json")
    assert known.status_code == unknown.status_code == 403
    assert known.content == unknown.content


def test_a_person_who_is_not_a_visible_member_reads_the_same_as_nobody(
    carol, bob, charlie, institute_a, today
):
    """carol leads the host institute: she names a member of A to propose, and any other
    username (nobody's, someone of another institute, a disabled member of A) gets one and the
    same refusal."""
    from tests.factories import member

    gone = member("gone", institute_a)
    gone.is_active = False
    gone.save()
    client = bearer(carol)
    answers = {
        name: client.post(url(), _proposal(today, person=name), format="json")
        for name in ("no-such-user", "charlie", "gone")
    }
    errors = {name: a.json()["error"] for name, a in answers.items()}
    assert {a.status_code for a in answers.values()} == {400}
    for name, error in errors.items():
        assert error["fields"] == {
            "person": [f"No member of {institute_a.name} has the username '{name}'."]
        }
    assert not Exchange.objects.exists()
    accepted = client.post(url(), _proposal(today), format="json")
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["person"] == "bob"


@pytest.mark.parametrize("who", ["bob", "dan"])
def test_an_evaluator_naming_anyone_else_gets_the_same_403(who, request, alice, institute_b, today):
    """bob (A) may request only his own secondment, dan (B) only one from B: any other person
    or home institute is refused before the username is looked up."""
    client = bearer(request.getfixturevalue(who))
    bodies = [
        _proposal(today, person="alice"),
        _proposal(today, person="no-such-user"),
        _proposal(today, person="charlie"),
    ]
    if who == "dan":
        bodies.append(_proposal(today, person="dan"))  # dan is not staff of A
    answers = [client.post(url(), body, format="json") for body in bodies]
    assert {a.status_code for a in answers} == {403}
    assert len({a.content for a in answers}) == 1
    assert not Exchange.objects.exists()


# --- a linked project shows only to those who may see it ----------------------------------------


@pytest.fixture
def project_of_b(institute_b):
    from evaluations.models import EvaluationProject, Participation

    project = EvaluationProject.objects.create(slug="secret-b", title="B's secret evaluation")
    Participation.objects.create(project=project, institute=institute_b, role="lead")
    return project


@pytest.fixture
def linked(propose, carol, project_of_b):
    """bob's exchange from A to B, linked to a project only B takes part in."""
    return propose(user=carol, project=project_of_b)


def test_the_linked_project_shows_to_those_who_may_see_it(linked, carol, pm):
    for user in (carol, pm):
        client = bearer(user)
        assert client.get(url(linked)).json()["project"] == "secret-b"
        assert client.get(url()).json()["results"][0]["project"] == "secret-b"


@pytest.mark.parametrize("who", ["alice", "bob", "vera"])
def test_an_outsider_to_the_project_sees_nothing_of_it(linked, who, request):
    """alice, bob and vera (institute A, not in the project) see the exchange but not the project."""
    client = bearer(request.getfixturevalue(who))
    detail = client.get(url(linked))
    listing = client.get(url())
    assert detail.status_code == listing.status_code == 200
    assert detail.json()["project"] is None
    assert listing.json()["results"][0]["project"] is None
    for response in (detail, listing):
        assert b"secret-b" not in response.content
        assert b"secret evaluation" not in response.content


def test_the_person_sees_the_project_while_the_exchange_gives_access(linked, alice, carol, bob):
    services.exchange_approve(user=alice, exchange=linked)
    services.exchange_approve(user=carol, exchange=linked)
    Exchange.objects.filter(pk=linked.pk).update(start_date=timezone.localdate())
    tick_all(linked, carol)
    services.exchange_activate(user=carol, exchange=linked)
    assert bearer(bob).get(url(linked)).json()["project"] == "secret-b"


def test_the_answer_to_a_transition_hides_the_project_too(linked, alice):
    body = bearer(alice).post(url(linked, "approve"), {}, format="json").json()
    assert body["approvals"][0]["institute"] == "inst-a"
    assert body["project"] is None


def test_the_activation_says_who_activated(alice, carol, approved):
    tick_all(approved, carol)
    body = bearer(carol).post(url(approved, "activate")).json()
    assert (body["status"], body["activated_by"]) == ("active", "carol")
