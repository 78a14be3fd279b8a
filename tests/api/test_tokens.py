"""API tokens: issued once, hashed at rest, expiring, revocable, scoped."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from institutes.models import ApiToken, AuditEvent
from institutes.services import token_create, token_revoke
from tests.api_clients import bearer, error_of

PROJECTS = "/api/v1/projects/"


def client_with(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_token_request_works(project, alice):
    _, raw = token_create(user=alice, name="harness", scope="read", expires_in_days=30)
    response = client_with(raw).get(PROJECTS)
    assert response.status_code == 200
    assert [p["slug"] for p in response.json()["results"]] == [project.slug]


def test_the_token_is_stored_only_as_its_hash(alice):
    token, raw = token_create(user=alice, name="harness")
    assert raw.startswith("cnc_")
    assert len(raw) > 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM institutes_apitoken")
        row = cursor.fetchone()
    assert raw not in [str(value) for value in row]
    assert hashlib.sha256(raw.encode()).hexdigest() in row
    assert token.prefix == raw[:12]


def test_a_token_gets_the_default_lifetime_and_no_more_than_the_maximum(alice, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 90
    settings.API_TOKEN_MAX_DAYS = 120
    token, _ = token_create(user=alice, name="x")
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    with pytest.raises(ValidationError, match="between 1 and 120 days"):
        token_create(user=alice, name="x", expires_in_days=121)
    with pytest.raises(ValidationError) as exc:
        token_create(user=alice, name=" ", scope="admin", expires_in_days=0)
    assert set(exc.value.message_dict) == {"name", "scope", "expires_in_days"}


def test_a_revoked_token_gets_401_with_the_error_shape(alice):
    token, raw = token_create(user=alice, name="harness")
    client = client_with(raw)
    assert client.get(PROJECTS).status_code == 200
    token_revoke(token=token, by=alice)
    response = client.get(PROJECTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "authentication_failed"


def test_an_expired_token_gets_401(alice):
    token, raw = token_create(user=alice, name="harness")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_with(raw).get(PROJECTS)
    assert response.status_code == 401
    assert "expired" in error_of(response)["message"]


def test_an_unknown_or_malformed_token_gets_401(alice):
    assert client_with("cnc_not-a-token").get(PROJECTS).status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two words")
    assert client.get(PROJECTS).status_code == 401


def test_no_credentials_get_401(anonymous):
    response = anonymous.get(PROJECTS)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_a_disabled_users_tokens_stop_working_at_once(alice):
    client = bearer(alice)
    assert client.get(PROJECTS).status_code == 200
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get(PROJECTS).status_code == 401


def test_a_disabled_user_cannot_be_given_a_token(alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="disabled"):
        token_create(user=alice, name="x")


def test_a_read_token_reads_but_gets_403_on_writes(alice, institute_a):
    client = bearer(alice, scope="read")
    assert client.get(PROJECTS).status_code == 200
    response = client.post(
        PROJECTS, {"title": "Bio uplift study", "lead_institute": institute_a.code}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "read_only_token"
    assert (
        bearer(alice)
        .post(PROJECTS, {"title": "Bio uplift study", "lead_institute": institute_a.code})
        .status_code
        == 201
    )


def test_only_the_owner_or_a_programme_manager_revokes_a_token(alice, bob, pm):
    token, _ = token_create(user=alice, name="x")
    with pytest.raises(PermissionDenied):
        token_revoke(token=token, by=bob)
    first = token_revoke(token=token, by=pm).revoked_at
    assert first is not None
    assert token_revoke(token=token, by=alice).revoked_at == first


def test_issuing_and_revoking_are_audited(alice, pm):
    token, _ = token_create(user=alice, name="x", by=pm)
    token_revoke(token=token, by=alice)
    events = AuditEvent.objects.filter(table="institutes_apitoken", object_id=str(token.pk))
    assert {(e.action, e.actor_id) for e in events if e.action.startswith("token_")} == {
        ("token_issued", pm.pk),
        ("token_revoked", alice.pk),
    }


def test_create_token_prints_the_token_once(alice):
    out, err = StringIO(), StringIO()
    call_command(
        "create_token",
        "alice",
        "--name",
        "uploader",
        "--days",
        "7",
        "--scope",
        "read",
        stdout=out,
        stderr=err,
    )
    raw = out.getvalue().strip()
    assert raw.startswith("cnc_")
    assert "\n" not in raw
    assert raw not in err.getvalue()
    assert "shown only this once" in err.getvalue()
    token = ApiToken.objects.get()
    assert (token.name, token.scope, token.user) == ("uploader", "read", alice)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert client_with(raw).get(PROJECTS).status_code == 200


def test_create_token_refuses_unknown_users_and_long_lifetimes(alice, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("create_token", "nobody", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="between 1 and 30 days"):
        call_command("create_token", "alice", "--days", "31", stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


@pytest.fixture
def admin_client(pm):
    pm.is_superuser = True
    pm.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(pm)
    return client


def test_the_admin_issues_a_token_and_shows_it_once(admin_client, alice):
    response = admin_client.post(
        "/admin/institutes/apitoken/add/",
        {"user": alice.pk, "name": "From the admin", "scope": "write", "expires_in_days": 10},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 2  # the token, and the admin's own "was added"
    raw = next(m for m in shown if "cnc_" in m).split("<code>")[1].split("</code>")[0]
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert timedelta(days=9) < token.expires_at - timezone.now() <= timedelta(days=10)
    again = admin_client.get(f"/admin/institutes/apitoken/{token.pk}/change/")
    assert raw not in again.content.decode()


def test_the_admin_refuses_a_lifetime_over_the_maximum(admin_client, alice, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    response = admin_client.post(
        "/admin/institutes/apitoken/add/",
        {"user": alice.pk, "name": "x", "scope": "write", "expires_in_days": 31},
    )
    assert response.status_code == 200
    assert "between 1 and 30 days" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_admin_revokes_tokens(admin_client, alice):
    token, raw = token_create(user=alice, name="x")
    response = admin_client.post(
        "/admin/institutes/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client_with(raw).get(PROJECTS).status_code == 401
