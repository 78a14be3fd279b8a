"""Sign-in throttling and lockout (django-axes), keyed on the client's real address behind the
reverse proxy (institutes.network), and the password rules.

The suite runs with AXES_ENABLED off (client.login() has no request for axes); these tests turn
it on, and a test checks that production settings have it on."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from institutes.models import AuditEvent
from institutes.network import client_ip
from tests.factories import PASSWORD
from tests.figures import figure
from tests.security.conftest import settings_probe

PROXY = "10.0.0.1"  # our nginx, as gunicorn sees it
LIMIT = 5


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.CONCORD_TRUSTED_PROXY_COUNT = 1


def sign_in(client, password: str, *, client_addr: str = "203.0.113.9", claimed: str = ""):
    """A sign-in through nginx: it appends the address it saw to what the client sent."""
    forwarded = f"{claimed}, {client_addr}" if claimed else client_addr
    return client.post(
        reverse("login"),
        {"username": "alice", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_the_account_is_locked_after_the_failure_limit(client, alice, axes_on):
    statuses = [sign_in(client, "wrong").status_code for _ in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]  # the failure that reaches the limit locks
    locked = sign_in(client, PASSWORD)  # even the right password
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_recorded_in_the_audit_trail(client, alice, axes_on):
    for _ in range(LIMIT):
        sign_in(client, "wrong")
    event = AuditEvent.objects.filter(action="lockout").first()
    assert event is not None
    assert event.changes["username"] == "alice"
    assert event.ip == "203.0.113.9"  # the client, not the proxy


def test_a_spoofed_x_forwarded_for_does_not_escape_the_lockout(client, alice, axes_on):
    for n in range(LIMIT):
        sign_in(client, "wrong", claimed=f"198.51.100.{n}")
    bypasses = 0
    for n in range(20):
        response = sign_in(client, PASSWORD, claimed=f"192.0.2.{n}")
        bypasses += response.status_code == 302
    figure(f"spoofed X-Forwarded-For: {bypasses} of 20 sign-ins got past the lockout")
    assert bypasses == 0


def test_without_a_trusted_proxy_the_header_is_ignored(client, alice, axes_on, settings):
    settings.CONCORD_TRUSTED_PROXY_COUNT = 0
    for n in range(LIMIT):
        client.post(
            reverse("login"),
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    assert response.status_code == 429


def test_the_lockout_is_per_client_so_a_colleague_elsewhere_still_signs_in(client, alice, axes_on):
    for _ in range(LIMIT):
        sign_in(client, "wrong", client_addr="203.0.113.9")
    assert sign_in(client, PASSWORD, client_addr="203.0.113.50").status_code == 302


def test_a_successful_sign_in_resets_the_count(client, alice, axes_on):
    for _ in range(LIMIT - 1):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", "", 0, "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", 0, "203.0.113.9"),  # no proxy: the header is the client's
        (PROXY, "203.0.113.9", 1, "203.0.113.9"),
        (PROXY, "1.2.3.4, 203.0.113.9", 1, "203.0.113.9"),  # the client's claim is ignored
        (PROXY, "1.2.3.4, 203.0.113.9, 10.0.0.2", 2, "203.0.113.9"),  # two proxies
        (PROXY, "", 1, PROXY),  # did not come through the proxy
        (PROXY, "not-an-address", 1, PROXY),
        ("2001:db8::1", "", 0, "2001:db8::1"),
    ],
)
def test_client_ip_believes_only_the_trusted_proxies(
    settings, remote, forwarded, trusted, expected
):
    settings.CONCORD_TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_audit_trail_records_the_client_behind_the_proxy(client, alice, settings):
    settings.CONCORD_TRUSTED_PROXY_COUNT = 1
    client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.77",
    )
    assert AuditEvent.objects.get(action="login").ip == "203.0.113.77"


def test_production_settings_lock_out_and_key_on_the_pair():
    got = settings_probe(
        {
            "enabled": "settings.AXES_ENABLED",
            "limit": "settings.AXES_FAILURE_LIMIT",
            "parameters": "settings.AXES_LOCKOUT_PARAMETERS",
            "ip": "settings.AXES_CLIENT_IP_CALLABLE",
            "first_backend": "settings.AUTHENTICATION_BACKENDS[0]",
            "last_middleware": "settings.MIDDLEWARE[-1]",
            "proxies": "settings.CONCORD_TRUSTED_PROXY_COUNT",
            "validators": "len(settings.AUTH_PASSWORD_VALIDATORS)",
        },
        CONCORD_TRUSTED_PROXY_COUNT="1",
    )
    assert got == {
        "enabled": True,
        "limit": 5,
        "parameters": [["username", "ip_address"]],
        "ip": "institutes.network.client_ip",
        "first_backend": "axes.backends.AxesStandaloneBackend",
        "last_middleware": "axes.middleware.AxesMiddleware",
        "proxies": 1,
        "validators": 4,
    }


# --- password rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pw", "too short"),
        ("password123456", "too common"),
        ("84736251904857", "entirely numeric"),
        ("alice-example-org", "too similar"),
    ],
)
def test_weak_passwords_are_refused(alice, password, reason):
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user=alice)
    assert reason in " ".join(exc.value.messages)


def test_a_long_uncommon_password_is_accepted(alice):
    validate_password("correct horse battery staple 42", user=alice)
