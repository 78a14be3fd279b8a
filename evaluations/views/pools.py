"""An institute's worker pools (for its leads and programme managers: anyone else gets 404):
list, create (the credential is shown once, with the `concord worker` command line), revoke,
choose the default; and a project's choice of pool for each participating institute (its
leads). Each button calls one service (evaluations.services.pools)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from config.forms import add_service_errors
from config.views import button_action, post_only
from evaluations.forms.pools import ParticipationPoolForm, WorkerPoolForm
from evaluations.selectors import pools as selectors
from evaluations.selectors import projects as project_selectors
from evaluations.services import pools as services
from evaluations.views._helpers import back_to_project, project_form_page, project_view


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def pool_list(request, code: str):
    """The institute's pools and a form for a new one. A new pool's credential is shown in the
    answer to the POST and nowhere else (not kept, not cached)."""
    institute = selectors.pool_institute_for(request.user, code)
    form = WorkerPoolForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            pool, raw = services.pool_create(
                institute=institute, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            created = {
                "pool": pool,
                "raw": raw,
                "site_url": request.build_absolute_uri("/").rstrip("/"),
            }
            form = WorkerPoolForm()
    return render(
        request,
        "evaluations/pools/list.html",
        {
            "institute": institute,
            "pools": list(selectors.pools_of(institute)),
            "form": form,
            "created": created,
        },
        status=400 if form.errors else 200,
    )


def _lookup(user, code, pk):
    return selectors.pool_for(user, code, pk)


@login_required
@post_only(_lookup)
def pool_revoke(request, code: str, pk: int):
    pool = selectors.pool_for(request.user, code, pk)
    button_action(
        request,
        services.pool_revoke,
        pool=pool,
        by=request.user,
        success=f"The pool '{pool.name}' is revoked: its workers are refused from now on.",
    )
    return redirect("pools:list", code=code)


@login_required
@post_only(_lookup)
def pool_default(request, code: str, pk: int):
    pool = selectors.pool_for(request.user, code, pk)
    if pool.is_default:
        button_action(
            request,
            services.pool_unset_default,
            pool=pool,
            by=request.user,
            success=f"'{pool.name}' is no longer the default pool.",
        )
    else:
        button_action(
            request,
            services.pool_set_default,
            pool=pool,
            by=request.user,
            success=f"'{pool.name}' is now the default pool of {pool.institute.name}.",
        )
    return redirect("pools:list", code=code)


@project_view("manage")
def participation_pool(request, project, institute_id: int):
    """A project lead chooses which pool runs one participating institute's jobs."""
    participation = project_selectors.participation_for(project, institute_id)
    institute = participation.institute
    default = selectors.pool_choices(institute).filter(is_default=True).first()
    form = ParticipationPoolForm(
        request.POST or None,
        institute=institute,
        default_pool=default,
        initial={"pool": participation.worker_pool_id},
    )
    if request.method == "POST" and form.is_valid():
        pool = form.cleaned_data["pool"]
        try:
            services.participation_set_pool(
                user=request.user, project=project, institute=institute, pool=pool
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            where = f"its pool '{pool.name}'" if pool else form.fallback
            messages.success(request, f"{institute.name}'s jobs run on {where}.")
            return back_to_project(project, "participants")
    return project_form_page(
        request,
        project,
        form,
        title=f"Where {institute.name}'s jobs run",
        submit="Save",
    )
