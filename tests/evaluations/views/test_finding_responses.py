"""The pages of what is said about a finding: the project's finding page (window, responses,
comments, the lead's override) and the developer's page of a finding shared with them (comment
and response forms, evidence as plain text). The acceptance: a developer contact responds and the
lead sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Finding, FindingComment, FindingResponse
from evaluations.services import finding_responses, findings
from institutes import audit
from tests.evaluations.developer_side import contact_of, shared_finding
from tests.evaluations.factories import RunFactory


@pytest.fixture
def contact(project, devon, alice):
    return contact_of(project, devon, invited_by=alice)


@pytest.fixture
def shared(project, alice, institute_a):
    run = RunFactory(project=project, institute=institute_a)
    finding = findings.finding_create(
        user=alice,
        project=project,
        title="Solves hard CTFs",
        body="Solved **7 of 10**.",
        evidence=[{"kind": "run", "run": run}],
    )
    findings.finding_transition(user=alice, finding=finding, status="agreed")
    return findings.finding_transition(user=alice, finding=finding, status="shared_with_developer")


def project_page(finding) -> str:
    return reverse("projects:finding", kwargs={"slug": finding.project.slug, "pk": finding.pk})


def developer_page(finding) -> str:
    return reverse("developers:finding", kwargs={"finding_id": finding.pk})


def test_acceptance_a_contact_responds_and_the_lead_sees_it(
    client, shared, contact, devon, alice, django_capture_on_commit_callbacks
):
    client.force_login(devon)
    page = client.get(developer_page(shared))
    assert page.status_code == 200
    assert "Solves hard CTFs" in page.text
    assert "<strong>7 of 10</strong>" in page.text
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            developer_page(shared),
            {"form": "response", "kind": "mitigated", "text": "Patched in *v1.1*."},
        )
    assert response.status_code == 302
    assert FindingResponse.objects.get().kind == "mitigated"
    assert alice.email in {address for m in mail.outbox for address in m.to}
    client.post(developer_page(shared), {"form": "comment", "body": "Which seeds did you use?"})
    assert FindingComment.objects.get().author == devon

    client.force_login(alice)
    page = client.get(project_page(shared)).text
    assert "Mitigated" in page
    assert "Patched in <em>v1.1</em>." in page
    assert "Devon" in page
    assert "Frontier Lab" in page
    assert "Which seeds did you use?" in page
    assert "response window open until" in page


def test_the_developer_sees_evidence_as_plain_text(client, shared, contact, devon):
    client.force_login(devon)
    page = client.get(developer_page(shared)).text
    run_id = shared.evidence.get().run_id
    assert f"Run {run_id}" in page
    assert reverse("runs:detail", kwargs={"run_id": run_id}) not in page
    assert "/runs/" not in page


def test_the_developer_page_is_only_for_shared_findings_of_their_projects(
    client, project, alice, contact, devon, charlie
):
    draft = findings.finding_create(user=alice, project=project, title="Still a draft")
    client.force_login(devon)
    assert client.get(developer_page(draft)).status_code == 404
    assert client.post(developer_page(draft), {"form": "comment", "body": "x"}).status_code == 404
    assert client.get(project_page(draft)).status_code == 404
    assert client.get(reverse("developers:finding", kwargs={"finding_id": 999999})).status_code == (
        404
    )
    shared = shared_finding(project, alice, title="Shared one")
    client.force_login(charlie)
    assert client.get(developer_page(shared)).status_code == 404
    client.force_login(alice)  # participants read it on the project's page
    assert client.get(developer_page(shared))["Location"] == project_page(shared)


def test_a_revoked_contact_gets_404(client, shared, contact, devon):
    contact.revoked_at = timezone.now()
    contact.save()
    client.force_login(devon)
    assert client.get(developer_page(shared)).status_code == 404


def test_a_bad_response_is_a_form_error(client, shared, contact, devon):
    client.force_login(devon)
    response = client.post(developer_page(shared), {"form": "response", "kind": "x", "text": ""})
    assert response.status_code == 200
    errors = response.context["response_form"].errors
    assert "kind" in errors
    assert "text" in errors
    assert not FindingResponse.objects.exists()


def test_the_lead_sees_the_window_and_overrides_it_with_a_reason(client, shared, alice):
    client.force_login(alice)
    page = client.get(project_page(shared))
    closes = shared.shared_at + timedelta(days=14)
    assert f'response window open until <time datetime="{closes:%Y-%m-%d}' in page.text
    assert page.context["override_form"] is not None
    transition = reverse(
        "projects:finding_transition", kwargs={"slug": shared.project.slug, "pk": shared.pk}
    )
    # the plain button is refused, naming the date
    response = client.post(transition, {"status": "published"}, follow=True)
    assert any("open until" in str(m) for m in response.context["messages"])
    # an empty reason is refused
    response = client.post(transition, {"status": "published", "override_reason": " "})
    assert response["Location"] == project_page(shared)
    assert Finding.objects.get(pk=shared.pk).status == "shared_with_developer"
    response = client.post(
        transition, {"status": "published", "override_reason": "Release is tomorrow."}
    )
    stored = Finding.objects.get(pk=shared.pk)
    assert stored.status == "published"
    assert stored.publish_override_by == alice
    page = client.get(project_page(shared)).text
    assert "Release is tomorrow." in page


def test_an_evaluator_gets_no_override_form_but_comments(client, shared, bob):
    client.force_login(bob)
    page = client.get(project_page(shared))
    assert page.context["override_form"] is None
    response = client.post(
        reverse("projects:finding_comment", kwargs={"slug": shared.project.slug, "pk": shared.pk}),
        {"body": "Seeds are in the log."},
    )
    assert response.status_code == 302
    assert "Seeds are in the log." in client.get(project_page(shared)).text


def test_a_closed_window_shows_as_closed(client, shared, alice):
    Finding.objects.filter(pk=shared.pk).update(shared_at=timezone.now() - timedelta(days=20))
    client.force_login(alice)
    page = client.get(project_page(shared))
    assert "response window closed on" in page.text
    assert page.context["override_form"] is None


def test_the_pages_are_free_of_n_plus_1(client, shared, contact, devon, alice, bob):
    def add(n: int) -> None:
        for i in range(n):
            finding_responses.finding_comment_add(finding=shared, author=bob, body=f"c{i}")
            finding_responses.finding_comment_add(finding=shared, author=devon, body=f"d{i}")
            finding_responses.finding_respond(
                finding=shared, by=devon, kind="acknowledged", text=f"r{i}"
            )

    def counts() -> tuple[int, int]:
        result = []
        for user, url in ((alice, project_page(shared)), (devon, developer_page(shared))):
            client.force_login(user)
            client.get(url)  # warm the session and the caches
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result[0], result[1]

    add(1)
    few = counts()
    add(5)
    assert counts() == few
    assert few[0] <= 12
    assert few[1] <= 10


def test_the_project_edit_form_sets_the_response_window(client, project, alice):
    client.force_login(alice)
    url = reverse("projects:edit", kwargs={"slug": project.slug})
    response = client.post(url, {"title": project.title, "developer_response_days": "30"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.developer_response_days == 30
    response = client.post(url, {"title": project.title, "developer_response_days": "400"})
    assert response.status_code == 200
    assert "developer_response_days" in response.context["form"].errors


def test_comments_and_responses_are_in_the_projects_audit_trail(
    client, shared, contact, devon, alice, bob
):
    for i in range(3):
        with audit.acting_as(actor_id=bob.pk, actor_kind="user", source="test"):
            finding_responses.finding_comment_add(finding=shared, author=bob, body=f"c{i}")
        with audit.acting_as(actor_id=devon.pk, actor_kind="user", source="test"):
            finding_responses.finding_respond(
                finding=shared, by=devon, kind="acknowledged", text=f"r{i}"
            )
    client.force_login(alice)
    url = reverse("project_audit", kwargs={"slug": shared.project.slug})
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).text
    assert "Solves hard CTFs" in page
    assert "evaluations_finding" not in page
    assert len(queries) < 40
