"""`Authorization: Bearer <token>` for partner tools."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from institutes.models import ApiToken, hash_token

# last_used_at is written at most this often per token, to keep reads cheap.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def bearer_credential(request, *, what: str = "token") -> str | None:
    """The credential of an `Authorization: Bearer <credential>` header (None without one);
    AuthenticationFailed (401) for a malformed header. `what` names it in the message."""
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(
            f"Malformed Authorization header: use 'Bearer <{what}>'."
        )
    try:
        return header[1].decode()
    except UnicodeError as exc:
        raise exceptions.AuthenticationFailed(f"The {what} contains invalid characters.") from exc


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        raw = bearer_credential(request)
        if raw is None:
            return None
        token = (
            ApiToken.objects.usable()
            .select_related("user")
            .filter(token_hash=hash_token(raw))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        # The audit trail records writes made with this token as the token's.
        request._request.concord_token_id = token.pk
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
