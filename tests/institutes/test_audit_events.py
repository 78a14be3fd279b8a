"""Security events of the audit trail (institutes.audit.record): tokens, denied access, exports,
reads of embargoed results; the trail in the admin (programme managers) and a project's trail
on its page (its leads)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from evaluations.models import Finding
from institutes.models import AuditEvent
from institutes.services import token_create, token_revoke
from tests.evaluations.results_world import build_results_world


def events(action: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


@pytest.fixture
def rw(institute_a, institute_b, alice, bob, vera):
    return build_results_world(institute_a=institute_a, institute_b=institute_b, slug="audited")


@pytest.fixture
def embargoed(rw):
    rw.project.embargo_until = timezone.now() + timedelta(days=30)
    rw.project.save(update_fields=["embargo_until"])
    return rw


# --- tokens --------------------------------------------------------------------------------


def test_issuing_and_revoking_a_token_are_recorded(alice, pm):
    token, _raw = token_create(user=alice, name="harness", expires_in_days=5, by=pm)
    token_revoke(token=token, by=pm)
    token_revoke(token=token, by=pm)  # twice: one event
    issued, revoked = events("token_issued"), events("token_revoked")
    assert [(e.actor_id, e.object_id) for e in issued] == [(pm.pk, str(token.pk))]
    assert issued[0].changes["owner"] == "alice"
    assert [(e.actor_id, e.object_id) for e in revoked] == [(pm.pk, str(token.pk))]


# --- denied access -------------------------------------------------------------------------


def test_a_404_of_the_access_policy_is_recorded_once_per_request(client, charlie, rw):
    client.force_login(charlie)
    url = reverse("runs:detail", kwargs={"run_id": rw.run_a.pk})
    assert client.get(url).status_code == 404
    (event,) = events("access_denied")
    assert event.actor_id == charlie.pk
    assert event.changes == {
        "status": 404,
        "view": "runs:detail",
        "kwargs": {"run_id": str(rw.run_a.pk)},
    }
    assert event.source == f"GET {url}"


def test_a_403_is_recorded(client, vera, rw):
    client.force_login(vera)
    url = reverse("jobs:cancel", kwargs={"job_id": rw.running.pk})
    assert client.post(url).status_code == 403
    assert [e.changes["status"] for e in events("access_denied")] == [403]


def test_a_refused_api_token_request_is_recorded_as_the_token(charlie, rw):
    _, raw = token_create(user=charlie, name="probe", expires_in_days=1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(f"/api/v1/runs/{rw.run_a.pk}/").status_code == 404
    (event,) = events("access_denied")
    assert (event.actor_id, event.actor_kind) == (charlie.pk, "token")


def test_anonymous_refusals_and_unknown_addresses_are_not_recorded(client, charlie, rw):
    client.get(reverse("runs:detail", kwargs={"run_id": rw.run_a.pk}))  # anonymous
    APIClient().get(f"/api/v1/runs/{rw.run_a.pk}/")
    client.force_login(charlie)
    client.get("/no/such/page/")
    client.get("/api/v1/no-such-resource/")
    assert events("access_denied") == []


# --- exports and embargoed reads -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "what", "fmt"),
    [
        ("projects:results_csv", "results", "csv"),
        ("projects:results_json", "results", "json"),
        ("runs:samples_csv", "samples", "csv"),
        ("runs:samples_json", "samples", "json"),
    ],
)
def test_exports_are_recorded(client, bob, rw, name, what, fmt):
    client.force_login(bob)
    kwargs = {"slug": rw.project.slug} if what == "results" else {"run_id": rw.run_a.pk}
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 200
    (event,) = events("export")
    assert (event.actor_id, event.project_id) == (bob.pk, rw.project.pk)
    assert (event.changes["what"], event.changes["format"]) == (what, fmt)


def test_reading_embargoed_results_is_recorded_once_per_request(client, vera, embargoed):
    client.force_login(vera)
    client.get(reverse("runs:detail", kwargs={"run_id": embargoed.run_a.pk}))
    client.get(reverse("projects:results", kwargs={"slug": embargoed.project.slug}))
    reads = events("embargoed_read")
    assert [(e.actor_id, e.project_id) for e in reads] == [(vera.pk, embargoed.project.pk)] * 2
    assert len({e.request_id for e in reads}) == 2


def test_results_without_an_embargo_add_no_event(client, vera, rw):
    client.force_login(vera)
    client.get(reverse("runs:detail", kwargs={"run_id": rw.run_a.pk}))
    assert events("embargoed_read") == []


def test_a_programme_manager_outside_an_embargo_reads_nothing_and_is_recorded_as_denied(
    client, pm, embargoed
):
    client.force_login(pm)
    url = reverse("runs:detail", kwargs={"run_id": embargoed.run_a.pk})
    assert client.get(url).status_code == 404
    assert events("embargoed_read") == []
    assert len(events("access_denied")) == 1


# --- the trail in the admin ----------------------------------------------------------------


def test_programme_managers_browse_the_trail_in_the_admin(client, pm, rw):
    client.force_login(pm)
    response = client.get("/admin/institutes/auditevent/?action=insert")
    assert response.status_code == 200
    assert "evaluations_evaluationrun" in response.content.decode()
    event = AuditEvent.objects.first()
    change = client.get(f"/admin/institutes/auditevent/{event.pk}/change/")
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()  # read-only
    assert client.post(f"/admin/institutes/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/institutes/auditevent/add/").status_code == 403


def test_other_staff_do_not_see_the_trail(client, alice):
    alice.is_staff = True
    alice.is_superuser = False
    alice.save()
    client.force_login(alice)
    assert client.get("/admin/institutes/auditevent/").status_code == 403


def test_the_admin_trail_keeps_embargoed_results_from_a_programme_manager_outside(
    client, pm, alice, embargoed
):
    Finding.objects.create(project=embargoed.project, title="Secret-capability-finding")
    client.force_login(pm)
    body = client.get("/admin/institutes/auditevent/?table=evaluations_finding").content.decode()
    assert "Secret-capability-finding" not in body
    listed = client.get("/admin/institutes/auditevent/?q=&table=evaluations_runscore")
    assert str(embargoed.run_a.pk) not in _object_ids(listed)


def _object_ids(response) -> set[str]:
    return {e.object_id for e in response.context["cl"].result_list}


# --- a project's trail on its page ---------------------------------------------------------


def test_a_lead_sees_the_projects_trail(client, alice, rw):
    Finding.objects.create(project=rw.project, title="Reward hacking in the cyber range")
    client.force_login(alice)
    response = client.get(reverse("project_audit", kwargs={"slug": rw.project.slug}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Reward hacking in the cyber range" in body
    assert "recorded the score" in body  # rows under a run carry the run's project


@pytest.mark.parametrize(("who", "status"), [("vera", 403), ("bob", 403), ("charlie", 404)])
def test_others_do_not_see_the_projects_trail(client, rw, who, status, charlie, request):
    client.force_login(request.getfixturevalue(who))
    url = reverse("project_audit", kwargs={"slug": rw.project.slug})
    assert client.get(url).status_code == status


def test_the_projects_trail_is_paginated_with_bounded_queries(
    client, alice, rw, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("project_audit", kwargs={"slug": rw.project.slug})
    client.get(url)
    # One query per kind of object named on the page, never one per event.
    with django_assert_max_num_queries(30):
        first = client.get(url)
    AuditEvent.objects.bulk_create(
        AuditEvent(action="export", project_id=rw.project.pk, changes={"n": n}) for n in range(300)
    )
    with django_assert_max_num_queries(30):
        page = client.get(url, {"page": 3})
    assert page.context["page"].paginator.num_pages > first.context["page"].paginator.num_pages
    assert len(page.context["page"].object_list) == 50


def test_under_an_embargo_a_programme_manager_outside_sees_no_results_in_the_trail(
    client, pm, alice, embargoed
):
    Finding.objects.create(project=embargoed.project, title="Secret-capability-finding")
    client.force_login(pm)
    response = client.get(reverse("project_audit", kwargs={"slug": embargoed.project.slug}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Secret-capability-finding" not in body
    assert "recorded the score" not in body
    assert "under embargo" in body
