"""The developer's side on the joint world's project ("frontier": alice leads A, carol leads B,
charlie of C takes no part), with devon, a person of the AI developer (no institute)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.core import mail

from evaluations.models import DeveloperContact, EvaluationProject
from evaluations.services import developer_contacts as services
from tests.evaluations.factories import JointWorld, joint_world


@dataclass
class DevWorld:
    jw: JointWorld
    project: EvaluationProject


@pytest.fixture
def dw(alice, pm, institute_a, institute_b, institute_c) -> DevWorld:
    jw = joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)
    return DevWorld(jw=jw, project=jw.project)


def token_from_mail(message) -> str:
    """The sign-up token in an invitation e-mail."""
    match = re.search(r"/developer/accept/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """invite(project, by, email=..., ...) -> (contact, token): an invitation and its e-mail."""

    def make(
        project,
        by,
        *,
        email="devon@developer.example",
        name="Devon Developer",
        organisation="Frontier Lab",
    ) -> tuple[DeveloperContact, str]:
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            contact = services.developer_contact_invite(
                project=project, by=by, email=email, name=name, organisation=organisation
            )
        assert len(mail.outbox) == sent + 1
        return contact, token_from_mail(mail.outbox[-1])

    return make


@pytest.fixture
def active_devon(dw, alice, devon, invite) -> DeveloperContact:
    """devon, an accepted developer contact of the project."""
    _, token = invite(dw.project, alice)
    return services.developer_contact_accept(token=token, user=devon)
