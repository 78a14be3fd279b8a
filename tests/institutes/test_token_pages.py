"""Every signed-in user's API tokens page (/accounts/tokens/): make a token (shown once, never
again), see one's tokens, revoke one's own; viewers hold read tokens only."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from institutes.models import ApiToken, AuditEvent
from institutes.services import token_create, token_revoke

PAGE = "/accounts/tokens/"
RAW = re.compile(r"cnc_[A-Za-z0-9_-]{20,}")


def revoke_url(token) -> str:
    return f"/accounts/tokens/{token.pk}/revoke/"


def make(client, **data):
    return client.post(PAGE, {"name": "harness", "scope": "read", **data})


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def test_the_routes_are_named():
    assert reverse("api_tokens") == PAGE
    assert reverse("api_token_revoke", args=[7]) == "/accounts/tokens/7/revoke/"


def test_anonymous_users_are_sent_to_sign_in(client, db):
    for response in (client.get(PAGE), make(client)):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not ApiToken.objects.exists()


def test_the_account_menu_links_to_the_page(as_alice):
    html = as_alice.get("/").content.decode()
    assert f'href="{PAGE}"' in html


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(as_alice, alice, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    response = make(as_alice, name="UK harness uploader", scope="write", expires_in_days=7)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    raws = set(RAW.findall(html))
    assert len(raws) == 1, raws
    raw = raws.pop()
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.scope) == (alice, "UK harness uploader", "write")
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:12]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM institutes_apitoken")
        assert raw not in [str(value) for value in cursor.fetchone()]
    # The examples use the site's own address, and the token works.
    assert f'Authorization: Bearer {raw}" http://testserver/api/v1/projects/' in html
    assert f"CONCORD_URL=http://testserver CONCORD_TOKEN={raw} concord upload LOG" in html
    assert 'data-copy="new-token"' in html
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/projects/").status_code == 200
    # Never again: not on the list, not in the session, not in a message.
    again = as_alice.get(PAGE).content.decode()
    assert raw not in again
    assert token.prefix in again
    assert raw not in str(dict(as_alice.session))


def test_the_form_says_the_default_and_the_maximum(as_alice, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 45
    settings.API_TOKEN_MAX_DAYS = 120
    response = as_alice.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "At most 120 days." in html
    assert re.search(r'<input[^>]*name="expires_in_days"[^>]*value="45"', html)
    assert 'max="120"' in html


def test_a_blank_lifetime_takes_the_default(as_alice, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 10
    make(as_alice, expires_in_days="")
    token = ApiToken.objects.get()
    assert timedelta(days=9) < token.expires_at - timezone.now() <= timedelta(days=10)


def test_form_errors_speak_the_services_words(as_alice, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    response = make(as_alice, name="  ", expires_in_days=31)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["name"] == ["Say what the token is for, e.g. 'UK harness uploader'."]
    assert form.errors["expires_in_days"] == ["A token lives between 1 and 30 days."]
    assert "between 1 and 30 days" in response.content.decode()
    assert not RAW.search(response.content.decode())
    assert not ApiToken.objects.exists()
    assert make(as_alice, expires_in_days=0).status_code == 400
    assert make(as_alice, scope="admin").status_code == 400
    assert not ApiToken.objects.exists()


def test_viewers_are_offered_and_given_read_tokens_only(client, vera):
    client.force_login(vera)
    html = client.get(PAGE).content.decode()
    assert 'value="read"' in html
    assert 'value="write"' not in html
    assert make(client, scope="write").status_code == 400
    assert not ApiToken.objects.exists()
    assert make(client, scope="read").status_code == 200
    assert ApiToken.objects.get().scope == "read"


def test_the_service_gives_write_tokens_only_to_those_who_may_write(vera, bob, pm):
    """The rule is token_check's, so the admin and `create_token` obey it too."""
    with pytest.raises(ValidationError) as refused:
        token_create(user=vera, name="x", scope="write")
    assert "read-only token" in refused.value.message_dict["scope"][0]
    assert token_create(user=vera, name="x", scope="read")[0].scope == "read"
    assert token_create(user=bob, name="x", scope="write")[0].scope == "write"
    assert token_create(user=pm, name="x", scope="write")[0].scope == "write"


