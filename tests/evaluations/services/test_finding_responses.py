"""The developer's response window on a finding, comments and the developer's responses: who may
write them, on which findings, and who is told by e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from evaluations import rules
from evaluations.models import Finding, FindingComment, FindingResponse
from evaluations.services import finding_responses, findings, projects
from tests.evaluations.developer_side import contact_of, shared_finding


@pytest.fixture
def contact(project, devon, alice):
    return contact_of(project, devon, invited_by=alice)


def test_sharing_stamps_shared_at_once_and_tells_the_contacts(
    project, alice, contact, django_capture_on_commit_callbacks
):
    finding = findings.finding_create(user=alice, project=project, title="Uplift")
    findings.finding_transition(user=alice, finding=finding, status="agreed")
    assert Finding.objects.get(pk=finding.pk).shared_at is None
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        finding = findings.finding_transition(
            user=alice, finding=finding, status="shared_with_developer"
        )
    assert finding.shared_at is not None
    assert finding.shared_at >= before
    [message] = mail.outbox
    assert message.to == [contact.email]
    assert "Uplift" in message.subject
    assert f"/developer/findings/{finding.pk}/" in message.body
    # publishing later keeps the first date
    first = finding.shared_at
    project.developer_response_days = 0
    project.save()
    finding = findings.finding_transition(user=alice, finding=finding, status="published")
    assert Finding.objects.get(pk=finding.pk).shared_at == first


def test_the_window_opens_on_sharing_for_the_projects_days(project, alice):
    finding = findings.finding_create(user=alice, project=project, title="Uplift")
    assert rules.response_window(finding) == (False, None)
    finding = shared_finding(project, alice)
    is_open, closes_at = rules.response_window(finding)
    assert is_open
    assert closes_at == finding.shared_at + timedelta(days=14)
    assert rules.response_window(finding, at=closes_at + timedelta(seconds=1)) == (False, closes_at)
    finding.project.developer_response_days = 0
    assert rules.response_window(finding) == (False, None)


def test_publishing_waits_for_the_window_naming_its_end(project, alice):
    finding = shared_finding(project, alice)
    closes = finding.shared_at + timedelta(days=14)
    with pytest.raises(ValidationError, match="open until") as caught:
        findings.finding_transition(user=alice, finding=finding, status="published")
    assert f"{closes:%d %b %Y}" in str(caught.value)
    assert Finding.objects.get(pk=finding.pk).status == "shared_with_developer"


def test_once_the_window_closed_the_lead_publishes(project, alice):
    finding = shared_finding(project, alice)
    Finding.objects.filter(pk=finding.pk).update(shared_at=timezone.now() - timedelta(days=15))
    finding = findings.finding_transition(user=alice, finding=finding, status="published")
    assert finding.status == "published"
    assert finding.publish_override_reason == ""
    assert finding.publish_override_by is None


def test_without_a_window_the_lead_publishes_at_once(project, alice):
    projects.project_update(user=alice, project=project, developer_response_days=0)
    finding = shared_finding(project, alice)
    assert findings.finding_transition(user=alice, finding=finding, status="published").status == (
        "published"
    )


def test_a_lead_overrides_the_window_with_a_reason(project, alice):
    finding = shared_finding(project, alice)
    finding = findings.finding_transition(
        user=alice, finding=finding, status="published", override_reason="  Imminent release.  "
    )
    stored = Finding.objects.get(pk=finding.pk)
    assert stored.status == "published"
    assert stored.publish_override_reason == "Imminent release."
    assert stored.publish_override_by == alice


def test_a_programme_manager_may_override_too(project, alice, pm):
    finding = shared_finding(project, alice)
    findings.finding_transition(user=pm, finding=finding, status="published", override_reason="x")
    assert Finding.objects.get(pk=finding.pk).publish_override_by == pm


def test_an_empty_reason_is_refused(project, alice):
    finding = shared_finding(project, alice)
    with pytest.raises(ValidationError) as caught:
        findings.finding_transition(
            user=alice, finding=finding, status="published", override_reason="   "
        )
    assert "override_reason" in caught.value.error_dict
    assert Finding.objects.get(pk=finding.pk).status == "shared_with_developer"


def test_an_evaluator_cannot_override(project, alice, bob):
    finding = shared_finding(project, alice)
    with pytest.raises(PermissionDenied):
        findings.finding_transition(
            user=bob, finding=finding, status="published", override_reason="Because."
        )
    stored = Finding.objects.get(pk=finding.pk)
    assert stored.status == "shared_with_developer"
    assert stored.publish_override_reason == ""


def test_response_days_stay_within_a_year(project, alice):
    with pytest.raises(ValidationError, match="between 0"):
        projects.project_update(user=alice, project=project, developer_response_days=366)
    projects.project_update(user=alice, project=project, developer_response_days=365)
    project.refresh_from_db()
    assert project.developer_response_days == 365


def test_a_contact_responds_and_the_leads_are_told(
    project, alice, devon, contact, institute_b, django_capture_on_commit_callbacks
):
    finding = shared_finding(project, alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = finding_responses.finding_respond(
            finding=finding, by=devon, kind="disputed", text="We cannot reproduce it."
        )
    assert response.contact == contact
    assert response.kind == "disputed"
    assert {address for m in mail.outbox for address in m.to} >= {alice.email}
    assert all("responded" in m.subject for m in mail.outbox)
    assert f"/projects/{project.slug}/findings/{finding.pk}/" in mail.outbox[0].body


def test_only_contacts_respond(project, alice, bob, pm):
    finding = shared_finding(project, alice)
    for user in (alice, bob, pm):
        with pytest.raises(PermissionDenied):
            finding_responses.finding_respond(
                finding=finding, by=user, kind="acknowledged", text="x"
            )
    assert not FindingResponse.objects.exists()


def test_only_shared_findings_get_responses_and_developer_comments(project, alice, devon, contact):
    finding = findings.finding_create(user=alice, project=project, title="Draft")
    with pytest.raises(ValidationError, match="not been shared"):
        finding_responses.finding_respond(finding=finding, by=devon, kind="acknowledged", text="x")
    with pytest.raises(ValidationError, match="not been shared"):
        finding_responses.finding_comment_add(finding=finding, author=devon, body="x")
    # participants comment on any finding of theirs
    finding_responses.finding_comment_add(finding=finding, author=alice, body="Check run 3.")
    assert FindingComment.objects.count() == 1


def test_a_revoked_contact_is_refused(project, alice, devon, contact):
    finding = shared_finding(project, alice)
    contact.revoked_at = timezone.now()
    contact.save()
    for call in (
        lambda: finding_responses.finding_respond(
            finding=finding, by=devon, kind="acknowledged", text="x"
        ),
        lambda: finding_responses.finding_comment_add(finding=finding, author=devon, body="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_a_contact_of_another_project_is_refused(project, alice, devon, institute_a):
    from tests.evaluations.factories import ProjectFactory

    other = ProjectFactory(slug="other")
    contact_of(other, devon, invited_by=alice)
    finding = shared_finding(project, alice)
    with pytest.raises(PermissionDenied):
        finding_responses.finding_respond(finding=finding, by=devon, kind="acknowledged", text="x")


def test_bad_kind_and_empty_text_are_refused(project, alice, devon, contact):
    finding = shared_finding(project, alice)
    with pytest.raises(ValidationError) as caught:
        finding_responses.finding_respond(finding=finding, by=devon, kind="ignored", text="x")
    assert "kind" in caught.value.error_dict
    with pytest.raises(ValidationError) as caught:
        finding_responses.finding_respond(finding=finding, by=devon, kind="mitigated", text="  ")
    assert "text" in caught.value.error_dict
    with pytest.raises(ValidationError):
        finding_responses.finding_comment_add(finding=finding, author=alice, body="")
    assert not FindingResponse.objects.exists()
    assert not FindingComment.objects.exists()


def test_viewers_and_outsiders_do_not_comment(project, alice, vera, charlie):
    finding = shared_finding(project, alice)
    for user in (vera, charlie):
        with pytest.raises(PermissionDenied):
            finding_responses.finding_comment_add(finding=finding, author=user, body="x")


def test_comments_and_responses_are_kept(project, alice, devon, contact):
    finding = shared_finding(project, alice)
    comment = finding_responses.finding_comment_add(finding=finding, author=devon, body="Hi")
    response = finding_responses.finding_respond(
        finding=finding, by=devon, kind="acknowledged", text="Yes"
    )
    for obj in (comment, response):
        with pytest.raises(Exception):  # noqa: B017 (the model or the database refuses)
            obj.delete()
    assert FindingComment.objects.count() == 1
    assert FindingResponse.objects.count() == 1
