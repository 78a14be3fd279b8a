"""Webhook secrets and signatures.

Every delivery carries `X-Concord-Timestamp` (unix seconds) and
`X-Concord-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.".encode() + raw_body)>`.
The timestamp is inside the signed bytes, so a captured request cannot be replayed later with a
fresh timestamp; receivers refuse a timestamp more than `TOLERANCE_SECONDS` away from their clock.
`verify()` below is the reference verifier (docs/partner-tools.md, "Webhooks", shows it);
concord-client ships its own copy, since it must not import the server.

To sign, the server needs the secret itself, so it is stored encrypted (Fernet, with a key
derived by HKDF-SHA256 from CONCORD_WEBHOOK_KEY, or from SECRET_KEY when that is unset). Changing
that key leaves the stored secrets unreadable: deliveries then fail with "cannot decrypt the
signing secret" until each webhook's secret is rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SIGNATURE_PREFIX = "sha256="
TOLERANCE_SECONDS = 300


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted (the key it was encrypted with has changed)."""


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _fernet() -> Fernet:
    material = (settings.CONCORD_WEBHOOK_KEY or settings.SECRET_KEY).encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"concord webhook secrets"
    ).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "Cannot decrypt the signing secret (the server's key changed): rotate the secret."
        ) from exc


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The `X-Concord-Signature` value for this body sent at this time."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def verify(
    secret: str,
    *,
    body: bytes,
    timestamp: str,
    signature: str,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """The reference verifier: True when `signature` (the `X-Concord-Signature` header) signs
    this raw `body` with `timestamp` (the `X-Concord-Timestamp` header), and the timestamp is
    within `tolerance` seconds of now. Compare in constant time; never parse the body first."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")
