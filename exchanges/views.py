from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from exchanges import selectors


@login_required
def exchange_list(request):
    exchanges = selectors.exchanges_visible_to(request.user).select_related(
        "person", "home_institute", "host_institute", "project"
    )
    return render(request, "exchanges/list.html", {"exchanges": exchanges})
