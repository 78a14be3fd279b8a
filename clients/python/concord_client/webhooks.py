"""Check that a webhook request really comes from Concord.

Concord signs each delivery: `X-Concord-Timestamp` (unix seconds) and
`X-Concord-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}." + raw body)>`. A receiver
checks the signature over the raw body (before parsing it) and refuses a timestamp more than
`tolerance` seconds away from now, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

PREFIX = "sha256="


def sign(secret: str | bytes, body: bytes, timestamp: str) -> str:
    """The `X-Concord-Signature` value Concord sends for this body and timestamp."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def verify_signature(
    secret: str | bytes,
    body: bytes,
    timestamp: str,
    signature: str,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """True when `signature` signs `body` at `timestamp` with `secret` and the timestamp is
    within `tolerance` seconds of `now` (default: the current time)."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        return False
    if not signature or not signature.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), signature.strip())
