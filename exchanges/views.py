"""Exchange pages. Objects come through exchanges.selectors (404 for what the user may not see);
every change goes through exchanges.services (403 for what the user may not do)."""

from __future__ import annotations

import calendar as pycalendar
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from config.views import button_action, is_htmx, post_only
from exchanges import rules, selectors, services
from exchanges.calendar import institute_calendar
from exchanges.filters import ExchangeFilter
from exchanges.forms import (
    CalendarFeedForm,
    DecisionForm,
    ExchangeForm,
    OutcomeForm,
    ReasonForm,
)
from exchanges.models import CalendarFeed
from institutes import access

PAGE_SIZE = 25


def _exchange(user, pk):
    return selectors.exchange_get(user, pk)


def _checklist_item(user, pk, item_pk):
    return selectors.checklist_item_get(user, exchange_pk=pk, item_pk=item_pk)


def _managed_feed(user, pk) -> CalendarFeed:
    feed = selectors.calendar_feeds_managed_by(user).filter(pk=pk).first()
    if feed is None:
        raise Http404("No such calendar feed.")
    return feed


@login_required
@require_GET
def exchange_list(request):
    filterset = ExchangeFilter(request.GET or None, queryset=selectors.exchange_list(request.user))
    exchanges = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(exchanges, PAGE_SIZE).get_page(request.GET.get("page"))
    for exchange in page:
        exchange.shown_project = rules.shown_project(request.user, exchange)
    return render(
        request,
        "exchanges/list.html",
        {
            "filter": filterset,
            "page": page,
            "can_propose": rules.may_propose_any(request.user),
            "own_request": not rules.proposes_for_others(request.user),
        },
    )


def _month(value: str | None) -> date:
    today = timezone.localdate()
    if value:
        try:
            year, month = (int(part) for part in value.split("-", 1))
            if 1900 <= year <= 2200:
                return date(year, month, 1)
        except ValueError:
            pass
    return today.replace(day=1)


@login_required
@require_GET
def exchange_timeline(request):
    """A month at a glance: one row per exchange, one column per day."""
    first = _month(request.GET.get("month"))
    last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    params = request.GET.copy()
    params.pop("month", None)
    params.pop("year", None)
    filterset = ExchangeFilter(params or None, queryset=selectors.exchange_list(request.user))
    base = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    today = timezone.localdate()
    rows = []
    for exchange in selectors.exchanges_in_month(base, first, last):
        cells = [
            {
                "on": exchange.start_date <= day <= exchange.end_date,
                "start": day == exchange.start_date,
                "end": day == exchange.end_date,
            }
            for day in days
        ]
        rows.append({"exchange": exchange, "cells": cells})
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return render(
        request,
        "exchanges/timeline.html",
        {
            "filter": filterset,
            "first": first,
            "days": days,
            "today": today,
            "rows": rows,
            "previous": previous,
            "following": following,
        },
    )


