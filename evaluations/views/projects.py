"""Project pages: the list, the project page, opening and editing a project, its status and the
guideline it follows. Its setup (participants, systems, windows, workstreams) is in
`project_setup`, its findings in `findings`, its results in `project_results`.

Each write calls one service; the service checks the user's rights (PermissionDenied: 403) and
the rules (ValidationError: shown on the form). `project_view` resolves the project first, so
users outside it get a 404, and refuses a form page to users who may not use it (403)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from config.forms import add_service_errors
from config.views import button_action, post_only, render_page
from evaluations import rules
from evaluations.forms import fields as form_fields
from evaluations.forms import projects as project_forms
from evaluations.models import EvaluationProject, Finding
from evaluations.selectors import projects as project_selectors
from evaluations.selectors.external_runs import project_external_runs
from evaluations.selectors.jobs import tasks_for_project
from evaluations.services import guidelines as guideline_services
from evaluations.services import projects as services
from evaluations.views._helpers import back_to_project, project_form_page, project_view
from institutes import access

PAGE_SIZE = 25


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    next_statuses: list[Finding.Status]  # the buttons a lead sees


@login_required
def project_list(request):
    form = project_forms.ProjectFilterForm(request.GET or None, user=request.user)
    projects = project_selectors.project_list(request.user, **form.filters())
    context = {
        "form": form,
        "page": Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_create": access.manageable_institutes(request.user).exists(),
    }
    return render_page(request, "evaluations/projects/list.html", context, fragment="results")


@login_required
def project_create(request):
    form = project_forms.ProjectCreateForm(request.POST or None, user=request.user)
    choices = form_fields.model_field(form, "lead_institute").queryset
    access.require(
        choices is not None and choices.exists(),
        "Only institute leads and programme managers open projects.",
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = services.project_create(
                user=request.user,
                title=data["title"],
                slug=data["slug"],
                lead_institute=data["lead_institute"],
                partner_institutes=data["partner_institutes"],
                description=data["description"],
                embargo_until=data["embargo_until"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The project “{project.title}” is open.")
            return redirect("projects:detail", slug=project.slug)
    return render(
        request,
        "evaluations/projects/form.html",
        {"form": form, "title": "Open a joint evaluation project", "submit": "Open the project"},
    )


@login_required
def project_detail(request, slug):
    user = request.user
    project = project_selectors.project_page_for(user, slug)
    systems = list(project.project_systems.all())
    can_see_results = access.can_see_results(user, project)
    can_manage = access.can_manage(user, project)
    findings = [
        FindingRow(
            finding,
            [s for s in Finding.Status if s in Finding.TRANSITIONS[Finding.Status(finding.status)]],
        )
        for finding in (project_selectors.findings_for(user, project) if can_see_results else [])
    ]
    context = {
        "project": project,
        "targets": [ps for ps in systems if not ps.is_reference],
        "references": [ps for ps in systems if ps.is_reference],
        "participation_blockers": (
            rules.participation_removal_blockers(project) if can_manage else {}
        ),
        "system_blockers": rules.system_removal_blockers(project) if can_manage else {},
        "can_manage": can_manage,
        "can_act": access.can_act(user, project),
        "can_see_results": can_see_results,
        "findings": findings,
        "external_runs": project_external_runs(user, project),
        "own_tasks": list(tasks_for_project(project).filter(project=project).order_by("name")),
        "superseded_guidelines": rules.superseded_adoptions(project),
        "next_statuses": [
            EvaluationProject.Status(s)
            for s in EvaluationProject.Status.values
            if s in EvaluationProject.TRANSITIONS[EvaluationProject.Status(project.status)]
        ],
    }
    return render(request, "evaluations/projects/detail.html", context)


@project_view("manage")
def project_edit(request, project):
    initial = {
        "title": project.title,
        "description": project.description,
        "embargo_until": project.embargo_until,
        "developer_response_days": project.developer_response_days,
    }
    form = project_forms.ProjectEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.project_update(
                user=request.user,
                project=project,
                title=data["title"],
                description=data["description"],
                embargo_until=data["embargo_until"],
                developer_response_days=data["developer_response_days"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The project is saved.")
            return back_to_project(project)
    return project_form_page(request, project, form, title=f"Edit {project.title}", submit="Save")


@project_view("manage")
@post_only()
def project_transition(request, project):
    form = project_forms.StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status.")
        return back_to_project(project)
    status = form.cleaned_data["status"]
    label = dict(EvaluationProject.Status.choices).get(status, status).lower()
    button_action(
        request,
        services.project_transition,
        user=request.user,
        project=project,
        status=status,
        success=f"The project is now {label}.",
    )
    return back_to_project(project)


@project_view("manage")
def guideline_adopt(request, project):
    form = project_forms.AdoptGuidelineForm(
        request.POST or None,
        user=request.user,
        project=project,
        initial={"version": request.GET.get("version")},  # the project page's "adopt vN" link
    )
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"]
        try:
            guideline_services.project_adopt_guideline(
                user=request.user, project=project, version=version
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The project follows {version}.")
            return back_to_project(project, "guidelines")
    return project_form_page(
        request, project, form, title="Adopt a guideline version", submit="Adopt the version"
    )
