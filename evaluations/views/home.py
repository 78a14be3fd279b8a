from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from evaluations.selectors import projects as project_selectors
from evaluations.selectors.dashboard import dashboard_context


@login_required
def home(request):
    """The signed-in user's dashboard."""
    projects = project_selectors.projects_for(request.user)[:20]
    context = {"projects": projects, **dashboard_context(request.user)}
    return render(request, "evaluations/home.html", context)
