"""The home dashboard: the signed-in user's projects and panels, and the fragment its
jobs-in-flight panel polls while a job is queued or running."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from evaluations.selectors import projects as project_selectors
from evaluations.selectors.dashboard import dashboard_context, jobs_panel


@login_required
def home(request):
    projects = project_selectors.projects_for(request.user)[:20]
    context = {"projects": projects, **dashboard_context(request.user)}
    return render(request, "evaluations/home.html", context)


@login_required
def dashboard_jobs(request):
    return render(request, "evaluations/_dashboard_jobs.html", jobs_panel(request.user))
