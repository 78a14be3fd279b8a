"""Inviting, accepting and revoking developer contacts (evaluations.services.developer_contacts),
and the e-mails of the developer's side (evaluations.services.developer_mail)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from evaluations.models import DeveloperContact, Organisation
from evaluations.services import developer_contacts as services
from evaluations.services import developer_mail
from institutes import access
from institutes.models import AuditEvent, User
from tests.evaluations.developers.conftest import token_from_mail

pytestmark = pytest.mark.django_db


def test_lead_invites_and_the_email_carries_an_absolute_sign_up_link(dw, alice, invite):
    contact, token = invite(dw.project, alice)
    message = mail.outbox[-1]
    assert message.to == ["devon@developer.example"]
    assert dw.project.title in message.subject
    assert f"http://testserver/developer/accept/{token}/" in message.body or (
        f"/developer/accept/{token}/" in message.body and "://" in message.body
    )
    assert "Frontier Lab" in message.body
    assert "Devon Developer" in message.body
    # only the token's hash is stored
    assert contact.invitation_hash == services.token_hash(token) != token
    assert services.contact_status(contact) == "invited"
    assert contact.organisation.kind == Organisation.Kind.DEVELOPER


@override_settings(CONCORD_DEVELOPER_INVITE_DAYS=3)
def test_invitation_expires_after_the_configured_days(dw, alice, invite):
    contact, _ = invite(dw.project, alice)
    left = contact.invitation_expires_at - timezone.now()
    assert timedelta(days=2, hours=23) < left <= timedelta(days=3)


def test_organisation_by_name_is_found_case_insensitively(dw, alice, invite):
    lab = Organisation.objects.create(name="Frontier Lab")
    contact, _ = invite(dw.project, alice, organisation="  frontier   LAB ")
    assert contact.organisation == lab
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize("who", ["bob", "vera", "charlie"])
def test_only_leads_and_programme_managers_invite(dw, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.developer_contact_invite(
            project=dw.project, by=user, email="x@lab.example", name="X", organisation="Lab"
        )
    assert not DeveloperContact.objects.exists()


def test_programme_manager_invites(dw, pm, invite):
    contact, _ = invite(dw.project, pm)
    assert contact.invited_by == pm


def test_staff_of_a_participating_institute_is_refused(dw, alice, bob):
    with pytest.raises(ValidationError) as exc:
        services.developer_contact_invite(
            project=dw.project, by=alice, email=bob.email.upper(), name="Bob", organisation="Lab"
        )
    assert "participants" in str(exc.value)


def test_outsider_staff_may_be_invited(dw, alice, charlie, invite):
    """charlie's institute takes no part in the project: he may be the developer's contact."""
    contact, _ = invite(dw.project, alice, email=charlie.email)
    assert contact.email == charlie.email


def test_bad_input_is_refused_whole(dw, alice):
    for email, name, organisation in [
        ("", "N", "Lab"),
        ("not-an-address", "N", "Lab"),
        ("a@lab.example", "", "Lab"),
        ("a@lab.example", "N", "  "),
    ]:
        with pytest.raises(ValidationError):
            services.developer_contact_invite(
                project=dw.project, by=alice, email=email, name=name, organisation=organisation
            )
    assert not DeveloperContact.objects.exists()
    assert not Organisation.objects.exists()


def test_an_active_contact_cannot_be_invited_again(dw, alice, active_devon):
    with pytest.raises(ValidationError, match="already a developer contact"):
        services.developer_contact_invite(
            project=dw.project,
            by=alice,
            email="DEVON@developer.example",
            name="Devon",
            organisation="Lab",
        )


def test_reinvite_replaces_the_link(dw, alice, devon, invite, django_capture_on_commit_callbacks):
    contact, first = invite(dw.project, alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.developer_contact_reinvite(contact=contact, by=alice)
    second = token_from_mail(mail.outbox[-1])
    assert second != first
    assert DeveloperContact.objects.count() == 1
    with pytest.raises(ValidationError, match="not valid"):
        services.developer_contact_accept(token=first, user=devon)
    assert services.developer_contact_accept(token=second, user=devon).user == devon


def test_accept_as_a_new_account(dw, alice, invite):
    contact, token = invite(dw.project, alice, email="new.person@developer.example")
    accepted = services.developer_contact_accept(
        token=token, username="newperson", password="a long enough pass phrase"
    )
    user = accepted.user
    assert user.username == "newperson"
    assert user.email == "new.person@developer.example"
    assert user.check_password("a long enough pass phrase")
    assert not user.memberships.exists()
    assert not user.is_programme_manager
    assert accepted.accepted_at is not None
    assert accepted.invitation_hash == ""
    assert access.developer_project_ids(user) == {dw.project.pk}
    assert access.developer_contact(user, dw.project) == accepted
    assert not access.visible_projects(user).exists()
    assert AuditEvent.objects.filter(
        action="developer_contact_accepted", object_id=str(contact.pk)
    ).exists()


def test_accept_validates_username_and_password(dw, alice, devon, invite):
    _, token = invite(dw.project, alice, email="new.person@developer.example")
    with pytest.raises(ValidationError) as exc:
        services.developer_contact_accept(token=token, username="devon", password="123")
    assert set(exc.value.error_dict) == {"username", "password"}
    with pytest.raises(ValidationError):
        services.developer_contact_accept(token=token, username="", password="")
    assert User.objects.filter(email="new.person@developer.example").count() == 0


def test_accept_with_the_signed_in_account_of_the_invited_address(dw, alice, devon, invite):
    _, token = invite(dw.project, alice)
    contact = services.developer_contact_accept(token=token, user=devon)
    assert contact.user == devon
    assert access.developer_contact(devon, dw.project) == contact


def test_accept_by_another_account_is_refused(dw, alice, charlie, invite):
    _, token = invite(dw.project, alice)
    with pytest.raises(ValidationError, match="not the invited"):
        services.developer_contact_accept(token=token, user=charlie)


def test_new_account_for_an_address_with_an_account_is_refused(dw, alice, devon, invite):
    _, token = invite(dw.project, alice)
    with pytest.raises(ValidationError, match="sign in"):
        services.developer_contact_accept(token=token, username="devon2", password="a long pass 1")


def test_used_and_expired_links_say_so(dw, alice, devon, invite):
    _contact, token = invite(dw.project, alice)
    services.developer_contact_accept(token=token, user=devon)
    with pytest.raises(ValidationError, match="used already"):
        services.developer_contact_accept(token=token, user=devon)
    other, token2 = invite(dw.project, alice, email="late@developer.example")
    DeveloperContact.objects.filter(pk=other.pk).update(
        invitation_expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(ValidationError, match="expired"):
        services.developer_contact_accept(token=token2, username="late", password="a long pass 1")
    assert services.contact_status(DeveloperContact.objects.get(pk=other.pk)) == "expired"
    with pytest.raises(ValidationError):
        services.developer_contact_accept(token="made-up", username="x", password="a long pass 1")


def test_revoke_ends_access_at_once(dw, alice, devon, active_devon):
    assert access.developer_project_ids(devon) == {dw.project.pk}
    services.developer_contact_revoke(contact=active_devon, by=alice)
    devon = User.objects.get(pk=devon.pk)  # the next request
    assert access.developer_project_ids(devon) == set()
    assert services.contact_status(DeveloperContact.objects.get(pk=active_devon.pk)) == "revoked"
    with pytest.raises(ValidationError, match="revoked already"):
        services.developer_contact_revoke(contact=active_devon, by=alice)


def test_revoke_needs_a_lead(dw, bob, active_devon):
    with pytest.raises(PermissionDenied):
        services.developer_contact_revoke(contact=active_devon, by=bob)


def test_a_revoked_contact_reinvited_must_accept_again(dw, alice, devon, active_devon, invite):
    services.developer_contact_revoke(contact=active_devon, by=alice)
    contact, token = invite(dw.project, alice)
    assert contact.pk == active_devon.pk
    assert contact.user is None
    devon = User.objects.get(pk=devon.pk)
    assert access.developer_project_ids(devon) == set()
    services.developer_contact_accept(token=token, user=devon)
    access.forget(devon)
    assert access.developer_project_ids(devon) == {dw.project.pk}


# --- e-mails ------------------------------------------------------------------------------------


def test_notify_contacts_mails_active_contacts_after_commit(
    dw, alice, devon, active_devon, invite, django_capture_on_commit_callbacks
):
    invite(dw.project, alice, email="pending@developer.example")  # not accepted: not mailed
    mail.outbox.clear()
    finding = dw.jw.finding
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        developer_mail.notify_contacts(
            dw.project,
            subject="A finding is shared with you",
            template="finding_shared",
            context={"finding": finding, "url": "http://x/f/1/", "window_closes": None},
        )
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[devon.email]]
    assert mail.outbox[0].subject == "[Concord] A finding is shared with you"
    assert finding.title in mail.outbox[0].body
    assert "http://x/f/1/" in mail.outbox[0].body


def test_notify_leads_mails_the_leads_of_participating_institutes(
    dw, alice, charlie, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        developer_mail.notify_leads(
            dw.project,
            subject="Response",
            template="report_shared",
            context={"report": {"title": "T", "number": 1}, "url": "http://x/r/"},
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, dw.jw.carol.email])


def test_a_mail_failure_is_logged_not_raised(dw, active_devon, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr(developer_mail, "get_connection", broken)
    sent = developer_mail.send_now(
        addresses=["a@x.example"], subject="S", template="report_shared", context={}
    )
    assert sent == 0
    assert "Could not send" in caplog.text


def test_an_active_contact_may_hold_a_write_token_until_revoked(dw, alice, devon, active_devon):
    # They write comments and responses through partner tools too; nothing else (the API checks
    # every request against the access rules of the moment).
    from institutes.services import token_create

    token, _ = token_create(user=devon, name="responses", scope="write", expires_in_days=1)
    assert token.scope == "write"
    services.developer_contact_revoke(contact=active_devon, by=alice)
    access.forget(devon)
    assert not access.can_hold_write_token(User.objects.get(pk=devon.pk))