def test_the_list_shows_each_tokens_state_and_last_use(as_alice, alice):
    used, _ = token_create(user=alice, name="used one", scope="read", expires_in_days=5)
    ApiToken.objects.filter(pk=used.pk).update(
        last_used_at=timezone.now().replace(year=2026, month=3, day=4, hour=10, minute=30)
    )
    unused, _ = token_create(user=alice, name="unused one", expires_in_days=5)
    gone, _ = token_create(user=alice, name="revoked one", expires_in_days=5)
    token_revoke(token=gone, by=alice)
    old, _ = token_create(user=alice, name="expired one", expires_in_days=5)
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    html = as_alice.get(PAGE).content.decode()
    rows = {
        name: html.split(f"<td>{name}</td>")[1].split("</tr>")[0]
        for name in ("used one", "unused one", "revoked one", "expired one")
    }
    assert "4 Mar 2026, 10:30" in rows["used one"]
    assert "<td>never</td>" in rows["unused one"]
    assert ">active<" in rows["used one"]
    assert ">revoked<" in rows["revoked one"]
    assert ">expired<" in rows["expired one"]
    assert "Read only" in rows["used one"]
    assert "Read and write" in rows["unused one"]
    assert unused.prefix in rows["unused one"]
    # Only an active token has a Revoke button, and it asks first.
    assert revoke_url(unused) in rows["unused one"]
    assert "data-confirm=" in rows["unused one"]
    assert revoke_url(gone) not in html
    assert revoke_url(old) not in html


def test_the_list_shows_only_ones_own_tokens(as_alice, bob):
    token_create(user=bob, name="bob's harness")
    assert "bob&#x27;s harness" not in as_alice.get(PAGE).content.decode()


def test_the_list_takes_few_queries_however_many_tokens(
    as_alice, alice, django_assert_max_num_queries
):
    for n in range(12):
        token_create(user=alice, name=f"token {n}", expires_in_days=5)
    as_alice.get(PAGE)  # warm the session and the per-process caches
    with django_assert_max_num_queries(5):  # session, user, layout, roles, tokens
        response = as_alice.get(PAGE)
    assert response.content.decode().count("<tr data-token=") == 12


def test_revoking_ones_own_token(as_alice, alice):
    token, raw = token_create(user=alice, name="harness")
    response = as_alice.post(revoke_url(token), follow=True)
    assert response.redirect_chain[-1][0] == PAGE
    assert "is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/projects/").status_code == 401


def test_another_users_token_is_a_404(as_alice, bob):
    token, _ = token_create(user=bob, name="bob's")
    assert as_alice.post(revoke_url(token)).status_code == 404
    assert as_alice.get(revoke_url(token)).status_code == 404  # not even a 405
    assert as_alice.post("/accounts/tokens/999999/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_takes_a_post(as_alice, alice):
    token, _ = token_create(user=alice, name="harness")
    assert as_alice.get(revoke_url(token)).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_making_and_revoking_on_the_page_are_audited_as_the_user(as_alice, alice):
    make(as_alice, name="audited")
    token = ApiToken.objects.get()
    as_alice.post(revoke_url(token))
    events = AuditEvent.objects.filter(table="institutes_apitoken", object_id=str(token.pk))
    recorded = {
        (e.action, e.actor_id, e.actor_kind) for e in events if e.action.startswith("token_")
    }
    assert recorded == {("token_issued", alice.pk, "user"), ("token_revoked", alice.pk, "user")}
    issued = events.get(action="token_issued")
    assert (issued.changes["owner"], issued.changes["name"]) == ("alice", "audited")
    assert issued.source == f"POST {PAGE}"
    assert events.get(action="token_revoked").source == f"POST {revoke_url(token)}"


def test_the_api_docs_lead_to_the_page(as_alice):
    html = as_alice.get("/api/docs/").content.decode()
    assert f'Get a token: <a href="{PAGE}">API tokens</a>' in html


def test_the_command_gives_a_viewer_a_read_token_and_refuses_a_write_one(vera):
    out = StringIO()
    call_command("create_token", "vera", stdout=out, stderr=StringIO())
    assert ApiToken.objects.get().scope == "read"
    with pytest.raises(CommandError, match="read-only token"):
        call_command("create_token", "vera", "--scope", "write", stdout=out, stderr=StringIO())
    assert ApiToken.objects.count() == 1


def test_the_admin_refuses_a_viewer_a_write_token(client, pm, vera):
    pm.is_superuser = True
    pm.save(update_fields=["is_superuser"])
    client.force_login(pm)
    response = client.post(
        "/admin/institutes/apitoken/add/",
        {"user": vera.pk, "name": "x", "scope": "write", "expires_in_days": 5},
    )
    assert response.status_code == 200
    assert "read-only token" in response.content.decode()
    assert not ApiToken.objects.exists()
