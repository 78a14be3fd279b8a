"""Pages of this app."""

from institutes.views.health import healthz

__all__ = ["healthz"]
