"""The API's own views: the OpenAPI schema (generated once per process), Swagger UI served from
local assets under the strict CSP, and the answer for an /api/ address that no route matches."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import Resolver404, resolve
from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.permissions import SIGNED_IN

# The schema depends only on the code and the settings, never on who asks (it is served public),
# and generating it walks every endpoint (most of a second). A deployment's code is fixed for the
# life of its processes, so each process generates it once, per API version and language; a
# settings change (tests override settings) empties the cache.
_schemas: dict[tuple[str | None, str | None], dict[str, Any]] = {}
_schemas_lock = threading.Lock()


@receiver(setting_changed)
def _forget_schemas(**kwargs) -> None:
    with _schemas_lock:
        _schemas.clear()


def _schema_language() -> str:
    """The active language if Concord has it (`?lang=`), else the default: an unknown code would
    give the default's text anyway, and must not add a cache entry."""
    try:
        return translation.get_supported_language_variant(translation.get_language() or "")
    except LookupError:
        return settings.LANGUAGE_CODE


class SchemaView(SpectacularAPIView):
    """OpenAPI 3 (YAML; JSON by `?format=json` or the Accept header), generated on the first
    request of each process and then served from memory."""

    def _get_version_parameter(self, request):
        # The API is versioned by its path (/api/v1/); `?version=` would only add cache entries.
        return None

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, _schema_language())
        with _schemas_lock:  # one generation per process, however many first requests race
            schema = _schemas.get(key)
            if schema is None:
                generator = self.generator_class(
                    urlconf=self.urlconf, api_version=version, patterns=self.patterns
                )
                schema = _schemas[key] = generator.get_schema(
                    request=request, public=self.serve_public
                )
        filename = self._get_filename(request, version)
        return Response(
            data=schema, headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )


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
