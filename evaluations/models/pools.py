"""Worker pools: an institute's own machines running Concord's evaluation jobs.

A pool is served by any number of `concord worker` processes holding only the pool's credential
(`cwp_...`, shown once; only its SHA-256 is stored). A project chooses, per participating
institute, which pool runs that institute's jobs (`Participation.worker_pool`; empty: the
institute's default pool if it has one, else Concord's own Celery workers).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from institutes.models import Institute

CREDENTIAL_PREFIX = "cwp_"


def hash_credential(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class WorkerPoolQuerySet(models.QuerySet):
    def active(self) -> WorkerPoolQuerySet:
        return self.filter(revoked_at__isnull=True)


class WorkerPool(models.Model):
    institute = models.ForeignKey(Institute, on_delete=models.PROTECT, related_name="worker_pools")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(
        default=False, help_text="Runs the institute's jobs in projects that chose no pool."
    )
    credential_prefix = models.CharField(max_length=16, editable=False)
    credential_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects = WorkerPoolQuerySet.as_manager()

    class Meta:
        ordering = ["institute__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["institute"],
                condition=Q(is_default=True, revoked_at__isnull=True),
                name="workerpool_one_default_per_institute",
            ),
            models.UniqueConstraint(
                fields=["institute", "name"],
                condition=Q(revoked_at__isnull=True),
                name="workerpool_unique_active_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institute.code}/{self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def generate_raw() -> str:
        return CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
