"""The home dashboard's live parts. The page itself is the `home` view (evaluations.views.home),
which adds `evaluations.selectors.dashboard.dashboard_context`; this module serves the fragment its
jobs-in-flight panel polls while a job is queued or running."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from evaluations.selectors.dashboard import jobs_panel


@login_required
def dashboard_jobs(request):
    return render(request, "evaluations/results/_dashboard_jobs.html", jobs_panel(request.user))
