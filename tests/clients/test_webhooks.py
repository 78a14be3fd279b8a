"""The webhook verifier partners run on their side."""

from __future__ import annotations

import hashlib
import hmac

from concord_client.webhooks import sign, verify_signature

SECRET = "whsec_test"
BODY = b'{"event": "run.imported", "run": 12}'
NOW = 1_800_000_000


def _signature(timestamp: str, body: bytes = BODY) -> str:
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def test_a_good_signature_verifies():
    timestamp = str(NOW - 10)
    assert sign(SECRET, BODY, timestamp) == _signature(timestamp)
    assert verify_signature(SECRET, BODY, timestamp, _signature(timestamp), now=NOW)


def test_a_tampered_body_does_not_verify():
    timestamp = str(NOW)
    signature = _signature(timestamp)
    assert not verify_signature(SECRET, BODY.replace(b"12", b"13"), timestamp, signature, now=NOW)
    assert not verify_signature("other-secret", BODY, timestamp, signature, now=NOW)
    assert not verify_signature(SECRET, BODY, str(NOW - 1), signature, now=NOW)


def test_an_old_or_future_timestamp_does_not_verify():
    old = str(NOW - 301)
    assert not verify_signature(SECRET, BODY, old, _signature(old), now=NOW)
    future = str(NOW + 301)
    assert not verify_signature(SECRET, BODY, future, _signature(future), now=NOW)
    assert verify_signature(SECRET, BODY, old, _signature(old), tolerance=600, now=NOW)


def test_garbage_does_not_verify():
    assert not verify_signature(SECRET, BODY, "yesterday", _signature("yesterday"), now=NOW)
    assert not verify_signature(SECRET, BODY, str(NOW), "", now=NOW)
    assert not verify_signature(SECRET, BODY, str(NOW), _signature(str(NOW))[7:], now=NOW)
