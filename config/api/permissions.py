"""Permissions of the API's views.

The default (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES) is `DenyAll`: a view that does not say
who may use it answers 403 to everyone, so a new endpoint is closed until it declares
`permission_classes` (`SIGNED_IN` for every data endpoint; AllowAny only for the public schema
and docs). tests/security/test_routes.py checks that every API view declares them.

What a user may see and do is decided by `institutes.access` and the services; this module only
adds what belongs to the credential itself: a read-scope token reads and never writes.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

from institutes.models import ApiToken


class TokenScopeAllowsMethod(BasePermission):
    message = "This API token is read-only: use a token with the write scope to change data."
    code = "read_only_token"

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.scope != ApiToken.Scope.WRITE:
            return request.method in SAFE_METHODS
        return True


class DenyAll(BasePermission):
    """The default for an API view that declares no permissions: nobody gets in."""

    message = (
        "This API view declares no permission_classes, and the default refuses every request "
        "(config.api.permissions.DenyAll): declare permission_classes = SIGNED_IN."
    )
    code = "permissions_not_declared"

    def has_permission(self, request, view) -> bool:
        return False


# Every data endpoint: a signed-in user (session or bearer token), and a read-scope token only
# for safe methods. Which objects the user reaches is decided by institutes.access (404 outside).
SIGNED_IN = (IsAuthenticated, TokenScopeAllowsMethod)
