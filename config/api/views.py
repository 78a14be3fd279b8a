"""The API's own views: Swagger UI served from local assets under the strict CSP, and the
answer for an /api/ address that no route matches."""

from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.api.permissions import SIGNED_IN


class SwaggerUIView(SpectacularSwaggerSplitView):
    """Swagger UI with no inline script (the split view serves the init script from
    `?script`) and no inline style (`templates/api/swagger_ui.html`)."""

    template_name = "api/swagger_ui.html"
    permission_classes = [AllowAny]  # public: it describes the API and holds no data


@extend_schema(exclude=True)
class RouteNotFoundView(APIView):
    """Any /api/ address no route matches gets the API's error shape (not Django's HTML page),
    with a hint when only the trailing slash is missing."""

    permission_classes = SIGNED_IN

    def not_found(self, request, *args, **kwargs):
        message = "No such API address."
        if not request.path.endswith("/"):
            try:
                match = resolve(request.path + "/")
            except Resolver404:
                match = None
            if match is not None and match.url_name != "api-not-found":
                message += f" Addresses end with a slash: {request.path}/"
        raise NotFound(message)

    get = post = put = patch = delete = not_found
