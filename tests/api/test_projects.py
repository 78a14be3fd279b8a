"""The projects and systems endpoints: reads scoped by the access policy, writes through the
services, refusals as 400 (field and reason), 403 (role) or 404 (outside your projects)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluations.models import AccessWindow, EvaluationProject, Participation, Workstream
from evaluations.services import findings, guidelines, projects
from tests.api_clients import bearer, error_of


def url(project, *parts) -> str:
    return "/".join([f"/api/v1/projects/{project.slug}", *map(str, parts)]) + "/"


def test_a_member_lists_and_reads_their_project(project, vera, system, reference_system):
    client = bearer(vera)
    listing = client.get("/api/v1/projects/").json()
    assert listing["count"] == 1
    summary = listing["results"][0]
    assert summary["slug"] == project.slug
    assert {p["institute"]: p["role"] for p in summary["participants"]} == {
        "inst-a": "lead",
        "inst-b": "partner",
    }
    detail = client.get(url(project)).json()
    assert {(s["system"]["id"], s["is_reference"]) for s in detail["systems"]} == {
        (system.pk, False),
        (reference_system.pk, True),
    }
    assert detail["access_windows"][0]["is_open"] is True
    assert detail["workstreams"][0]["domain"] == "cyber"
    assert detail["workstreams"][0]["members"] == ["bob"]


def test_an_outsider_gets_404_for_the_project_and_its_actions(project, charlie):
    client = bearer(charlie)
    assert client.get("/api/v1/projects/").json()["count"] == 0
    response = client.get(url(project))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert client.post(url(project, "transition"), {"status": "active"}).status_code == 404
    assert client.patch(url(project), {"title": "Mine now"}).status_code == 404
    project.refresh_from_db()
    assert project.status == "proposed"
    assert project.title != "Mine now"


def test_a_lead_opens_a_project_with_partners_they_lead(alice, institute_a, institute_b):
    from institutes.models import Membership, Role

    Membership.objects.create(user=alice, institute=institute_b, role=Role.LEAD)
    response = bearer(alice).post(
        "/api/v1/projects/",
        {
            "title": "Agentic autonomy study",
            "lead_institute": "inst-a",
            "partner_institutes": ["inst-b"],
            "embargo_until": "2030-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "agentic-autonomy-study"
    assert body["is_embargoed"] is True
    assert {p["institute"] for p in body["participants"]} == {"inst-a", "inst-b"}


def test_adding_an_institute_the_user_does_not_lead_is_refused_with_the_field(
    project, alice, institute_c
):
    response = bearer(alice).post(url(project, "participants"), {"institute": "inst-c"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert "Only a lead of Institute C" in error["fields"]["institute"][0]
    assert not project.participations.filter(institute=institute_c).exists()


def test_opening_a_project_with_a_partner_the_user_does_not_lead_names_the_field(
    alice, institute_b
):
    response = bearer(alice).post(
        "/api/v1/projects/",
        {"title": "X study", "lead_institute": "inst-a", "partner_institutes": ["inst-b"]},
    )
    assert response.status_code == 400
    assert "Only a lead of Institute B" in error_of(response)["fields"]["partner_institutes"][0]
    assert not EvaluationProject.objects.exists()


def test_opening_a_project_for_an_institute_one_does_not_lead_is_forbidden(alice, institute_b):
    response = bearer(alice).post(
        "/api/v1/projects/", {"title": "X study", "lead_institute": "inst-b"}
    )
    assert response.status_code == 403
    assert "do not lead Institute B" in error_of(response)["message"]


def test_missing_and_malformed_input_names_each_field(alice):
    response = bearer(alice).post(
        "/api/v1/projects/",
        {"lead_institute": "nowhere", "embargo_until": "soon", "slug": "Not a slug!"},
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"title", "lead_institute", "embargo_until", "slug"}


def test_a_lead_adds_and_removes_a_participant(project, alice, pm, institute_b):
    client = bearer(pm)
    assert client.delete(url(project, "participants", "inst-b")).status_code == 204
    assert not project.participations.filter(institute=institute_b).exists()
    response = client.post(url(project, "participants"), {"institute": "inst-b"})
    assert response.status_code == 201
    assert response.json() == {
        "institute": "inst-b",
        "institute_name": "Institute B",
        "role": "partner",
        "joined_at": response.json()["joined_at"],
    }
    removing_last_lead = bearer(alice).delete(url(project, "participants", "inst-a"))
    assert removing_last_lead.status_code == 400
    assert "at least one lead" in error_of(removing_last_lead)["fields"]["institute"][0]
    assert project.participations.filter(role=Participation.Role.LEAD).exists()


def test_an_access_window_ending_before_it_starts_is_refused(project, alice, system):
    now = timezone.now()
    response = bearer(alice).post(
        url(project, "access-windows"),
        {
            "system": system.pk,
            "starts_at": (now + timedelta(days=40)).isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "ends_at": ["The access window must end after it starts."]
    }
    assert AccessWindow.objects.count() == 1


def test_a_lead_opens_and_deletes_an_access_window(project, alice, reference_system):
    now = timezone.now()
    client = bearer(alice)
    response = client.post(
        url(project, "access-windows"),
        {
            "system": reference_system.pk,
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=3)).isoformat(),
            "terms": "Rate limited.",
        },
    )
    assert response.status_code == 201, response.json()
    window_id = response.json()["id"]
    assert client.delete(url(project, "access-windows", window_id)).status_code == 204
    assert not AccessWindow.objects.filter(pk=window_id).exists()


def test_closing_a_project_with_unfinished_findings_is_refused(project, alice):
    client = bearer(alice)
    for status in ("active", "reporting"):
        assert client.post(url(project, "transition"), {"status": status}).status_code == 200
    response = client.post(url(project, "transition"), {"status": "closed"})
    assert response.status_code == 400
    assert "1 unfinished finding" in error_of(response)["fields"]["status"][0]
    project.refresh_from_db()
    assert project.status == "reporting"


def test_an_unknown_or_impossible_transition_is_refused(project, alice):
    client = bearer(alice)
    unknown = client.post(url(project, "transition"), {"status": "finished"})
    assert unknown.status_code == 400
    assert "status" in error_of(unknown)["fields"]
    impossible = client.post(url(project, "transition"), {"status": "closed"})
    assert "proposed project cannot become closed" in error_of(impossible)["fields"]["status"][0]


def test_viewers_and_evaluators_cannot_manage_the_project(project, vera, bob):
    for user in (vera, bob):
        response = bearer(user).post(url(project, "transition"), {"status": "active"})
        assert response.status_code == 403
        assert error_of(response)["code"] == "permission_denied"
    project.refresh_from_db()
    assert project.status == "proposed"


def test_a_lead_edits_the_project_and_lifts_the_embargo(project, alice):
    client = bearer(alice)
    response = client.patch(url(project), {"embargo_until": "2031-05-01T00:00:00Z"})
    assert response.json()["is_embargoed"] is True
    response = client.patch(url(project), {"title": "Renamed", "embargo_until": None})
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["embargo_until"], body["description"]) == (
        "Renamed",
        None,
        project.description,
    )


def test_put_is_not_offered(project, alice):
    assert bearer(alice).put(url(project), {"title": "x"}).status_code == 405


def test_systems_are_added_and_removed(project, alice):
    client = bearer(alice)
    created = client.post(
        "/api/v1/systems/",
        {
            "developer": "Other Lab",
            "name": "Agent",
            "inspect_model": "mockllm/model",
            "kind": "agent",
        },
    )
    assert created.status_code == 201, created.json()
    new_id = created.json()["id"]
    added = client.post(url(project, "systems"), {"system": new_id, "is_reference": True})
    assert added.status_code == 201
    assert added.json()["system"]["id"] == new_id
    again = client.post(url(project, "systems"), {"system": new_id})
    assert "already in this project" in error_of(again)["fields"]["system"][0]
    assert client.delete(url(project, "systems", new_id)).status_code == 204


def test_a_system_keeps_the_name_of_its_key_variable_never_a_key(alice):
    response = bearer(alice).post(
        "/api/v1/systems/",
        {
            "developer": "Lab",
            "name": "M",
            "inspect_model": "openai-api/lab/m",
            "base_url": "http://127.0.0.1:9/v1",
            "api_key_env": "sk-live-123",
        },
    )
    assert response.status_code == 400
    assert "never the key itself" in error_of(response)["fields"]["api_key_env"][0]


def test_only_leads_register_systems(bob, vera):
    for user in (bob, vera):
        response = bearer(user).post(
            "/api/v1/systems/", {"developer": "L", "name": "M", "inspect_model": "mockllm/model"}
        )
        assert response.status_code == 403


def test_systems_of_other_institutes_projects_are_invisible(project, charlie, system):
    client = bearer(charlie)
    assert client.get(f"/api/v1/systems/{system.pk}/").status_code == 404
    assert client.patch(f"/api/v1/systems/{system.pk}/", {"name": "x"}).status_code == 404
    unlinked = projects.system_create(
        user=charlie, developer="C Lab", name="Open", inspect_model="mockllm/model"
    )
    ids = [s["id"] for s in client.get("/api/v1/systems/").json()["results"]]
    assert ids == [unlinked.pk]
    # nor can they be named in a project of their own
    own = projects.project_create(
        user=charlie, title="C study", lead_institute=charlie.institutes.get()
    )
    response = client.post(url(own, "systems"), {"system": system.pk})
    assert response.status_code == 400
    assert "does not exist" in error_of(response)["fields"]["system"][0]


def test_a_lead_manages_workstreams(project, alice, bob, charlie, institute_a):
    client = bearer(alice)
    response = client.post(
        url(project, "workstreams"),
        {"domain": "biological", "lead_institute": "inst-a", "members": ["bob", "charlie"]},
    )
    assert response.status_code == 400
    assert "charlie" in error_of(response)["fields"]["members"][0]
    response = client.post(
        url(project, "workstreams"), {"domain": "biological", "lead_institute": "inst-a"}
    )
    assert response.status_code == 201
    ws_id = response.json()["id"]
    response = client.patch(url(project, "workstreams", ws_id), {"members": ["bob"]})
    assert response.status_code == 200
    assert response.json()["members"] == ["bob"]
    assert client.delete(url(project, "workstreams", ws_id)).status_code == 204
    assert not Workstream.objects.filter(pk=ws_id).exists()


def test_a_workstream_of_another_project_is_404(project, alice, institute_a, institute_c, charlie):
    other = projects.project_create(user=charlie, title="C study", lead_institute=institute_c)
    ws = projects.workstream_create(
        user=charlie,
        project=other,
        domain=project.workstreams.get().domain,
        lead_institute=institute_c,
    )
    response = bearer(alice).delete(url(project, "workstreams", ws.pk))
    assert response.status_code == 404
    assert Workstream.objects.filter(pk=ws.pk).exists()


def test_a_project_adopts_an_approved_guideline_version(project, alice, approved_version):
    client = bearer(alice)
    response = client.post(url(project, "adopt"), {"version": approved_version.pk})
    assert response.status_code == 201
    assert response.json()["guideline"] == "cyber-ctf"
    twice = client.post(url(project, "adopt"), {"version": approved_version.pk})
    assert "already adopted" in error_of(twice)["fields"]["version"][0]
    detail = client.get(url(project)).json()
    assert [a["version_number"] for a in detail["adopted_guidelines"]] == [1]


@pytest.fixture
def more_projects(alice, institute_a, institute_b, pm):
    made = []
    for i, status in enumerate(["active", "active", "reporting"]):
        p = projects.project_create(user=alice, title=f"Study {i}", lead_institute=institute_a)
        projects.project_transition(user=alice, project=p, status="active")
        if status == "reporting":
            projects.participation_add(user=pm, project=p, institute=institute_b)
            projects.project_transition(user=alice, project=p, status="reporting")
        made.append(p)
    return made


def test_projects_filter_by_status_institute_domain_and_search(project, more_projects, alice):
    client = bearer(alice)

    def slugs(query):
        response = client.get("/api/v1/projects/", query)
        assert response.status_code == 200, response.json()
        return sorted(p["slug"] for p in response.json()["results"])

    assert slugs({"status": "active"}) == ["study-0", "study-1"]
    assert slugs({"status": ["active", "reporting"]}) == ["study-0", "study-1", "study-2"]
    assert slugs({"institute": "inst-b"}) == sorted([project.slug, "study-2"])
    assert slugs({"domain": "cyber"}) == [project.slug]
    assert slugs({"search": "Study 1"}) == ["study-1"]
    assert slugs({"created_after": (timezone.now() + timedelta(hours=1)).isoformat()}) == []
    ordered = client.get("/api/v1/projects/", {"ordering": "title"}).json()["results"]
    assert [p["title"] for p in ordered][:2] == ["Frontier 2 pre-deployment", "Study 0"]


def test_a_bad_filter_value_is_a_400_naming_the_filter(alice, project):
    response = bearer(alice).get("/api/v1/projects/", {"status": "finished"})
    assert response.status_code == 400
    assert "status" in error_of(response)["fields"]


def test_pages_have_a_size_and_a_next_link(alice, more_projects, project):
    response = bearer(alice).get("/api/v1/projects/", {"page_size": 2}).json()
    assert response["count"] == 4
    assert len(response["results"]) == 2
    assert "page=2" in response["next"]
    assert bearer(alice).get("/api/v1/projects/", {"page": 9}).status_code == 404


def test_findings_of_an_unfinished_project_block_close_until_shared(project, alice):
    finding = project.findings.get()
    for status in ("active", "reporting"):
        projects.project_transition(user=alice, project=project, status=status)
    for status in ("agreed", "shared_with_developer"):
        findings.finding_transition(user=alice, finding=finding, status=status)
    response = bearer(alice).post(url(project, "transition"), {"status": "closed"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def test_a_version_of_a_guideline_the_user_cannot_see_is_not_adoptable(
    project, alice, carol, institute_a
):
    """A guideline of A's alone does not exist for B's lead: adopting its version is refused as an
    unknown version (400), and nothing is adopted."""
    private = guidelines.guideline_create(
        user=alice,
        code="a-only",
        title="A's own protocol",
        owner_institute=institute_a,
        required_institutes=[institute_a],
    )
    version = guidelines.guideline_version_create(user=alice, guideline=private, body_markdown="x")
    guidelines.guideline_version_submit(user=alice, version=version)
    version = guidelines.guideline_version_approve(
        user=alice, version=version, institute=institute_a
    )
    response = bearer(carol).post(url(project, "adopt"), {"version": version.pk})
    assert response.status_code == 400
    assert "version" in error_of(response)["fields"]
    assert not project.adoptions.exists()
    assert bearer(alice).post(url(project, "adopt"), {"version": version.pk}).status_code == 201
