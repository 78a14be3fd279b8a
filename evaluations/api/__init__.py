"""REST API resources of this app, registered on the /api/v1/ router.

Each area registers its own viewsets: one call per area below.
"""

from evaluations.api.imports import register_import_routes
from evaluations.api.jobs import register_job_routes
from evaluations.api.projects import register_project_routes


def api_routes(router) -> None:
    """Register this app's viewsets on the API router."""
    register_project_routes(router)
    register_import_routes(router)  # before the runs routes: "runs/import/" is not a run id
    register_job_routes(router)
