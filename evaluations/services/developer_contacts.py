"""Writes for developer contacts: the people of an AI developer a project invites to see what it
shares with them (frozen report versions, shared findings) and to respond to its findings.

invited (an e-mailed sign-up link) -> active (accepted: the link created or linked an account)
-> revoked (access ends at once). Re-inviting replaces the link (the old one stops working); a
revoked contact invited again must accept again.

Rules:
- Leads of a participating institute and programme managers invite and revoke (access.can_manage).
- One contact per e-mail address and project (case-insensitive). Staff of a participating
  institute and programme managers are never developer contacts of the project: they see it
  already, as participants.
- The sign-up link carries a random token; only its SHA-256 is stored. It expires after
  CONCORD_DEVELOPER_INVITE_DAYS days and works once.
- Accepting signed in links that account when its e-mail address is the invited one; otherwise a
  new account is made (no institute membership) with the invited address.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from evaluations.models import DeveloperContact, EvaluationProject, Organisation, Participation
from evaluations.services import developer_mail
from institutes import access, audit
from institutes.models import Membership, User

NOT_A_MANAGER = "Only leads of a participating institute invite developer contacts."
INVALID_LINK = (
    "This invitation link is not valid: it was used already, replaced by a newer invitation, "
    "or withdrawn. Ask the project's lead for a new one."
)


def invite_days() -> int:
    return int(getattr(settings, "CONCORD_DEVELOPER_INVITE_DAYS", 14))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def contact_status(contact: DeveloperContact) -> str:
    """invited, expired (invited, the link no longer works), active or revoked."""
    if contact.revoked_at is not None:
        return "revoked"
    if contact.user_id is not None:
        return "active"
    expires = contact.invitation_expires_at
    return "expired" if expires is not None and expires <= timezone.now() else "invited"


def organisation_for(organisation: Organisation | str) -> Organisation:
    """An Organisation as given, or the developer organisation of that name (case-insensitive),
    created if new."""
    if isinstance(organisation, Organisation):
        return organisation
    name = " ".join(str(organisation or "").split())
    if not name:
        raise ValidationError({"organisation": "Name the developer's organisation."})
    if len(name) > 200:
        raise ValidationError({"organisation": "At most 200 characters."})
    existing = Organisation.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing
    return Organisation.objects.create(name=name, kind=Organisation.Kind.DEVELOPER)


def _participant_staff(project: EvaluationProject, users) -> bool:
    """Is any of these users staff of a participating institute, or a programme manager?"""
    users = list(users)
    if any(access.is_programme_manager(user) for user in users):
        return True
    institutes = Participation.objects.filter(project=project).values("institute_id")
    return Membership.objects.filter(user__in=users, institute_id__in=institutes).exists()


STAFF_REFUSED = (
    "This address belongs to staff of an institute that takes part in the project (or to a "
    "programme manager): they see the project as participants, not as developer contacts."
)


def _send_invitation(contact: DeveloperContact, *, by: User) -> None:
    """A new sign-up link for the contact (the previous one stops working), e-mailed on commit."""
    token = secrets.token_urlsafe(32)
    contact.invitation_hash = token_hash(token)
    contact.invitation_expires_at = timezone.now() + timedelta(days=invite_days())
    contact.save(update_fields=["invitation_hash", "invitation_expires_at"])
    url = developer_mail.absolute_url(reverse("developers:accept", kwargs={"token": token}))
    developer_mail.send_on_commit(
        addresses=[contact.email],
        subject=f"Invitation to the evaluation project {contact.project.title}",
        template="invitation",
        context={
            "project": contact.project,
            "contact": contact,
            "invited_by": by,
            "url": url,
            "expires_at": contact.invitation_expires_at,
        },
    )


@transaction.atomic
def developer_contact_invite(
    *,
    project: EvaluationProject,
    by: User,
    email: str,
    name: str,
    organisation: Organisation | str,
) -> DeveloperContact:
    """Invite a person of the AI developer to the project: a contact in state invited and an
    e-mail with the sign-up link. Inviting an address already invited (not yet accepted, or
    revoked) sends a new link; an active contact's address is refused."""
    access.require(access.can_manage(by, project), NOT_A_MANAGER)
    email = (email or "").strip()
    name = " ".join((name or "").split())
    errors = {}
    if not email:
        errors["email"] = "Give the contact's e-mail address."
    if not name:
        errors["name"] = "Give the contact's name."
    elif len(name) > 200:
        errors["name"] = "At most 200 characters."
    if errors:
        raise ValidationError(errors)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid e-mail address."}) from None
    if _participant_staff(project, User.objects.filter(email__iexact=email)):
        raise ValidationError({"email": STAFF_REFUSED})
    org = organisation_for(organisation)
    contact = (
        DeveloperContact.objects.select_for_update()
        .filter(project=project, email__iexact=email)
        .first()
    )
    if contact is not None and contact.active:
        raise ValidationError(
            {"email": "This person is already a developer contact of the project."}
        )
    if contact is None:
        contact = DeveloperContact.objects.create(
            project=project, organisation=org, email=email, name=name, invited_by=by
        )
    else:  # invited before (or revoked): a fresh invitation, to be accepted again
        contact.organisation, contact.name, contact.invited_by = org, name, by
        contact.invited_at = timezone.now()
        contact.user, contact.accepted_at, contact.revoked_at = None, None, None
        contact.save()
    _send_invitation(contact, by=by)
    return contact


