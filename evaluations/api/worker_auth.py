"""`Authorization: Bearer cwp_...`: the credential of an institute's worker pool.

Only the worker API (`evaluations.api.worker`) accepts it. Every other endpoint authenticates
with `institutes.authentication.BearerTokenAuthentication`, which knows no pool credential and
answers 401. Here, a valid user's API token gets 403 (an invalid, expired or revoked one 401, as
everywhere), and no credential 401: the worker API is for pools only. A revoked pool's credential is refused (401) from the moment it is revoked.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from config.api.throttling import PerClientRateThrottle
from evaluations.models import WorkerPool
from evaluations.models.pools import CREDENTIAL_PREFIX
from evaluations.services.pool_jobs import pool_by_credential
from institutes.authentication import BearerTokenAuthentication, bearer_credential


class WorkerPoolAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        raw = bearer_credential(request, what="pool credential")
        if raw is None:
            return None
        if not raw.startswith(CREDENTIAL_PREFIX):
            # A user's token: invalid, expired or revoked -> 401 (as everywhere); valid -> 403.
            BearerTokenAuthentication().authenticate(request)
            raise exceptions.PermissionDenied(
                "The worker API takes a worker pool's credential (cwp_...), not a user's token."
            )
        pool = pool_by_credential(raw)
        if pool is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked worker pool credential.")
        # The audit trail records this request's writes as the pool's worker.
        request._request.concord_worker_pool = str(pool)[:80]
        return AnonymousUser(), pool

    def authenticate_header(self, request):
        return self.keyword


class IsWorkerPool(BasePermission):
    message = "The worker API takes a worker pool's credential (cwp_...)."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, WorkerPool)


class PerPoolRateThrottle(PerClientRateThrottle):
    """One budget per pool (its workers share it)."""

    def get_cache_key(self, request, view):
        if isinstance(request.auth, WorkerPool):
            return self.cache_format % {"scope": self.scope, "ident": f"pool:{request.auth.pk}"}
        return super().get_cache_key(request, view)


class WorkerPoolScheme(OpenApiAuthenticationExtension):
    target_class = "evaluations.api.worker_auth.WorkerPoolAuthentication"
    name = "workerPoolAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A worker pool's credential, shown once when the pool is created (the institute's "
                "pools page or `python manage.py create_worker_pool`): "
                "`Authorization: Bearer cwp_...`. Accepted by the worker API only."
            ),
        }
