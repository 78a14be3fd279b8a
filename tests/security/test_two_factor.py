"""The second factor (institutes.two_factor): required for programme managers everywhere, for the
admin, and for members of institutes that ask for it; enrolment with a QR code under the strict
CSP; verification after the password; single-use recovery codes.

The suite runs with CONCORD_REQUIRE_OTP off (so force_login keeps working in other areas'
tests); these tests turn it on, and a test checks production cannot turn it off."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from institutes import two_factor
from institutes.models import AuditEvent
from tests.api_clients import bearer
from tests.factories import PASSWORD
from tests.security.conftest import settings_probe


@pytest.fixture(autouse=True)
def require_otp(settings):
    settings.CONCORD_REQUIRE_OTP = True


def code_for(device: TOTPDevice, *, step_offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + step_offset * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, username: str):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def enrol(client, user) -> list[str]:
    """Enrol an authenticator through the pages; returns the recovery codes shown."""
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert response.status_code == 302, response.content[:500]
    page = client.get(response["Location"])
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page.content.decode())


def test_a_programme_manager_must_enrol_before_anything_else(client, pm):
    sign_in(client, "pm")
    response = client.get("/projects/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('two_factor_setup')}?next=%2Fprojects%2F"
    assert client.get("/api/v1/projects/").json()["error"]["code"] == "two_factor_required"
    assert client.get("/admin/").status_code == 302


def test_enrolment_shows_a_qr_code_under_the_strict_csp(client, pm):
    sign_in(client, "pm")
    response = client.get(reverse("two_factor_setup"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body
    assert "<path" in body
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "style=" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline script
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache: a secret is on it


def test_enrolment_then_verification_at_each_sign_in(client, pm):
    sign_in(client, "pm")
    codes = enrol(client, pm)
    assert len(codes) == 10
    assert client.get("/projects/").status_code == 200  # verified by enrolling
    client.post(reverse("logout"))

    sign_in(client, "pm")
    response = client.get("/projects/")
    assert response["Location"] == f"{reverse('two_factor_verify')}?next=%2Fprojects%2F"
    wrong = client.post(reverse("two_factor_verify"), {"code": "000000", "next": "/projects/"})
    assert "not right" in wrong.content.decode()
    device = TOTPDevice.objects.get(user=pm, confirmed=True)
    # A wrong code makes the device wait before it checks another (django-otp's throttling).
    hurried = client.post(
        reverse("two_factor_verify"), {"code": code_for(device, step_offset=1), "next": "/"}
    )
    assert "Too many wrong codes" in hurried.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # as if the wait were over
    key_before = client.session.session_key
    right = client.post(
        reverse("two_factor_verify"),
        {"code": code_for(device, step_offset=1), "next": "/projects/"},
    )
    assert right["Location"] == "/projects/"
    assert client.session.session_key != key_before  # a new session key once verified
    assert client.get("/projects/").status_code == 200
    actions = list(
        AuditEvent.objects.filter(action__startswith="two_factor").values_list("action", flat=True)
    )
    assert sorted(actions) == [
        "two_factor_enrolled",
        "two_factor_failed",
        "two_factor_failed",
        "two_factor_verified",
    ]


def test_a_recovery_code_works_once(client, pm):
    sign_in(client, "pm")
    codes = enrol(client, pm)
    client.post(reverse("logout"))
    results = []
    for _ in range(2):
        sign_in(client, "pm")
        response = client.post(reverse("two_factor_verify"), {"code": codes[0], "next": "/"})
        results.append(response.status_code == 302 and response["Location"] == "/")
        client.post(reverse("logout"))
    assert results == [True, False]
    assert StaticToken.objects.filter(device__user=pm).count() == 9
    event = AuditEvent.objects.filter(action="two_factor_verified").get()
    assert event.changes == {"device": "StaticDevice", "recovery_codes_left": 9}


def test_a_stolen_password_cannot_replace_an_enrolled_device(client, pm):
    sign_in(client, "pm")
    enrol(client, pm)
    client.post(reverse("logout"))
    sign_in(client, "pm")  # password only
    response = client.get(reverse("two_factor_setup"))
    assert response["Location"].startswith(reverse("two_factor_verify"))
    response = client.post(reverse("two_factor_recovery"))
    assert response["Location"].startswith(reverse("two_factor_verify"))
    assert TOTPDevice.objects.filter(user=pm).count() == 1


def test_the_admin_needs_a_second_factor_even_for_other_staff(client, alice):
    alice.is_staff = True
    alice.save()
    sign_in(client, "alice")
    assert client.get("/").status_code == 200  # pages: A does not require it
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("two_factor_setup"))


def test_an_institute_can_require_it_of_its_members(client, alice, charlie, institute_a):
    institute_a.require_two_factor = True
    institute_a.save()
    sign_in(client, "alice")
    assert client.get("/").status_code == 302
    client.post(reverse("logout"))
    sign_in(client, "charlie")  # institute C does not require it
    assert client.get("/").status_code == 200


def test_members_of_other_institutes_may_enrol_and_are_then_asked(client, charlie):
    sign_in(client, "charlie")
    enrol(client, charlie)
    client.post(reverse("logout"))
    sign_in(client, "charlie")
    assert client.get(reverse("two_factor")).status_code == 200
    assert "Enter a code" in client.get(reverse("two_factor")).content.decode()


def test_a_verified_session_helper_lets_tests_use_force_login(client, pm, verify_second_factor):
    client.force_login(pm)
    assert client.get("/").status_code == 302
    verify_second_factor(client, pm)
    assert client.get("/").status_code == 200


def test_api_tokens_are_not_sessions_and_need_no_second_factor(pm):
    assert bearer(pm).get("/api/v1/projects/").status_code == 200


def test_a_programme_manager_resets_a_lost_second_factor(client, pm, alice, verify_second_factor):
    TOTPDevice.objects.create(user=alice, name="Phone", confirmed=True)
    two_factor.recovery_codes_replace(user=alice)
    pm.is_superuser = True
    pm.save()
    client.force_login(pm)
    verify_second_factor(client, pm)
    response = client.post(
        "/admin/institutes/user/",
        {"action": "reset_two_factor", "_selected_action": [alice.pk]},
    )
    assert response.status_code == 302
    assert not two_factor.has_device(alice)
    assert AuditEvent.objects.filter(action="two_factor_reset", object_id=str(alice.pk)).exists()


def test_device_secrets_are_not_in_the_admin(client, pm, verify_second_factor):
    pm.is_superuser = True
    pm.save()
    client.force_login(pm)
    verify_second_factor(client, pm)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_production_cannot_turn_the_second_factor_off():
    got = settings_probe({"otp": "settings.CONCORD_REQUIRE_OTP"}, CONCORD_REQUIRE_OTP="0")
    assert got == {"otp": True}
