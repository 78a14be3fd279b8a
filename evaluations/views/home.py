from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from evaluations import selectors


@login_required
def home(request):
    """The signed-in user's dashboard."""
    projects = selectors.projects_for(request.user)[:20]
    return render(request, "evaluations/home.html", {"projects": projects})
