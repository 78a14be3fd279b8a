"""Where webhooks may send, and the sending itself.

A webhook URL is http(s) and its host must resolve only to public addresses: loopback,
private, link-local (169.254.169.254, the cloud metadata service), reserved, multicast,
unspecified and other non-global addresses are refused, unless CONCORD_WEBHOOK_ALLOW_PRIVATE
is on (a laptop, the test suite). The check runs at registration (a 400 that says why) and again
at every delivery, and the delivery connects to the very address that was checked (the HTTP
`Host` and TLS server name stay the URL's host): a name that re-resolves to an internal address
between the check and the connection (DNS rebinding) gets nowhere. Redirects are not followed.

Deployments accept https:// only (CONCORD_WEBHOOK_REQUIRE_HTTPS, on unless DEBUG or the demo);
turning it off allows plain http:// for receivers on a trusted network.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Concord-Webhooks"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why this address may not be sent to ('' when it may)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return kind
    return "" if ip.is_global else "non-public"


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(f"The host {host} of the webhook URL cannot be resolved.") from exc
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen[str(sockaddr[0]).split("%", 1)[0]] = None
    if not seen:
        raise ValidationError(f"The host {host} of the webhook URL has no address.")
    return tuple(seen)


def check_url(url: str) -> Target:
    """The URL's target with the addresses it may be sent to, or a ValidationError that says
    what is wrong with it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError("The webhook URL is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationError("A webhook URL starts with https:// (or http://).")
    if scheme == "http" and settings.CONCORD_WEBHOOK_REQUIRE_HTTPS:
        raise ValidationError("A webhook URL must use https:// on this server.")
    host = parts.hostname or ""
    if not host:
        raise ValidationError("The webhook URL has no host.")
    if parts.username or parts.password:
        raise ValidationError("A webhook URL may not carry a user name or password.")
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not settings.CONCORD_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            kind = _refusal(ipaddress.ip_address(address))
            if kind:
                shown = host if host == address else f"{host} ({address})"
                raise ValidationError(
                    f"The webhook URL points to {shown}: {kind} addresses are refused, "
                    "webhooks are sent to public addresses only."
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `address` (checked), while speaking to the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Response:
    status_code: int | None
    duration_ms: int
    error: str = ""


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Response:
    """POST `body` to the target's checked addresses (the next one only when one cannot be
    reached). Never raises for the network: the answer or the error is in the Response."""
    started = time.monotonic()
    error = ""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    for address in target.addresses:
        conn = kind(target.host, target.port, address=address, timeout=timeout)
        try:
            conn.request("POST", target.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(MAX_RESPONSE_BYTES)
            return Response(response.status, _ms(started))
        except (OSError, http.client.HTTPException) as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500] or exc.__class__.__name__
            if not isinstance(exc, ConnectionRefusedError | socket.gaierror):
                break  # reached, but it failed: do not send twice
        finally:
            conn.close()
    return Response(None, _ms(started), error)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
