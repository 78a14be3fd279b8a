"""Every signed-in user's own API tokens: list them, issue one (shown once, in the answer to the
form), revoke one. The rules are institutes.services' (token_check, token_create, token_revoke),
which the admin and `create_token` obey too; these views only show and submit them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from config.forms import add_service_errors
from config.views import post_only
from institutes import selectors, services
from institutes.forms import ApiTokenForm


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The user's tokens and a form for a new one. A new token is shown in the answer to the
    POST and nowhere else: it is not kept (not in the session, not in a message), and the answer
    is not cached (`never_cache`: Cache-Control no-store), so reloading the list never shows it
    again."""
    form = ApiTokenForm(request.POST or None, user=request.user)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                by=request.user,
            )
        except ValidationError as exc:  # the form checked the same rules: only a race lands here
            add_service_errors(form, exc)
        else:
            issued = {"token": token, "raw": raw, **_examples(request)}
            form = ApiTokenForm(user=request.user)
    return render(
        request,
        "institutes/api_tokens.html",
        {
            "form": form,
            "issued": issued,
            "tokens": list(selectors.api_tokens_of(request.user)),
            "api_docs_url": reverse("api-docs"),
        },
        status=400 if form.errors else 200,
    )


@login_required
@post_only(selectors.api_token_get)
def api_token_revoke(request, pk: int):
    """Revoke one of the user's own tokens (anyone else's is a 404): it stops working at once."""
    token = services.token_revoke(token=selectors.api_token_get(request.user, pk), by=request.user)
    messages.success(
        request, f"The token “{token.name}” ({token.prefix}…) is revoked: it no longer works."
    )
    return redirect("api_tokens")


def _examples(request) -> dict[str, str]:
    """Where the site answers, for the examples shown beside a new token."""
    return {
        "site_url": request.build_absolute_uri("/").rstrip("/"),
        "projects_url": request.build_absolute_uri(reverse("project-list")),
    }
