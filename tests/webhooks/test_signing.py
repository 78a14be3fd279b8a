"""Secrets and signatures: the secret is stored encrypted and decrypts only with the server's
key; the reference verifier accepts what the server signs and nothing else; concord-client's
own verifier agrees with the server."""

from __future__ import annotations

import time

import pytest

from webhooks import signing


def test_secrets_are_stored_encrypted_and_bound_to_the_key(settings):
    secret = signing.generate_secret()
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    stored = signing.encrypt_secret(secret)
    assert secret not in stored
    assert signing.decrypt_secret(stored) == secret
    settings.CONCORD_WEBHOOK_KEY = "another key"
    with pytest.raises(signing.SecretUnreadable):
        signing.decrypt_secret(stored)


def test_the_reference_verifier():
    secret, body, now = "whsec_test", b'{"event":"ping"}', int(time.time())
    signature = signing.sign(secret, now, body)
    assert signature.startswith("sha256=")
    assert len(signature) == 7 + 64
    assert signing.verify(secret, body=body, timestamp=str(now), signature=signature)
    assert not signing.verify(secret, body=body + b" ", timestamp=str(now), signature=signature)
    assert not signing.verify(secret, body=body, timestamp=str(now - 301), signature=signature)
    assert not signing.verify(secret, body=body, timestamp="soon", signature=signature)
    assert not signing.verify(secret, body=body, timestamp=str(now), signature="")


def test_concord_client_verifies_what_the_server_signs():
    client = pytest.importorskip("concord_client.webhooks")
    secret, body, now = signing.generate_secret(), b'{"event":"job.finished"}', int(time.time())
    signature = signing.sign(secret, now, body)
    assert client.verify_signature(secret, body, str(now), signature)
    assert not client.verify_signature(secret, body + b"x", str(now), signature)
