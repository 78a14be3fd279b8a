"""Findings over the API for the AI developer's contacts (only what was shared with them, without
the runs behind it), comments and responses, the response window and the lead's override."""

from __future__ import annotations

from django.core import mail

from evaluations.models import Finding, FindingResponse
from evaluations.services import findings
from tests.api_clients import bearer, error_of
from tests.evaluations.developer_side import contact_of, shared_finding
from tests.evaluations.factories import RunFactory

BASE = "/api/v1/findings/"


def test_a_contact_lists_only_shared_findings_without_runs(project, alice, devon, institute_a):
    contact_of(project, devon, invited_by=alice)
    run = RunFactory(project=project, institute=institute_a)
    shared = shared_finding(project, alice, title="Shared")
    findings.finding_update(user=alice, finding=shared, runs=[run])
    client = bearer(devon, scope="read")
    body = client.get(BASE).json()
    assert [f["title"] for f in body["results"]] == ["Shared"]
    item = body["results"][0]
    assert not {"runs", "evidence", "created_by"} & set(item)
    assert item["shared_at"]
    assert item["response_window_open"] is True
    assert item["response_window_closes_at"]
    draft = project.findings.get(title="Uplift on CTF tasks")
    assert client.get(f"{BASE}{draft.pk}/").status_code == 404
    assert client.get(f"{BASE}{draft.pk}/comments/").status_code == 404
    # participants still get the evidence
    mine = bearer(alice).get(f"{BASE}{shared.pk}/").json()
    assert mine["runs"] == [run.pk]
    assert mine["evidence"]


def test_acceptance_a_contact_responds_and_the_lead_reads_it(
    project, alice, devon, django_capture_on_commit_callbacks
):
    contact_of(project, devon, invited_by=alice)
    shared = shared_finding(project, alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = bearer(devon).post(
            f"{BASE}{shared.pk}/responses/", {"kind": "disputed", "text": "Seed-dependent."}
        )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "disputed"
    assert response.json()["organisation"] == "Frontier Lab"
    assert alice.email in {address for m in mail.outbox for address in m.to}
    listed = bearer(alice).get(f"{BASE}{shared.pk}/responses/").json()
    assert [(r["kind"], r["text"]) for r in listed] == [("disputed", "Seed-dependent.")]


def test_comments_from_both_sides(project, alice, bob, devon):
    contact_of(project, devon, invited_by=alice)
    shared = shared_finding(project, alice)
    url = f"{BASE}{shared.pk}/comments/"
    assert bearer(bob).post(url, {"body": "See run 4."}).status_code == 201
    assert bearer(devon).post(url, {"body": "Thanks."}).status_code == 201
    listed = bearer(devon).get(url).json()
    assert [(c["body"], c["by_developer"]) for c in listed] == [
        ("See run 4.", False),
        ("Thanks.", True),
    ]
    response = bearer(bob).post(url, {"body": "  "})
    assert response.status_code == 400
    assert "body" in error_of(response)["fields"]


def test_only_contacts_respond_and_only_with_a_known_kind(project, alice, devon):
    contact_of(project, devon, invited_by=alice)
    shared = shared_finding(project, alice)
    url = f"{BASE}{shared.pk}/responses/"
    assert bearer(alice).post(url, {"kind": "acknowledged", "text": "x"}).status_code == 403
    response = bearer(devon).post(url, {"kind": "ignored", "text": "x"})
    assert response.status_code == 400
    assert "kind" in error_of(response)["fields"]
    assert not FindingResponse.objects.exists()


def test_publishing_over_the_api_needs_a_reason_while_the_window_is_open(project, alice, bob):
    shared = shared_finding(project, alice)
    url = f"{BASE}{shared.pk}/transition/"
    response = bearer(alice).post(url, {"status": "published"})
    assert response.status_code == 400
    assert "open until" in str(error_of(response))
    response = bearer(alice).post(url, {"status": "published", "override_reason": ""})
    assert response.status_code == 400
    assert "override_reason" in error_of(response)["fields"]
    assert bearer(bob).post(url, {"status": "published", "override_reason": "x"}).status_code == (
        403
    )
    response = bearer(alice).post(url, {"status": "published", "override_reason": "Release."})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "published"
    assert body["publish_override_reason"] == "Release."
    assert body["publish_override_by"] == "alice"
    assert Finding.objects.get(pk=shared.pk).status == "published"


def test_the_projects_api_sets_the_response_window(project, alice):
    url = f"/api/v1/projects/{project.slug}/"
    assert bearer(alice).get(url).json()["developer_response_days"] == 14
    response = bearer(alice).patch(url, {"developer_response_days": 366})
    assert response.status_code == 400
    assert "developer_response_days" in error_of(response)["fields"]
    response = bearer(alice).patch(url, {"developer_response_days": 0})
    assert response.status_code == 200
    assert response.json()["developer_response_days"] == 0
