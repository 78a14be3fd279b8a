"""REST API resources of this app, registered on the /api/v1/ router."""


def api_routes(router) -> None:
    """Register this app's viewsets on the API router."""
