"""Security headers and Django's deployment checks, with production settings.

The test settings run with DEBUG off (like production): the headers below are the ones a browser
gets from a production server. `check --deploy` runs in a fresh process with production values
(and in .ci/run before the suite)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.urls import reverse

from tests.factories import PASSWORD
from tests.figures import figure
from tests.security.conftest import ROOT, production_env, settings_probe

PAGES = ["/accounts/login/", "/", "/projects/", "/api/docs/", "/admin/login/"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_carries_a_strict_content_security_policy(client, alice, url):
    client.force_login(alice)
    csp = client.get(url, secure=True)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


def test_pages_are_framed_by_nobody_and_send_no_referrer_elsewhere(client, db):
    response = client.get("/accounts/login/", secure=True)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_https_responses_carry_hsts(client, db):
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_session_and_csrf_cookies_are_secure(client, alice):
    client.get("/accounts/login/", secure=True)
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, secure=True
    )
    session = response.cookies["sessionid"]
    csrf = client.cookies["csrftoken"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert csrf["secure"] is True
    assert csrf["httponly"] is True


def test_plain_http_is_redirected_to_https_in_production():
    got = settings_probe(
        {
            "redirect": "settings.SECURE_SSL_REDIRECT",
            "hsts": "settings.SECURE_HSTS_SECONDS",
            "session_secure": "settings.SESSION_COOKIE_SECURE",
            "csrf_secure": "settings.CSRF_COOKIE_SECURE",
            "frame": "settings.X_FRAME_OPTIONS",
            "referrer": "settings.SECURE_REFERRER_POLICY",
            "exempt": "settings.SECURE_REDIRECT_EXEMPT",
        }
    )
    assert got == {
        "redirect": True,
        "hsts": 31536000,
        "session_secure": True,
        "csrf_secure": True,
        "frame": "DENY",
        "referrer": "same-origin",
        "exempt": ["^healthz$"],
    }


def test_the_two_factor_pages_hold_the_policy_too(client, alice):
    client.force_login(alice)
    response = client.get(reverse("two_factor_setup"), secure=True)
    assert response.status_code == 200
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "style=" not in response.content.decode()


def test_check_deploy_reports_no_warnings_with_production_settings():
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(),
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
    )
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    figure(f"check --deploy: {last or result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert last == "System check identified no issues (0 silenced)."
