from __future__ import annotations

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from institutes.health import broker_status, database_status


@never_cache
@require_GET
def healthz(request):
    """Liveness of what Concord depends on: 200 when the database and the broker answer, else 503."""
    checks = {"database": database_status(connections["default"]), "broker": broker_status()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
