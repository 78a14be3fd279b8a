"""The page of an external run: an Inspect evaluation an institute runs on its own machines and
reports to Concord while it runs (concord-client). Reached through
`selectors.external_runs.external_run_for` (a user outside the project gets a 404). Its status
polls itself every two seconds while the run is running; the final fragment carries no trigger,
so polling stops by itself."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required

from config.views import render_page
from evaluations.selectors.external_runs import external_run_for
from institutes import access

TEMPLATE = "evaluations/external_runs/detail.html"


@login_required
def external_run_detail(request, external_run_id: int):
    external = external_run_for(request.user, external_run_id)
    context = {
        "external": external,
        # The run is a result: linked under the results' rule (an embargo keeps it with the
        # participants), as a job's page does.
        "can_see_run": external.run_id is not None
        and access.can_see_results(request.user, external.project),
    }
    return render_page(request, TEMPLATE, context, fragment="status")
