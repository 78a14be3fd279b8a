"""How the suite talks to the API as a partner tool does: a client with a bearer token, and the
one error shape every 4xx answers in."""

from rest_framework.test import APIClient

from institutes.services import token_create


def bearer(user, scope: str = "write") -> APIClient:
    """An API client carrying a fresh token of `user`."""
    _, raw = token_create(user=user, name=f"test {scope}", scope=scope, expires_in_days=1)
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
