"""Where a request comes from, behind the reverse proxy.

In production nginx terminates TLS and appends the address it saw to `X-Forwarded-For`
(`$proxy_add_x_forwarded_for`), so the header reads "<what the client claimed>, ..., <client>".
Only the entries added by proxies we run can be believed: with CONCORD_TRUSTED_PROXY_COUNT = n,
the client is the n-th address from the right; everything to its left was written by the client
and is ignored. With 0 (the default: no proxy in front, as in the demo) the header is ignored
altogether and REMOTE_ADDR is the client.

Login throttling (django-axes, AXES_CLIENT_IP_CALLABLE) and the audit trail both use this, so a
client cannot escape a lockout, or write someone else's address into the trail, by sending its
own `X-Forwarded-For`.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""


def client_ip(request) -> str:
    """The client's address as the trusted proxies saw it ("" when it is not an address)."""
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    trusted = settings.CONCORD_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if len(forwarded) < trusted:
        # Fewer hops than proxies we run: the request did not come through them all. The
        # nearest address is the only one nobody could have forged.
        return remote
    return _valid(forwarded[-trusted]) or remote
