"""The webhooks API: leads manage their institute's webhooks, programme managers any
institute's, others get 403 for writes and 404 for other institutes' webhooks. The secret is in
the creation's answer (and a rotation's) only."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.api_clients import bearer, error_of
from tests.webhooks.conftest import register
from webhooks import signing
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/hook"


def test_a_lead_registers_a_webhook_and_sees_the_secret_once(alice, institute_a):
    api = bearer(alice)
    answer = api.post(
        "/api/v1/webhooks/",
        {"url": URL, "events": ["job.finished", "run.imported"], "description": "CI"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["institute"] == "inst-a"  # the one institute alice leads
    assert body["secret"].startswith("whsec_")
    assert body["secret_hint"] == body["secret"][-4:]
    webhook = Webhook.objects.get(pk=body["id"])
    # Stored encrypted, never in plaintext.
    assert body["secret"] not in webhook.secret_encrypted
    assert signing.decrypt_secret(webhook.secret_encrypted) == body["secret"]
    detail = api.get(f"/api/v1/webhooks/{webhook.pk}/")
    listing = api.get("/api/v1/webhooks/")
    for read in (detail, listing):
        assert read.status_code == 200
        assert body["secret"] not in read.content.decode()
        assert "secret_encrypted" not in read.content.decode()
    assert "secret" not in detail.json()


def test_rotation_gives_a_new_secret_once(alice, institute_a):
    webhook, old = register(alice, institute_a, URL)
    answer = bearer(alice).post(f"/api/v1/webhooks/{webhook.pk}/rotate-secret/")
    assert answer.status_code == 200
    new = answer.json()["secret"]
    assert new != old
    webhook.refresh_from_db()
    assert signing.decrypt_secret(webhook.secret_encrypted) == new


def test_an_evaluator_cannot_register(bob, institute_a):
    answer = bearer(bob).post("/api/v1/webhooks/", {"url": URL, "events": ["ping"]}, format="json")
    assert answer.status_code == 403  # refused before the body is read
    answer = bearer(bob).post(
        "/api/v1/webhooks/", {"url": URL, "events": ["job.finished"]}, format="json"
    )
    assert answer.status_code == 403
    assert not Webhook.objects.exists()


def test_a_programme_manager_registers_for_a_named_institute(pm, institute_b):
    api = bearer(pm)
    answer = api.post("/api/v1/webhooks/", {"url": URL, "events": ["job.finished"]}, format="json")
    assert answer.status_code == 400
    assert "institute" in error_of(answer)["fields"]
    answer = api.post(
        "/api/v1/webhooks/",
        {"url": URL, "events": ["job.finished"], "institute": "inst-b"},
        format="json",
    )
    assert answer.status_code == 201
    assert answer.json()["institute"] == "inst-b"


def test_a_lead_cannot_register_for_another_institute(alice, institute_b):
    answer = bearer(alice).post(
        "/api/v1/webhooks/",
        {"url": URL, "events": ["job.finished"], "institute": "inst-b"},
        format="json",
    )
    assert answer.status_code == 403


def test_other_institutes_webhooks_are_404(alice, charlie, institute_c, vera):
    theirs, _ = register(charlie, institute_c, URL)
    api = bearer(alice)
    assert api.get("/api/v1/webhooks/").json()["count"] == 0
    for method, path in [
        ("get", f"/api/v1/webhooks/{theirs.pk}/"),
        ("patch", f"/api/v1/webhooks/{theirs.pk}/"),
        ("delete", f"/api/v1/webhooks/{theirs.pk}/"),
        ("post", f"/api/v1/webhooks/{theirs.pk}/test/"),
        ("post", f"/api/v1/webhooks/{theirs.pk}/rotate-secret/"),
        ("get", f"/api/v1/webhooks/{theirs.pk}/deliveries/"),
    ]:
        assert getattr(api, method)(path, {}, format="json").status_code == 404, path
    assert bearer(vera).get(f"/api/v1/webhooks/{theirs.pk}/").status_code == 404
    assert Webhook.objects.filter(pk=theirs.pk).exists()


def test_patch_changes_url_events_and_active(alice, institute_a):
    webhook, _ = register(alice, institute_a, URL)
    api = bearer(alice)
    answer = api.patch(
        f"/api/v1/webhooks/{webhook.pk}/",
        {"events": ["finding.changed"], "active": False, "url": "http://127.0.0.1:10/x"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["events"] == ["finding.changed"]
    assert answer.json()["active"] is False
    answer = api.patch(f"/api/v1/webhooks/{webhook.pk}/", {"events": ["nope"]}, format="json")
    assert answer.status_code == 400
    answer = api.patch(f"/api/v1/webhooks/{webhook.pk}/", {"events": []}, format="json")
    assert answer.status_code == 400


@override_settings(CONCORD_WEBHOOK_ALLOW_PRIVATE=False)
def test_a_private_url_is_a_400_that_says_why(alice, institute_a):
    answer = bearer(alice).post(
        "/api/v1/webhooks/",
        {"url": "http://169.254.169.254/latest/meta-data/", "events": ["job.finished"]},
        format="json",
    )
    assert answer.status_code == 400
    assert "link-local addresses are refused" in error_of(answer)["fields"]["url"][0]


def test_the_test_event_and_the_delivery_log(alice, institute_a, receiver):
    webhook, _ = register(alice, institute_a, receiver.url)
    api = bearer(alice)
    answer = api.post(f"/api/v1/webhooks/{webhook.pk}/test/")
    assert answer.status_code == 202
    assert answer.json()["event"] == "ping"
    assert answer.json()["status"] == "pending"
    from webhooks.services.delivery import delivery_attempt

    delivery_attempt(delivery_id=Delivery.objects.get().pk)
    assert receiver.requests[0].headers["X-Concord-Event"] == "ping"
    log = api.get(f"/api/v1/webhooks/{webhook.pk}/deliveries/").json()
    assert log["count"] == 1
    [row] = log["results"]
    assert row["status"] == "delivered"
    assert row["delivery"] == answer.json()["delivery"]
    assert row["attempt_log"][0]["status_code"] == 200


def test_delete(alice, institute_a):
    webhook, _ = register(alice, institute_a, URL)
    assert bearer(alice).delete(f"/api/v1/webhooks/{webhook.pk}/").status_code == 204
    assert not Webhook.objects.exists()
