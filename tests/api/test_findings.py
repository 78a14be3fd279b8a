"""Findings over the API, and the embargo: results stay with the participating institutes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from evaluations.models import Finding
from evaluations.services import projects
from tests.api_clients import bearer, error_of

BASE = "/api/v1/findings/"


def test_participants_read_findings(project, vera):
    response = bearer(vera).get(BASE).json()
    assert [f["title"] for f in response["results"]] == ["Uplift on CTF tasks"]
    assert response["results"][0]["project"] == project.slug


def test_an_embargoed_projects_findings_are_hidden_from_non_participants(project, pm, alice):
    finding = project.findings.get()
    projects.project_update(
        user=alice, project=project, embargo_until=timezone.now() + timedelta(days=30)
    )
    client = bearer(pm)  # sees every project, but takes part in none
    assert client.get(f"/api/v1/projects/{project.slug}/").status_code == 200
    assert client.get(BASE).json()["count"] == 0
    assert client.get(f"{BASE}{finding.pk}/").status_code == 404
    response = client.post(BASE, {"project": project.slug, "title": "Late note"})
    assert response.status_code == 400
    assert "project" in error_of(response)["fields"]
    # the participants still see it
    assert bearer(alice).get(f"{BASE}{finding.pk}/").status_code == 200
    # and once the embargo is over, so does the programme manager
    projects.project_update(user=alice, project=project, embargo_until=None)
    assert client.get(f"{BASE}{finding.pk}/").status_code == 200


def test_outsiders_get_404_for_findings(project, charlie):
    finding = project.findings.get()
    client = bearer(charlie)
    assert client.get(BASE).json()["count"] == 0
    assert client.get(f"{BASE}{finding.pk}/").status_code == 404
    assert client.patch(f"{BASE}{finding.pk}/", {"title": "x"}).status_code == 404
    assert client.post(f"{BASE}{finding.pk}/transition/", {"status": "agreed"}).status_code == 404


def test_an_evaluator_records_a_finding_in_a_workstream(project, bob):
    ws = project.workstreams.get()
    response = bearer(bob).post(
        BASE,
        {
            "project": project.slug,
            "title": "Scaffold errors",
            "severity": "low",
            "body": "Tool calls failed.",
            "workstream": ws.pk,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["workstream"], body["domain"], body["created_by"]) == (ws.pk, "cyber", "bob")


def test_a_viewer_cannot_record_findings(project, vera):
    response = bearer(vera).post(BASE, {"project": project.slug, "title": "x"})
    assert response.status_code == 403


def test_a_workstream_of_another_project_is_refused(project, bob, charlie, institute_c):
    other = projects.project_create(user=charlie, title="C study", lead_institute=institute_c)
    ws = projects.workstream_create(
        user=charlie,
        project=other,
        domain=project.workstreams.get().domain,
        lead_institute=institute_c,
    )
    response = bearer(bob).post(BASE, {"project": project.slug, "title": "x", "workstream": ws.pk})
    assert response.status_code == 400
    assert "workstream" in error_of(response)["fields"]


def test_leads_move_findings_along_and_evaluators_cannot(project, alice, bob):
    finding = project.findings.get()
    url = f"{BASE}{finding.pk}/transition/"
    assert bearer(bob).post(url, {"status": "agreed"}).status_code == 403
    skipping = bearer(alice).post(url, {"status": "published"})
    assert skipping.status_code == 400
    assert "cannot become published" in error_of(skipping)["fields"]["status"][0]
    assert bearer(alice).post(url, {"status": "agreed"}).json()["status"] == "agreed"
    # once agreed, only leads edit it
    assert bearer(bob).patch(f"{BASE}{finding.pk}/", {"title": "x"}).status_code == 400
    edited = bearer(alice).patch(f"{BASE}{finding.pk}/", {"severity": "high"})
    assert edited.json()["severity"] == "high"
    assert Finding.objects.get().title == "Uplift on CTF tasks"


def test_findings_filter_by_status_severity_and_project(project, alice, bob):
    client = bearer(alice)
    assert client.get(BASE, {"status": "draft"}).json()["count"] == 1
    assert client.get(BASE, {"status": "agreed"}).json()["count"] == 0
    assert client.get(BASE, {"severity": "medium", "project": project.slug}).json()["count"] == 1
    assert client.get(BASE, {"domain": "cyber"}).json()["count"] == 0
    assert client.get(BASE, {"severity": "extreme"}).status_code == 400


# --- evidence ---------------------------------------------------------------------------------


def _runs(project, system, reference_system, institute_a):
    from tests.evaluations.factories import RunFactory, TaskFactory

    task = TaskFactory()
    run_a = RunFactory(project=project, task=task, system=system, institute=institute_a)
    run_b = RunFactory(project=project, task=task, system=reference_system, institute=institute_a)
    return run_a, run_b


def test_a_finding_cites_evidence_over_the_api(project, bob, system, reference_system, institute_a):
    run_a, run_b = _runs(project, system, reference_system, institute_a)
    sample = run_a.samples.create(sample_id="q1")
    evidence = [
        {"kind": "run", "run": run_a.pk},
        {"kind": "sample", "sample": sample.pk},
        {"kind": "comparison", "run": run_a.pk, "run_b": run_b.pk},
    ]
    response = bearer(bob).post(
        BASE, {"project": project.slug, "title": "Cited", "evidence": evidence}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["evidence"] == [
        {"kind": "run", "run": run_a.pk, "sample": None, "run_b": None},
        {"kind": "sample", "run": run_a.pk, "sample": sample.pk, "run_b": None},
        {"kind": "comparison", "run": run_a.pk, "sample": None, "run_b": run_b.pk},
    ]
    assert sorted(body["runs"]) == sorted([run_a.pk, run_b.pk])
    response = bearer(bob).patch(
        f"{BASE}{body['id']}/", {"evidence": [{"kind": "run", "run": run_b.pk}]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["evidence"] == [
        {"kind": "run", "run": run_b.pk, "sample": None, "run_b": None}
    ]


def test_evidence_from_another_project_is_a_400(
    project, bob, alice, system, reference_system, institute_a
):
    other = projects.project_create(user=alice, title="Elsewhere", lead_institute=institute_a)
    stranger, _ = _runs(other, system, reference_system, institute_a)
    response = bearer(bob).post(
        BASE,
        {
            "project": project.slug,
            "title": "Borrowed",
            "evidence": [{"kind": "run", "run": stranger.pk}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "evidence" in error_of(response)["fields"]
    assert not Finding.objects.filter(title="Borrowed").exists()
