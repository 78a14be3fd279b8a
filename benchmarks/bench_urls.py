"""The product's URLs plus `/bench/ceiling/`: a plain Django view returning a small JSON, through
the same middleware as every page (the framework's ceiling on this machine). Benchmarks only."""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns


def ceiling(request):
    return JsonResponse({"ok": True, "service": "concord"})


urlpatterns = [path("bench/ceiling/", ceiling), *product_urlpatterns]
