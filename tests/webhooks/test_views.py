"""Webhook pages: the list, registering (the secret shown on the answer only), the detail page
with its delivery log, and the buttons (test event, disable/enable, rotate, delete)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.webhooks.conftest import register
from webhooks import signing
from webhooks.models import Delivery, Webhook
from webhooks.services import events

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/hook"


def test_a_lead_registers_on_the_page_and_sees_the_secret_once(client, alice, institute_a):
    client.force_login(alice)
    answer = client.post(
        reverse("webhooks:create"),
        {"institute": institute_a.pk, "url": URL, "events": ["job.finished"], "description": ""},
    )
    assert answer.status_code == 200
    webhook = Webhook.objects.get()
    secret = signing.decrypt_secret(webhook.secret_encrypted)
    assert secret in answer.content.decode()
    assert "no-store" in answer["Cache-Control"]
    again = client.get(reverse("webhooks:detail", args=[webhook.pk]))
    assert secret not in again.content.decode()
    assert webhook.secret_hint in again.content.decode()


def test_an_evaluator_may_not_open_the_form(client, bob):
    client.force_login(bob)
    assert client.get(reverse("webhooks:create")).status_code == 403
    listing = client.get(reverse("webhooks:list"))
    assert listing.status_code == 200
    assert "Ask a lead of your institute" in listing.content.decode()


def test_the_account_menu_links_leads_to_webhooks(client, alice, bob):
    client.force_login(alice)
    assert reverse("webhooks:list") in client.get(reverse("webhooks:list")).content.decode()
    client.force_login(bob)
    page = client.get("/").content.decode()
    assert f'href="{reverse("webhooks:list")}"' not in page


def test_private_url_is_a_form_error(client, alice, institute_a, settings):
    settings.CONCORD_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(alice)
    answer = client.post(
        reverse("webhooks:create"),
        {"institute": institute_a.pk, "url": "http://10.0.0.1/", "events": ["job.finished"]},
    )
    assert answer.status_code == 200
    assert "private addresses are refused" in answer.content.decode()
    assert not Webhook.objects.exists()


def test_buttons(client, alice, institute_a):
    webhook, secret = register(alice, institute_a, URL)
    client.force_login(alice)
    answer = client.post(reverse("webhooks:test", args=[webhook.pk]))
    assert answer.status_code == 302
    assert Delivery.objects.filter(event="ping", webhook=webhook).count() == 1
    client.post(reverse("webhooks:toggle", args=[webhook.pk]))
    webhook.refresh_from_db()
    assert not webhook.active
    client.post(reverse("webhooks:toggle", args=[webhook.pk]))
    webhook.refresh_from_db()
    assert webhook.active
    rotated = client.post(reverse("webhooks:rotate", args=[webhook.pk]))
    webhook.refresh_from_db()
    new = signing.decrypt_secret(webhook.secret_encrypted)
    assert new != secret
    assert new in rotated.content.decode()
    assert client.post(reverse("webhooks:delete", args=[webhook.pk])).status_code == 302
    assert not Webhook.objects.exists()


def test_the_delivery_log_is_paginated_latest_first(
    client, alice, institute_a, django_assert_max_num_queries
):
    webhook, _ = register(alice, institute_a, URL)
    for _ in range(30):
        events.ping(webhook=webhook)
    latest = Delivery.objects.order_by("-created_at", "-pk").first()
    client.force_login(alice)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("webhooks:detail", args=[webhook.pk]))
    html = page.content.decode()
    assert str(latest.uid) in html
    assert html.count("<code>") - html.count("whsec_") <= 27  # 25 rows + the URL (+ hint)
    assert "Page 1 of 2" in html
    assert client.get(reverse("webhooks:detail", args=[webhook.pk]), {"page": 2}).status_code == 200


def test_list_query_count(
    client, pm, institute_a, institute_b, alice, django_assert_max_num_queries
):
    for institute in (institute_a, institute_b):
        for n in range(5):
            register(pm, institute, f"http://127.0.0.1:9/{n}")
    client.force_login(pm)
    with django_assert_max_num_queries(12):
        answer = client.get(reverse("webhooks:list"))
    assert answer.status_code == 200
    assert answer.content.decode().count("inst-") >= 10


def test_a_lead_edits_the_url_events_and_description_on_the_page(client, alice, institute_a):
    webhook, secret = register(alice, institute_a, URL, events=["job.finished"])
    client.force_login(alice)
    detail = client.get(reverse("webhooks:detail", args=[webhook.pk])).content.decode()
    assert f'href="{reverse("webhooks:edit", args=[webhook.pk])}"' in detail
    form = client.get(reverse("webhooks:edit", args=[webhook.pk]))
    assert form.status_code == 200
    html = form.content.decode()
    assert f'value="{URL}"' in html
    assert html.count(" checked") == 1  # job.finished, its one event
    assert 'value="job.finished"' in html
    answer = client.post(
        reverse("webhooks:edit", args=[webhook.pk]),
        {
            "url": "http://127.0.0.1:9/other",
            "events": ["run.imported", "finding.changed"],
            "description": "  Our tracker  ",
        },
    )
    assert answer.status_code == 302
    assert answer["Location"] == reverse("webhooks:detail", args=[webhook.pk])
    webhook.refresh_from_db()
    assert webhook.url == "http://127.0.0.1:9/other"
    assert webhook.events == ["run.imported", "finding.changed"]
    assert webhook.description == "Our tracker"
    assert signing.decrypt_secret(webhook.secret_encrypted) == secret  # the secret stays
    assert webhook.active


def test_editing_keeps_a_disabled_webhook_disabled(client, alice, institute_a):
    webhook, _ = register(alice, institute_a, URL)
    client.force_login(alice)
    client.post(reverse("webhooks:toggle", args=[webhook.pk]))
    client.post(
        reverse("webhooks:edit", args=[webhook.pk]),
        {"url": URL, "events": ["job.finished"], "description": ""},
    )
    webhook.refresh_from_db()
    assert not webhook.active
    assert webhook.events == ["job.finished"]


def test_editing_to_a_private_url_is_a_form_error(client, alice, institute_a, settings):
    webhook, _ = register(alice, institute_a, "http://127.0.0.1:9/hook")
    settings.CONCORD_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(alice)
    answer = client.post(
        reverse("webhooks:edit", args=[webhook.pk]),
        {"url": "http://169.254.169.254/latest", "events": ["job.finished"]},
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "link-local addresses are refused" in html
    assert 'class="field-error"' in html
    webhook.refresh_from_db()
    assert webhook.url == "http://127.0.0.1:9/hook"


def test_editing_without_events_is_a_form_error(client, alice, institute_a):
    webhook, _ = register(alice, institute_a, URL, events=["job.finished"])
    client.force_login(alice)
    answer = client.post(
        reverse("webhooks:edit", args=[webhook.pk]), {"url": "http://127.0.0.1:9/x"}
    )
    assert answer.status_code == 200
    assert 'class="field-error"' in answer.content.decode()
    webhook.refresh_from_db()
    assert webhook.url == URL


def test_only_the_institutes_leads_and_programme_managers_edit_a_webhook(
    client, alice, bob, vera, charlie, pm, institute_a
):
    webhook, _ = register(alice, institute_a, URL)
    edit = reverse("webhooks:edit", args=[webhook.pk])
    data = {"url": "http://127.0.0.1:9/elsewhere", "events": ["ping"]}
    for someone in (bob, vera, charlie):
        client.force_login(someone)
        assert client.get(edit).status_code == 404
        assert client.post(edit, data).status_code == 404
    webhook.refresh_from_db()
    assert webhook.url == URL
    client.force_login(pm)
    assert client.post(edit, {**data, "events": ["run.imported"]}).status_code == 302
    webhook.refresh_from_db()
    assert webhook.url == "http://127.0.0.1:9/elsewhere"
    client.logout()
    assert client.get(edit).status_code == 302  # to the sign-in page
