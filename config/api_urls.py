"""The REST API: /api/v1/ resources, OpenAPI 3 schema and locally served Swagger UI."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import APIRootView, DefaultRouter

from config.api.permissions import SIGNED_IN
from config.api.views import RouteNotFoundView, SwaggerUIView
from evaluations.api import api_routes as evaluations_routes
from exchanges.api import api_routes as exchanges_routes
from institutes.api import api_routes as institutes_routes


class SignedInAPIRootView(APIRootView):
    """The index of the API's resources: for signed-in users, like every data endpoint."""

    permission_classes = SIGNED_IN


class Router(DefaultRouter):
    APIRootView = SignedInAPIRootView
    # The API answers JSON only, so `.json` suffixes add nothing, and nested @action routes
    # (e.g. projects/<slug>/access-windows/<id>.json) passed `format` to views that do not take
    # it: a 500 for any signed-in user.
    include_format_suffixes = False


router = Router()
institutes_routes(router)
evaluations_routes(router)
exchanges_routes(router)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerUIView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: any other /api/ address answers in the API's error shape.
    re_path(r"^[\s\S]*$", RouteNotFoundView.as_view(), name="api-not-found"),
]
