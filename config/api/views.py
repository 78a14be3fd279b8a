"""The API's own pages: Swagger UI, served from local assets under the strict CSP."""

from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerUIView(SpectacularSwaggerSplitView):
    """Swagger UI with no inline script (the split view serves the init script from
    `?script`) and no inline style (`templates/api/swagger_ui.html`)."""

    template_name = "api/swagger_ui.html"
