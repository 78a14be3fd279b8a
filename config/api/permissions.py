"""Permissions every API endpoint applies (see REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES).

What a user may see and do is decided by `institutes.access` and the services; this module only
adds what belongs to the credential itself: a read-scope token reads and never writes.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from institutes.models import ApiToken


class TokenScopeAllowsMethod(BasePermission):
    message = "This API token is read-only: use a token with the write scope to change data."
    code = "read_only_token"

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.scope != ApiToken.Scope.WRITE:
            return request.method in SAFE_METHODS
        return True
