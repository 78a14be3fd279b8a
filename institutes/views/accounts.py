"""Sign-in and the second factor: the sign-in page (with django-axes' lockout), the two-factor
overview, enrolment of an authenticator app, verification after the password, and recovery
codes. The rules are in institutes.two_factor; these views only show and submit them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from institutes import audit
from institutes import two_factor as tf
from institutes.forms import CodeForm

NEW_CODES_KEY = "concord_new_recovery_codes"


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


login = LoginView.as_view()


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): the sign-in page with
    the reason, status 429. It says when to try again but not whether the password was right."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "next": request.POST.get("next", ""),
        "lockout_message": (
            f"Too many failed sign-ins: this account is locked for {minutes} minutes from "
            "this address. Each further attempt starts the wait again."
        ),
    }
    return render(request, "registration/login.html", context, status=429)


def _next_url(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
@login_required
def two_factor(request):
    """What protects this account, and what can be done about it."""
    user = request.user
    return render(
        request,
        "institutes/two_factor.html",
        {
            "enrolled": tf.has_device(user),
            "required": tf.is_required(user),
            "verified": tf.is_verified(request),
            "codes_left": tf.recovery_codes_left(user),
        },
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_setup(request):
    """Enrol an authenticator app. With a device already enrolled, only a session that passed it
    may replace it (else a stolen password would be enough to add one's own)."""
    user = request.user
    if tf.has_device(user) and not tf.is_verified(request):
        return redirect(f"{_verify_url()}?next={request.path}")
    device = tf.authenticator_pending(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = tf.authenticator_confirm(
            request=request, device=device, token=form.cleaned_data["code"]
        )
        if codes is not None:
            request.session[NEW_CODES_KEY] = codes
            messages.success(request, "Your authenticator app is set up.")
            return redirect(f"{_recovery_url()}?next={_next_url(request)}")
        form.add_error("code", "That code is not right: check the app's clock and try again.")
    return render(
        request,
        "institutes/two_factor_setup.html",
        {
            "form": form,
            # Geometry from the qrcode package: no script, no style, no text of ours.
            "qr_svg": mark_safe(tf.qr_svg(device)),  # noqa: S308
            "secret": tf.secret_text(device),
            "next": _next_url(request),
        },
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_verify(request):
    """The second step of signing in: a code from the app, or a recovery code."""
    if not tf.has_device(request.user):
        return redirect(f"{_setup_url()}?next={_next_url(request)}")
    if tf.is_verified(request):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = tf.is_throttled(request.user)  # before this attempt counts
        if tf.verify(request=request, token=form.cleaned_data["code"]) is not None:
            return redirect(_next_url(request))
        form.add_error(
            "code",
            "Too many wrong codes: wait a few seconds, then enter the current one."
            if throttled
            else "That code is not right, or was used already.",
        )
    return render(
        request, "institutes/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@never_cache
@login_required
def two_factor_recovery(request):
    """Recovery codes: shown once, just after they are made; POST makes a new set."""
    if tf.has_device(request.user) and not tf.is_verified(request):
        return redirect(f"{_verify_url()}?next={request.path}")
    if request.method == "POST":
        return _recovery_replace(request)
    codes = request.session.pop(NEW_CODES_KEY, None)
    return render(
        request,
        "institutes/two_factor_recovery.html",
        {
            "codes": codes,
            "codes_left": tf.recovery_codes_left(request.user),
            "enrolled": tf.has_device(request.user),
            "next": _next_url(request, default=""),
        },
    )


@require_POST
def _recovery_replace(request):
    if not tf.has_device(request.user):
        return redirect(_setup_url())
    request.session[NEW_CODES_KEY] = tf.recovery_codes_replace(user=request.user)
    audit.record("recovery_codes_replaced", request=request, user=request.user)
    messages.success(request, "New recovery codes: the old ones no longer work.")
    return redirect(_recovery_url())


def _setup_url() -> str:
    return reverse("two_factor_setup")


def _verify_url() -> str:
    return reverse("two_factor_verify")


def _recovery_url() -> str:
    return reverse("two_factor_recovery")