def _detail_context(request, exchange, **extra):
    decided = rules.decided_institute_ids(exchange)
    context = {
        "exchange": exchange,
        "project": rules.shown_project(request.user, exchange),
        "pending_sides": [side for side in exchange.sides if side.pk not in decided],
        "actions": rules.available_actions(request.user, exchange),
        "open_mandatory": rules.open_mandatory_items(exchange),
        "decision_form": DecisionForm(),
        "reason_form": ReasonForm(),
        "outcome_form": OutcomeForm(),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def exchange_detail(request, pk: int):
    exchange = selectors.exchange_get(request.user, pk)
    return render(request, "exchanges/detail.html", _detail_context(request, exchange))


def _chosen_home(request, initial: dict) -> dict:
    """The form's initial values, with the home institute chosen on the page (?home_institute=,
    sent when it changes, so the person list offers that institute's staff)."""
    if request.method == "GET" and request.GET.get("home_institute"):
        return {**initial, "home_institute": request.GET["home_institute"]}
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def exchange_create(request):
    access.require(
        rules.may_propose_any(request.user),
        "Only institute leads and programme managers propose exchanges; evaluators request "
        "their own.",
    )
    form = ExchangeForm(
        request.POST or None,
        user=request.user,
        initial=_chosen_home(request, {}),
        reload_url=request.path,
    )
    if request.method == "POST" and form.is_valid():
        try:
            exchange = services.exchange_propose(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, "The exchange is proposed. A lead of each side decides on it."
            )
            return redirect("exchanges:detail", pk=exchange.pk)
    return render(
        request,
        "exchanges/form.html",
        {
            "form": form,
            "exchange": None,
            "own_request": not rules.proposes_for_others(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def exchange_edit(request, pk: int):
    exchange = selectors.exchange_get(request.user, pk)
    if not rules.available_actions(request.user, exchange).edit:
        raise Http404("This exchange cannot be changed.")
    form = ExchangeForm(
        request.POST or None,
        user=request.user,
        initial=_chosen_home(request, ExchangeForm.initial_for(exchange)),
        reload_url=request.path,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.exchange_update(user=request.user, exchange=exchange, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "The exchange is changed.")
            return redirect("exchanges:detail", pk=exchange.pk)
    return render(request, "exchanges/form.html", {"form": form, "exchange": exchange})


def _button(request, pk: int, service, *, success: str, **arguments):
    """A transition from a detail-page button: the service's refusal comes back as messages."""
    exchange = selectors.exchange_get(request.user, pk)
    button_action(
        request, service, success=success, user=request.user, exchange=exchange, **arguments
    )
    return redirect("exchanges:detail", pk=pk)


@login_required
@post_only(_exchange)
def exchange_approve(request, pk: int):
    form = DecisionForm(request.POST)
    institute = form.cleaned_data["institute"] if form.is_valid() else None
    return _button(
        request,
        pk,
        services.exchange_approve,
        institute=institute,
        success="You approved the exchange.",
    )


@login_required
@post_only(_exchange)
def exchange_decline(request, pk: int):
    form = DecisionForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    return _button(
        request,
        pk,
        services.exchange_decline,
        institute=data.get("institute"),
        reason=data.get("reason", ""),
        success="You declined the exchange.",
    )


@login_required
@post_only(_exchange)
def exchange_activate(request, pk: int):
    return _button(request, pk, services.exchange_activate, success="The exchange is active.")


@login_required
@post_only(_exchange)
def exchange_complete(request, pk: int):
    form = OutcomeForm(request.POST)
    outcome = form.cleaned_data["outcome"] if form.is_valid() else ""
    return _button(
        request,
        pk,
        services.exchange_complete,
        outcome=outcome,
        success="The outcome report is saved and the exchange is completed.",
    )


@login_required
@post_only(_exchange)
def exchange_cancel(request, pk: int):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _button(
        request, pk, services.exchange_cancel, reason=reason, success="The exchange is cancelled."
    )


@login_required
@post_only(_checklist_item)
def checklist_item_toggle(request, pk: int, item_pk: int):
    """Ticks (done=1) or reopens (done=0) an onboarding item; htmx gets the checklist back."""
    item = selectors.checklist_item_get(request.user, exchange_pk=pk, item_pk=item_pk)
    error = None
    try:
        if request.POST.get("done") == "1":
            services.checklist_item_done(
                user=request.user, item=item, note=request.POST.get("note", "")
            )
        else:
            services.checklist_item_undone(user=request.user, item=item)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if is_htmx(request):
        # The checklist, and (out of band) the actions, whose Activate button depends on it.
        exchange = selectors.exchange_get(request.user, pk)
        context = _detail_context(request, exchange, checklist_error=error, oob=True)
        return HttpResponse(
            render_to_string("exchanges/detail.html#checklist", context, request=request)
            + render_to_string("exchanges/detail.html#actions", context, request=request)
        )
    if error:
        messages.error(request, error)
    return redirect("exchanges:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feeds(request):
    """Leads open and revoke their institutes' calendar feeds. A new feed's URL is shown once."""
    institutes = selectors.feed_institutes(request.user)
    form = CalendarFeedForm(request.POST or None, institutes=institutes)
    new_feed_url = None
    if request.method == "POST" and form.is_valid():
        _feed, token = services.calendar_feed_create(
            user=request.user,
            institute=form.cleaned_data["institute"],
            label=form.cleaned_data["label"],
        )
        new_feed_url = request.build_absolute_uri(reverse("exchanges:calendar_feed", args=[token]))
        form = CalendarFeedForm(institutes=institutes)
    response = render(
        request,
        "exchanges/calendars.html",
        {
            "form": form,
            "institutes": institutes,
            "feeds": selectors.calendar_feeds_managed_by(request.user),
            "new_feed_url": new_feed_url,
        },
    )
    if new_feed_url:
        response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@post_only(_managed_feed)
def calendar_feed_revoke(request, pk: int):
    feed = _managed_feed(request.user, pk)
    services.calendar_feed_revoke(user=request.user, feed=feed)
    messages.success(
        request, f"The feed of {feed.institute.name} is revoked: its URL stops working."
    )
    return redirect("exchanges:calendars")


@never_cache
@require_GET
def calendar_feed(request, token: str):
    """The secret-URL iCalendar feed (no login: calendar applications cannot sign in)."""
    feed: CalendarFeed = selectors.calendar_feed_for_token(token)
    body = institute_calendar(feed.institute, selectors.calendar_exchanges(feed.institute))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'inline; filename="concord-exchanges-{feed.institute.code}.ics"'
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return response
