"""Where webhooks may send: http(s) to public addresses only, checked at registration (a 400
that says why) and again at delivery, which connects to the address that was checked."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from tests.webhooks.conftest import register
from webhooks import network
from webhooks.models import Delivery
from webhooks.services import events
from webhooks.services.delivery import delivery_attempt

PUBLIC = "93.184.216.34"  # a public address (never connected to here)


@override_settings(CONCORD_WEBHOOK_ALLOW_PRIVATE=False)
@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.8.9.10:8080/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://localhost:8000/hook", "loopback"),
    ],
)
def test_private_addresses_are_refused(url, kind):
    with pytest.raises(ValidationError) as refused:
        network.check_url(url)
    assert f"{kind} addresses are refused" in refused.value.messages[0]


@override_settings(CONCORD_WEBHOOK_ALLOW_PRIVATE=False)
def test_a_name_that_resolves_to_loopback_is_refused(monkeypatch):
    def resolve(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(network.socket, "getaddrinfo", resolve)
    with pytest.raises(
        ValidationError, match=r"hooks\.example\.org \(127\.0\.0\.1\): loopback addresses"
    ):
        network.check_url("https://hooks.example.org/in")


@override_settings(CONCORD_WEBHOOK_ALLOW_PRIVATE=False)
def test_a_public_address_is_accepted():
    target = network.check_url(f"https://{PUBLIC}/in?x=1")
    assert target.addresses == (PUBLIC,)
    assert target.port == 443
    assert target.path == "/in?x=1"


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "gopher://x", "https://", "not a url"]
)
def test_only_http_urls_with_a_host(url):
    with pytest.raises(ValidationError):
        network.check_url(url)


@override_settings(CONCORD_WEBHOOK_REQUIRE_HTTPS=True)
def test_deployments_take_https_only():
    with pytest.raises(ValidationError, match="https://"):
        network.check_url(f"http://{PUBLIC}/in")


@override_settings(CONCORD_WEBHOOK_ALLOW_PRIVATE=False)
def test_registration_refuses_a_private_url_with_a_clear_message(alice, institute_a):
    with pytest.raises(ValidationError) as refused:
        register(alice, institute_a, "http://10.0.0.5/hook")
    assert "private addresses are refused" in refused.value.message_dict["url"][0]


def test_delivery_checks_again_and_connects_to_the_checked_address(
    alice, institute_a, receiver, monkeypatch, settings
):
    """A name that resolved to a public address at registration and to loopback at delivery
    (DNS rebinding) is refused at delivery; what is sent goes to the checked address."""
    webhook, _ = register(alice, institute_a, receiver.url)
    port = int(receiver.url.split(":")[2].split("/")[0])
    webhook.url = f"http://rebind.example.org:{port}/hook"
    webhook.save()
    answers = iter(["127.0.0.1"])
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host != "rebind.example.org":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(network.socket, "getaddrinfo", resolve)
    settings.CONCORD_WEBHOOK_ALLOW_PRIVATE = False
    delivery = events.ping(webhook=webhook)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert "loopback addresses are refused" in delivery.last_error
    assert receiver.requests == []
    # With private addresses allowed (the test suite), the request reaches the checked address,
    # with the URL's host in the Host header.
    settings.CONCORD_WEBHOOK_ALLOW_PRIVATE = True
    answers = iter(["127.0.0.1"])
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    assert delivery_attempt(delivery_id=delivery.pk).status == "delivered"
    assert receiver.requests[0].headers["Host"] == f"rebind.example.org:{port}"
