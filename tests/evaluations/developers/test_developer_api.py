"""API of a project's developer contacts: leads list, invite and revoke; the token never shows."""

from __future__ import annotations

import pytest
from django.core import mail

from evaluations.models import DeveloperContact
from tests.api_clients import issue_token

pytestmark = pytest.mark.django_db


def api(client, user):
    _, raw = issue_token(user, scope="write", name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


def url(project, pk=None) -> str:
    base = f"/api/v1/projects/{project.slug}/developer-contacts/"
    return f"{base}{pk}/" if pk else base


def test_lead_invites_lists_and_revokes(api_client, dw, alice, django_capture_on_commit_callbacks):
    client = api(api_client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            url(dw.project),
            {"email": "ada@frontier.example", "name": "Ada", "organisation": "Frontier Lab"},
            format="json",
        )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "invited"
    assert body["organisation"] == "Frontier Lab"
    token = mail.outbox[-1].body.split("/developer/accept/")[1].split("/")[0]
    assert token not in created.content.decode()
    assert "invitation_hash" not in body
    listed = client.get(url(dw.project)).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["email"] for row in rows] == ["ada@frontier.example"]
    assert token not in str(listed)
    gone = client.delete(url(dw.project, body["id"]))
    assert gone.status_code == 204
    assert DeveloperContact.objects.get().revoked_at is not None
    again = client.delete(url(dw.project, body["id"]))
    assert again.status_code == 400


def test_bad_input_is_a_400_with_a_message(api_client, dw, alice, bob):
    client = api(api_client, alice)
    for payload in [
        {"email": "not an address", "name": "A", "organisation": "Lab"},
        {"email": "a@lab.example", "name": "A"},
        {"email": bob.email, "name": "Bob", "organisation": "Lab"},
    ]:
        response = client.post(url(dw.project), payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()["error"]["status"] == 400
    assert not DeveloperContact.objects.exists()


def test_evaluators_get_403_outsiders_and_developers_404(
    api_client, dw, bob, charlie, devon, active_devon
):
    assert api(api_client, bob).get(url(dw.project)).status_code == 403
    assert api(api_client, charlie).get(url(dw.project)).status_code == 404
    assert api(api_client, devon).get(url(dw.project)).status_code == 404
