"""The second factor: who needs one, and the services behind the two-factor pages.

Who: with CONCORD_REQUIRE_OTP on (the default; the test suite turns it off and the two-factor
tests back on), programme managers and superusers everywhere, members of an institute that
requires it (`Institute.require_two_factor`) everywhere, and anyone on the admin. Everyone else
may enrol and is then asked for a code at each sign-in too.

How: an authenticator app (TOTP, django-otp's `TOTPDevice`), enrolled by scanning a QR code, plus
ten single-use recovery codes (django-otp's `StaticDevice`; a used code is deleted). After the
password, `TwoFactorMiddleware` sends a user who needs a second factor to the verification page
(or, with no device yet, to enrolment); the API answers such a session 403. Bearer tokens are not
sessions: they are issued by a programme manager or `create_token` and are unaffected.
"""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from institutes import access, audit

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def is_required(user) -> bool:
    """Must this user pass a second factor to use Concord at all?"""
    if not settings.CONCORD_REQUIRE_OTP or not user.is_authenticated:
        return False
    if access.is_programme_manager(user):
        return True
    return access.institutes_require_two_factor(user)


def has_device(user) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def is_verified(request) -> bool:
    user = request.user
    return bool(getattr(user, "is_verified", None) and user.is_verified())


# --- enrolment ---------------------------------------------------------------------------------


def authenticator_pending(user) -> TOTPDevice:
    """The authenticator being enrolled (unconfirmed until a first code is entered)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code: geometry only (no script, no style),
    so the page holds the strict Content-Security-Policy."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8
    )
    return image.to_string(encoding="unicode")


def secret_text(device: TOTPDevice) -> str:
    """The secret as people type it into an app that cannot scan: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def authenticator_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from the app: it replaces any earlier one,
    the session counts as verified, and a fresh set of recovery codes is returned (to be shown
    once). None when the code is wrong."""
    if not device.verify_token(token.strip()):
        audit.record("two_factor_failed", request=request, stage="enrolment")
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_replace(user=device.user)
    verify_session(request, device)
    audit.record("two_factor_enrolled", request=request, user=device.user)
    return codes


def recovery_codes_replace(*, user) -> list[str]:
    """A new set of single-use recovery codes; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def two_factor_reset(*, user, by) -> int:
    """Remove a user's devices (a lost phone): a programme manager's admin action. The user
    enrols again at the next sign-in. Returns the number of devices removed."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[0]
    audit.record(
        "two_factor_reset",
        user=by,
        table="institutes_user",
        object_id=user.pk,
        username=user.username,
    )
    return removed


# --- verification ------------------------------------------------------------------------------


def verify_session(request, device) -> None:
    """Mark this session as having passed the second factor, under a new session key."""
    otp_login(request, device)
    request.session.cycle_key()


def verify(*, request, token: str):
    """Check a code from the authenticator app, or a recovery code (used up). Returns the device
    that accepted it, or None."""
    user = request.user
    token = token.strip().replace(" ", "")
    for device in devices_for_user(user, confirmed=True, for_verify=True):
        if device.verify_token(token):
            verify_session(request, device)
            details = {"device": type(device).__name__}
            if isinstance(device, StaticDevice):
                details["recovery_codes_left"] = device.token_set.count()
            audit.record("two_factor_verified", request=request, user=user, **details)
            return device
    audit.record("two_factor_failed", request=request, user=user, stage="sign-in")
    return None


def is_throttled(user) -> bool:
    """After a wrong code django-otp makes each device wait (1 s, 2 s, 4 s, ...) before it checks
    another one: true while the authenticator app's device waits."""
    return any(
        not device.verify_is_allowed()[0]
        for device in devices_for_user(user, confirmed=True)
        if isinstance(device, TOTPDevice)
    )


# --- enforcement -------------------------------------------------------------------------------

API_MESSAGE = (
    "This session has not passed the second factor: verify it on the two-factor page, or use "
    "an API token."
)


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware: a signed-in session that needs a second factor and has
    not passed one reaches only the sign-in, sign-out and two-factor pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.CONCORD_REQUIRE_OTP:
            refused = self._refuse(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        exempt = (
            reverse("login"),
            reverse("logout"),
            reverse("two_factor_setup"),
            reverse("two_factor_verify"),
            reverse("admin:logout"),
            settings.STATIC_URL,
        )
        return path.startswith(exempt)

    def _refuse(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or is_verified(request):
            return None
        path = request.path_info
        on_admin = path.startswith(reverse("admin:index"))
        if self._exempt(path) or not (on_admin or is_required(user)):
            return None
        if path.startswith("/api/"):
            body = {"status": 403, "code": "two_factor_required", "message": API_MESSAGE}
            return JsonResponse({"error": body}, status=403)
        target = "two_factor_verify" if has_device(user) else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
