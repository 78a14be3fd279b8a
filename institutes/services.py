"""Writes for institutes' people and their API tokens.

A token is shown once, when it is created: only its SHA-256 is stored, so nobody (not even a
programme manager reading the database) can recover it later. Tokens expire and can be revoked;
a token of a disabled user stops working at once (`ApiToken.objects.usable()`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from institutes import access, audit
from institutes.models import ApiToken, User, hash_token


def token_lifetime_days(expires_in_days: int | None) -> int:
    """The lifetime to give a token: the configured default when none is asked for; refused when
    it is not between 1 day and API_TOKEN_MAX_DAYS."""
    if expires_in_days is None:
        expires_in_days = settings.API_TOKEN_DEFAULT_DAYS
    longest = settings.API_TOKEN_MAX_DAYS
    if not 1 <= expires_in_days <= longest:
        raise ValidationError(
            {"expires_in_days": f"A token lives between 1 and {longest} days."},
            code="invalid",
        )
    return expires_in_days


def token_check(*, user: User, name: str, scope: str, expires_in_days: int | None) -> int:
    """Refuse a token request that token_create would refuse (forms call it before saving):
    a name, a known scope, an active user, a lifetime within API_TOKEN_MAX_DAYS, and a write
    scope only for a user who may write somewhere (access.can_hold_write_token): viewers hold
    read tokens. Returns the lifetime in days."""
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Say what the token is for, e.g. 'UK harness uploader'."
    if scope not in ApiToken.Scope.values:
        errors["scope"] = (
            f"'{scope}' is not a token scope: use one of {', '.join(ApiToken.Scope.values)}."
        )
    if not user.is_active:
        errors["user"] = f"{user.username} is disabled and cannot hold API tokens."
    elif scope == ApiToken.Scope.WRITE and not access.can_hold_write_token(user):
        errors["scope"] = (
            "Only evaluators, leads and programme managers hold write tokens: "
            f"{user.username} may have a read-only token."
        )
    days = 0
    try:
        days = token_lifetime_days(expires_in_days)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return days


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str,
    scope: str = ApiToken.Scope.WRITE,
    expires_in_days: int | None = None,
    by: User | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for `user` (`by`: who issued it, when not the user: a programme manager in
    the admin). Returns the stored token and the raw token, which is never stored and cannot be
    shown again."""
    days = token_check(user=user, name=name, scope=scope, expires_in_days=expires_in_days)
    name = name.strip()
    raw = ApiToken.generate_raw()
    token = ApiToken(
        user=user,
        name=name,
        scope=scope,
        prefix=raw[:12],
        token_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=days),
    )
    token.full_clean(exclude=["token_hash"])
    token.save()
    audit.record(
        "token_issued",
        user=by or user,
        table="institutes_apitoken",
        object_id=token.pk,
        owner=user.username,
        name=token.name,
        scope=token.scope,
        expires_at=token.expires_at.isoformat(),
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User | None) -> ApiToken:
    """Revoke a token; it stops working at once. Its owner and programme managers revoke it
    (`by=None` is an operator at the command line). Revoking twice keeps the first time."""
    if by is not None and by.pk != token.user_id and not access.is_programme_manager(by):
        raise PermissionDenied("Only the token's owner or a programme manager revokes it.")
    token = ApiToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            "token_revoked",
            user=by,
            table="institutes_apitoken",
            object_id=token.pk,
            owner=token.user.username,
        )
    return token