@transaction.atomic
def developer_contact_reinvite(*, contact: DeveloperContact, by: User) -> DeveloperContact:
    """Send a new sign-up link to a contact who has not accepted yet (or was revoked)."""
    return developer_contact_invite(
        project=contact.project,
        by=by,
        email=contact.email,
        name=contact.name,
        organisation=contact.organisation,
    )


@transaction.atomic
def developer_contact_revoke(*, contact: DeveloperContact, by: User) -> DeveloperContact:
    """End a contact's access at once (and any sign-up link still open)."""
    access.require(access.can_manage(by, contact.project), NOT_A_MANAGER)
    contact = DeveloperContact.objects.select_for_update().get(pk=contact.pk)
    if contact.revoked_at is not None:
        raise ValidationError("This developer contact was revoked already.")
    contact.revoked_at = timezone.now()
    contact.invitation_hash = ""
    contact.invitation_expires_at = None
    contact.save(update_fields=["revoked_at", "invitation_hash", "invitation_expires_at"])
    if contact.user is not None:
        access.forget(contact.user)
    return contact


def invitation_for(token: str) -> DeveloperContact:
    """The contact a sign-up link invites (ValidationError when it no longer works)."""
    contact = (
        DeveloperContact.objects.select_related("project", "organisation")
        .filter(invitation_hash=token_hash(token or ""), revoked_at__isnull=True)
        .exclude(invitation_hash="")
        .first()
    )
    if contact is None or contact.user_id is not None:
        raise ValidationError(INVALID_LINK)
    expires = contact.invitation_expires_at
    if expires is None or expires <= timezone.now():
        raise ValidationError(
            f"This invitation expired on {timezone.localtime(expires):%d %B %Y}"
            if expires
            else "This invitation expired."
        )
    return contact


def _new_account(contact: DeveloperContact, username: str | None, password: str | None) -> User:
    username = (username or "").strip()
    errors: dict[str, str | list[str]] = {}
    if not username:
        errors["username"] = "Choose a username."
    else:
        try:
            User.username_validator(username)
        except ValidationError as exc:
            errors["username"] = exc.messages
        if len(username) > 150:
            errors["username"] = "At most 150 characters."
        elif User.objects.filter(username__iexact=username).exists():
            errors["username"] = "This username is taken: choose another."
    if User.objects.filter(email__iexact=contact.email).exists():
        errors["username"] = (
            "An account with the invited e-mail address exists already: sign in with it, then "
            "open the invitation link again to accept."
        )
    if not password:
        errors["password"] = "Choose a password."  # noqa: S105 (a message)
    else:
        try:
            validate_password(password, user=User(username=username, email=contact.email))
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    first, _, last = contact.name.partition(" ")
    return User.objects.create_user(
        username=username,
        email=contact.email,
        password=password,
        first_name=first[:150],
        last_name=last[:150],
    )


@transaction.atomic
def developer_contact_accept(
    *,
    token: str,
    user: User | None = None,
    username: str | None = None,
    password: str | None = None,
) -> DeveloperContact:
    """Accept an invitation: link the signed-in `user` (whose e-mail address must be the invited
    one) or create an account from `username` and `password`. The link then stops working."""
    contact = invitation_for(token)
    contact = DeveloperContact.objects.select_for_update().get(pk=contact.pk)
    if contact.user_id is not None or contact.revoked_at is not None:
        raise ValidationError(INVALID_LINK)
    if user is not None and user.is_authenticated:
        if (user.email or "").lower() != contact.email.lower():
            raise ValidationError(
                f"You are signed in as {user.username}, whose e-mail address is not the invited "
                "one: sign out, then open the link again to create an account."
            )
        if _participant_staff(contact.project, [user]):
            raise ValidationError(STAFF_REFUSED)
        account = user
    else:
        account = _new_account(contact, username, password)
    contact.user = account
    contact.accepted_at = timezone.now()
    contact.invitation_hash = ""
    contact.invitation_expires_at = None
    contact.save(update_fields=["user", "accepted_at", "invitation_hash", "invitation_expires_at"])
    access.forget(account)
    audit.record(
        "developer_contact_accepted",
        user=account,
        project_id=contact.project_id,
        table=DeveloperContact._meta.db_table,
        object_id=contact.pk,
        new_account=user is None or not user.is_authenticated,
    )
    return contact
