"""The developer's side (`developers:` namespace) on the world's project ("frontier"), where
devon is an accepted developer contact (`w.developer_contact`) and someone else is invited and has
not accepted yet (`w.invited_contact`, whose sign-up token is `w.invitation_token`).

A developer contact's pages (home, their project): devon 200; everyone else sees an empty home
page, and 404 for the project page (participants use the project's own pages).
The sign-up page: open to anonymous visitors (the token is the credential); a signed-in user
whose e-mail address is not the invited one is told so (200) and accepts nothing.
A project's contacts: leads and programme managers (viewers and evaluators 403; outsiders and
developer contacts 404).

Routes of other areas where devon's answer is not the outsider's are set here too
(`developer_expect`): those where charlie's institute counts (he leads institute C).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from evaluations.models import DeveloperContact, Organisation
from evaluations.services.developer_contacts import token_hash
from institutes import access
from tests.permissions.registry import (
    answers,
    developer_expect,
    everyone,
    late_world_part,
    register,
)

TOKEN = "matrix-invitation-token"  # a test's sign-up token


@late_world_part
def developers_world(w) -> None:
    lab = Organisation.objects.create(name="Frontier Lab")
    now = timezone.now()
    w.extra["developer_organisation"] = lab
    w.extra["developer_contact"] = DeveloperContact.objects.create(
        project=w.project,
        organisation=lab,
        email=w.users["developer"].email,
        name="Devon Developer",
        user=w.users["developer"],
        invited_by=w.users["lead"],
        accepted_at=now,
    )
    w.extra["invited_contact"] = DeveloperContact.objects.create(
        project=w.project,
        organisation=lab,
        email="invited@developer.example",
        name="Ivy Invited",
        invited_by=w.users["lead"],
        invitation_hash=token_hash(TOKEN),
        invitation_expires_at=now + timedelta(days=14),
    )
    w.extra["invitation_token"] = TOKEN
    access.forget(w.users["developer"])


def project(w) -> dict:
    return {"slug": w.project.slug}


def contact(w) -> dict:
    return {"slug": w.project.slug, "pk": w.invited_contact.pk}


def manage(ok: int = 302) -> dict:
    return answers(outsider=404, viewer=403, evaluator=403, lead=ok, pm=ok, developer=404)


def post_only(check: dict) -> dict:
    return {role: (405 if answer == 302 else answer) for role, answer in check.items()}


register("developers:home", get=everyone(200))
register(
    "developers:project",
    kwargs=project,
    get=answers(outsider=404, viewer=404, evaluator=404, lead=404, pm=404, developer=200),
)
register(
    "developers:accept",
    kwargs=lambda w: {"token": w.invitation_token},
    get=everyone(200, anonymous=200),
    # anonymous: an account is made and signed in; signed in with another address: refused (200)
    post=everyone(200, anonymous=302),
    data=lambda w: {
        "username": "ivy",
        "password": "a long enough pass phrase",
        "password_again": "a long enough pass phrase",
    },
)
register(
    "developers:contacts",
    kwargs=project,
    get=manage(200),
    post=manage(),
    data=lambda w: {
        "email": "new.contact@developer.example",
        "name": "New Contact",
        "organisation": "Frontier Lab",
    },
)
register("developers:contact_revoke", kwargs=contact, get=post_only(manage()), post=manage())
register("developers:contact_reinvite", kwargs=contact, get=post_only(manage()), post=manage())

# Where charlie's institute counts (he leads C, so he opens projects, guidelines, exchanges,
# webhooks, systems and pools for it), devon, who belongs to no institute, is refused.
for key, methods in {
    "projects:create": ("GET", "POST"),
    "guidelines:create": ("GET", "POST"),
    "exchanges:create": ("GET",),
    "webhooks:create": ("GET", "POST"),
    "system-list": ("POST",),
    "worker-pool-list": ("POST",),
}.items():
    for method in methods:
        developer_expect(key, method, 403)
