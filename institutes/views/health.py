from __future__ import annotations

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from institutes.health import broker_status, database_status, storage_status


@never_cache
@require_GET
def healthz(request):
    """Liveness of what Concord depends on: 200 when the database and the broker answer, else 503.

    The log storage is reported too, but a storage that does not answer leaves the status at 200
    ("degraded"): every web process shares the same storage, so taking one out of the load
    balancer helps nothing, and the pages still serve everything but transcripts and log
    downloads (which say they are temporarily unavailable)."""
    checks = {"database": database_status(connections["default"]), "broker": broker_status()}
    healthy = all(check["ok"] for check in checks.values())
    storage = storage_status()
    status = "ok" if healthy and storage["ok"] else "degraded" if healthy else "unavailable"
    return JsonResponse(
        {"status": status, **checks, "storage": storage}, status=200 if healthy else 503
    )
