from rest_framework.throttling import SimpleRateThrottle


class PerClientRateThrottle(SimpleRateThrottle):
    """One budget per API token (or per user for browser sessions, per address for anonymous)."""

    scope = "client"

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is not None and getattr(token, "pk", None) is not None:
            ident = f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
