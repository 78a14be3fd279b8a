"""Who: institutes, their staff and roles, and the API tokens partner tools use."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EVALUATOR = "evaluator", "Evaluator"
    LEAD = "lead", "Lead"


# Higher rank includes the powers of the lower ones.
ROLE_RANK = {Role.VIEWER: 1, Role.EVALUATOR: 2, Role.LEAD: 3}


class Institute(models.Model):
    code = models.SlugField(
        max_length=32,
        unique=True,
        help_text="Short stable identifier, e.g. 'uk-aisi'. Never changes.",
    )
    name = models.CharField(max_length=200, help_text="Display name; institutes get renamed.")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 country code, e.g. GB.")
    website = models.URLField(blank=True)
    is_active = models.BooleanField(default=True)
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Members must sign in with a second factor (an authenticator app) everywhere. "
        "Programme managers and the admin always need one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="institute_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person using Concord. Programme managers run the platform across all institutes."""

    is_programme_manager = models.BooleanField(
        default=False,
        help_text="Platform-wide role: sees every project, registers institutes and staff.",
    )
    institutes = models.ManyToManyField(Institute, through="Membership", related_name="members")
    session_epoch = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised (by database triggers, institutes.sessions) when a membership ends or "
        "the account is disabled or loses a platform role: every session signed in before ends.",
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def _get_session_auth_hash(self, secret=None) -> str:
        # Django checks this hash, stored in the session at sign-in, on every request: a session
        # signed in before the password changed or the epoch was raised no longer matches and is
        # ended (flushed, the user anonymous) at once.
        return salted_hmac(
            "institutes.User.session_auth_hash",
            f"{self.password}|{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    institute = models.ForeignKey(Institute, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["institute__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "institute"], name="membership_unique_user_institute"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.username} @ {self.institute.code} ({self.role})"

    @property
    def rank(self) -> int:
        return ROLE_RANK[Role(self.role)]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for partner tools. Only its SHA-256 hash is stored; the token is shown once."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    TOKEN_PREFIX = "cnc_"  # noqa: S105  (a public prefix, not a secret)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. 'UK harness uploader'."
    )
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.WRITE)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]
        verbose_name = "API token"
        verbose_name_plural = "API tokens"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def generate_raw(cls) -> str:
        return cls.TOKEN_PREFIX + secrets.token_urlsafe(32)

    @property
    def state(self) -> str:
        """revoked, expired or active: a revoked token says so even once it has expired."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"


class AuditEvent(models.Model):
    """One recorded change or security event. Rows are written by database triggers (every insert,
    update and delete of Concord's tables, bulk updates and admin actions included) and by
    `institutes.audit.record` for security events. Never edited."""

    class ActorKind(models.TextChoices):
        USER = "user", "Signed-in user"
        TOKEN = "token", "API token"
        WORKER = "worker", "Worker"
        SYSTEM = "system", "System (command, migration)"
        ANONYMOUS = "anonymous", "Anonymous"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_kind = models.CharField(
        max_length=10, choices=ActorKind.choices, default=ActorKind.SYSTEM
    )
    token_id = models.BigIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="Path, task name or command.")
    action = models.CharField(
        max_length=40, db_index=True, help_text="insert, update, delete or a security event."
    )
    table = models.CharField(max_length=100, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    project_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["table", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.table} {self.object_id}"
