"""Webhook pages. Webhooks come through webhooks.selectors (404 for those the user does not
manage); every change goes through webhooks.services (403 for what the user may not do). The
secret is shown on the page that answers its creation or rotation, and never again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from config.forms import add_service_errors
from config.views import button_action, post_only
from institutes import access
from webhooks import selectors
from webhooks.forms import WebhookEditForm, WebhookForm
from webhooks.services import webhooks as services

PAGE_SIZE = 25


@login_required
@require_GET
def webhook_list(request):
    hooks = selectors.webhooks_managed_by(request.user)
    return render(
        request,
        "webhooks/list.html",
        {
            "webhooks": hooks,
            "form": WebhookForm(user=request.user),
            "may_create": selectors.webhook_institutes(request.user).exists(),
        },
    )


def _detail(request, webhook, *, secret: str = "", status: int = 200):
    deliveries = Paginator(selectors.deliveries_of(webhook), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    response = render(
        request,
        "webhooks/detail.html",
        {"webhook": webhook, "deliveries": deliveries, "secret": secret},
        status=status,
    )
    if secret:
        add_never_cache_headers(response)  # the secret stays out of every cache
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def webhook_create(request):
    access.require(selectors.webhook_institutes(request.user).exists(), services.NOT_A_LEAD)
    form = WebhookForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.webhook_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The webhook is registered.")
            # Rendered, not redirected: the secret is on this answer only.
            return _detail(request, result.webhook, secret=result.secret)
    return render(request, "webhooks/form.html", {"form": form})


@login_required
@require_GET
def webhook_detail(request, pk: int):
    return _detail(request, selectors.webhook_get(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request, pk: int):
    """Change the URL, events or description: what the API's PATCH changes, through the same
    service (the same URL check), for the same people (others get 404)."""
    webhook = selectors.webhook_get(request.user, pk)
    form = WebhookEditForm(
        request.POST or None,
        initial={"url": webhook.url, "events": webhook.events, "description": webhook.description},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(user=request.user, webhook=webhook, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The webhook is saved.")
            return redirect("webhooks:detail", pk=webhook.pk)
    return render(request, "webhooks/edit.html", {"form": form, "webhook": webhook})


@login_required
@post_only(lambda user, pk: selectors.webhook_get(user, pk))
def webhook_test(request, pk: int):
    webhook = selectors.webhook_get(request.user, pk)
    button_action(
        request,
        services.webhook_test,
        success="A test event (ping) is on its way: see the delivery log.",
        user=request.user,
        webhook=webhook,
    )
    return redirect("webhooks:detail", pk=webhook.pk)


@login_required
@post_only(lambda user, pk: selectors.webhook_get(user, pk))
def webhook_toggle(request, pk: int):
    webhook = selectors.webhook_get(request.user, pk)
    button_action(
        request,
        services.webhook_update,
        success="The webhook is disabled." if webhook.active else "The webhook is enabled.",
        user=request.user,
        webhook=webhook,
        active=not webhook.active,
    )
    return redirect("webhooks:detail", pk=webhook.pk)


@login_required
@never_cache
@post_only(lambda user, pk: selectors.webhook_get(user, pk))
def webhook_rotate(request, pk: int):
    webhook = selectors.webhook_get(request.user, pk)
    result = services.webhook_rotate_secret(user=request.user, webhook=webhook)
    messages.success(request, "The secret is rotated: the old one no longer signs deliveries.")
    return _detail(request, result.webhook, secret=result.secret)


@login_required
@post_only(lambda user, pk: selectors.webhook_get(user, pk))
def webhook_delete(request, pk: int):
    webhook = selectors.webhook_get(request.user, pk)
    services.webhook_delete(user=request.user, webhook=webhook)
    messages.success(request, "The webhook is deleted.")
    return redirect("webhooks:list")
