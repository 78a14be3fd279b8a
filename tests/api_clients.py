"""How the suite talks to the API as a partner tool does: a client with a bearer token, and the
one error shape every 4xx answers in."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from institutes import access
from institutes.models import ApiToken, hash_token
from institutes.services import token_create


def issue_token(user, *, scope: str = "write", name: str = "test") -> tuple[ApiToken, str]:
    """A fresh token of `user`, for a day, as token_create issues it. token_create gives viewers
    read tokens only; a viewer's *write* token here is one issued while they held a higher role
    (stored as the service would have stored it): the API must still refuse what their role of
    today does not allow, which is what the suite checks with it."""
    if scope == ApiToken.Scope.WRITE and not access.can_hold_write_token(user):
        raw = ApiToken.generate_raw()
        token = ApiToken.objects.create(
            user=user,
            name=name,
            scope=scope,
            prefix=raw[:12],
            token_hash=hash_token(raw),
            expires_at=timezone.now() + timedelta(days=1),
        )
        return token, raw
    return token_create(user=user, name=name, scope=scope, expires_in_days=1)


def bearer(user, scope: str = "write") -> APIClient:
    """An API client carrying a fresh token of `user`."""
    _, raw = issue_token(user, scope=scope, name=f"test {scope}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def error_of(response) -> dict:
    """The one error shape: {"error": {"status", "code", "message", "fields"?}}."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == response.status_code
    assert error["message"]
    return error
