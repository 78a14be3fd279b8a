"""Project pages: the list, the project page, and the forms that change a project.

Each write calls one service; the service checks the user's rights (PermissionDenied: 403) and
the rules (ValidationError: shown on the form). `project_view` resolves the project first, so
users outside it get a 404, and refuses a form page to users who may not use it (403)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from evaluations.forms import fields as form_fields
from evaluations.forms import projects as project_forms
from evaluations.models import EvaluationProject, Finding
from evaluations.selectors import projects as project_selectors
from evaluations.services import findings as finding_services
from evaluations.services import guidelines as guideline_services
from evaluations.services import projects as services
from evaluations.views._helpers import FAILED, is_htmx, project_view, run_action, run_service
from institutes import access

PAGE_SIZE = 25


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    next_statuses: list[Finding.Status]  # the buttons a lead sees


@login_required
def project_list(request):
    form = project_forms.ProjectFilterForm(request.GET or None)
    projects = project_selectors.project_list(request.user, **form.filters())
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_create": access.manageable_institutes(request.user).exists(),
    }
    template = "evaluations/projects/list.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


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
        project = run_service(
            form,
            lambda: services.project_create(
                user=request.user,
                title=data["title"],
                slug=data["slug"],
                lead_institute=data["lead_institute"],
                partner_institutes=data["partner_institutes"],
                description=data["description"],
                embargo_until=data["embargo_until"],
            ),
        )
        if project is not FAILED:
            messages.success(request, f"The project “{project.title}” is open.")
            return redirect("evaluations:project_detail", slug=project.slug)
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
        "can_manage": access.can_manage(user, project),
        "can_act": access.can_act(user, project),
        "can_see_results": can_see_results,
        "findings": findings,
        "next_statuses": [
            EvaluationProject.Status(s)
            for s in EvaluationProject.Status.values
            if s in EvaluationProject.TRANSITIONS[EvaluationProject.Status(project.status)]
        ],
    }
    return render(request, "evaluations/projects/detail.html", context)


def _form_page(request, project, form, *, title, submit, cancel=None):
    return render(
        request,
        "evaluations/projects/form.html",
        {"form": form, "project": project, "title": title, "submit": submit, "cancel": cancel},
    )


def _back(project, anchor=""):
    url = reverse("evaluations:project_detail", kwargs={"slug": project.slug})
    return redirect(f"{url}#{anchor}" if anchor else url)


@project_view("manage")
def project_edit(request, project):
    initial = {
        "title": project.title,
        "description": project.description,
        "embargo_until": project.embargo_until,
    }
    form = project_forms.ProjectEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.project_update(
                user=request.user,
                project=project,
                title=data["title"],
                description=data["description"],
                embargo_until=data["embargo_until"],
            ),
        )
        if done is not FAILED:
            messages.success(request, "The project is saved.")
            return _back(project)
    return _form_page(request, project, form, title="Edit the project", submit="Save")


@project_view("manage")
@require_POST
def project_transition(request, project):
    form = project_forms.StatusForm(request.POST)
    if form.is_valid():
        status = form.cleaned_data["status"]
        label = dict(EvaluationProject.Status.choices).get(status, status).lower()
        run_action(
            request,
            lambda: services.project_transition(user=request.user, project=project, status=status),
            f"The project is now {label}.",
        )
    else:
        messages.error(request, "Choose a status.")
    return _back(project)


@project_view("manage")
def participation_add(request, project):
    form = project_forms.ParticipationAddForm(
        request.POST or None, user=request.user, project=project
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.participation_add(
                user=request.user, project=project, institute=data["institute"], role=data["role"]
            ),
        )
        if done is not FAILED:
            messages.success(request, f"{data['institute'].name} takes part in the project.")
            return _back(project, "participants")
    return _form_page(
        request, project, form, title="Add a participating institute", submit="Add the institute"
    )


@project_view("manage")
@require_POST
def participation_remove(request, project, institute_id):
    participation = project_selectors.participation_for(project, institute_id)
    institute = participation.institute
    run_action(
        request,
        lambda: services.participation_remove(
            user=request.user, project=project, institute=institute
        ),
        f"{institute.name} no longer takes part in the project.",
    )
    return _back(project, "participants")


@project_view("manage")
def project_system_add(request, project):
    form = project_forms.ProjectSystemAddForm(
        request.POST or None, user=request.user, project=project
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.project_system_add(
                user=request.user,
                project=project,
                system=data["system"],
                is_reference=data["is_reference"],
            ),
        )
        if done is not FAILED:
            messages.success(request, f"{data['system']} is in the project.")
            return _back(project, "systems")
    return _form_page(request, project, form, title="Add an AI system", submit="Add the system")


@project_view("manage")
def project_system_create(request, project):
    form = project_forms.AISystemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.project_system_register(
                user=request.user,
                project=project,
                is_reference=form.cleaned_data["is_reference"],
                **form.system_fields(),
            ),
        )
        if done is not FAILED:
            messages.success(request, f"{done.system} is registered and in the project.")
            return _back(project, "systems")
    return _form_page(
        request, project, form, title="Register a new AI system", submit="Register and add"
    )


@project_view("manage")
@require_POST
def project_system_remove(request, project, system_id):
    link = project_selectors.project_system_for(project, system_id)
    run_action(
        request,
        lambda: services.project_system_remove(
            user=request.user, project=project, system=link.system
        ),
        f"{link.system} is no longer in the project.",
    )
    return _back(project, "systems")


@project_view("manage")
def access_window_add(request, project):
    form = project_forms.AccessWindowForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.access_window_create(
                user=request.user,
                project=project,
                system=data["system"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                terms=data["terms"],
            ),
        )
        if done is not FAILED:
            messages.success(request, "The access window is recorded.")
            return _back(project, "windows")
    return _form_page(
        request, project, form, title="Record an access window", submit="Save the window"
    )


@project_view("manage")
@require_POST
def access_window_delete(request, project, pk):
    window = project_selectors.access_window_for(project, pk)
    run_action(
        request,
        lambda: services.access_window_delete(user=request.user, window=window),
        "The access window is deleted.",
    )
    return _back(project, "windows")


@project_view("manage")
def workstream_add(request, project):
    form = project_forms.WorkstreamForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.workstream_create(
                user=request.user,
                project=project,
                domain=data["domain"],
                lead_institute=data["lead_institute"],
                members=data["members"],
                description=data["description"],
            ),
        )
        if done is not FAILED:
            messages.success(request, f"The {data['domain'].name} workstream is set up.")
            return _back(project, "workstreams")
    return _form_page(request, project, form, title="Add a workstream", submit="Add")


@project_view("manage")
def workstream_edit(request, project, pk):
    workstream = project_selectors.workstream_for(project, pk)
    initial = {
        "lead_institute": workstream.lead_institute,
        "members": list(workstream.members.all()),
        "description": workstream.description,
    }
    form = project_forms.WorkstreamForm(
        request.POST or None, initial=initial, project=project, editing=True
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.workstream_update(
                user=request.user,
                workstream=workstream,
                lead_institute=data["lead_institute"],
                members=data["members"],
                description=data["description"],
            ),
        )
        if done is not FAILED:
            messages.success(request, f"The {workstream.domain.name} workstream is saved.")
            return _back(project, "workstreams")
    return _form_page(
        request, project, form, title=f"Edit the {workstream.domain.name} workstream", submit="Save"
    )


@project_view("manage")
@require_POST
def workstream_delete(request, project, pk):
    workstream = project_selectors.workstream_for(project, pk)
    run_action(
        request,
        lambda: services.workstream_delete(user=request.user, workstream=workstream),
        f"The {workstream.domain.name} workstream is deleted.",
    )
    return _back(project, "workstreams")


def _require_results(request, project) -> None:
    """Findings are results: users who may not see them get a 404, as for anything hidden."""
    if not access.can_see_results(request.user, project):
        raise Http404("No such finding.")


@project_view("act")
def finding_add(request, project):
    _require_results(request, project)
    form = project_forms.FindingForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: finding_services.finding_create(
                user=request.user,
                project=project,
                title=data["title"],
                severity=data["severity"],
                body=data["body"],
                workstream=data["workstream"],
            ),
        )
        if done is not FAILED:
            messages.success(request, "The finding is recorded as a draft.")
            return _back(project, "findings")
    return _form_page(request, project, form, title="Record a finding", submit="Save the draft")


@project_view("act")
def finding_edit(request, project, pk):
    finding = project_selectors.finding_for(request.user, project, pk)
    initial = {
        "title": finding.title,
        "severity": finding.severity,
        "workstream": finding.workstream,
        "body": finding.body,
    }
    form = project_forms.FindingForm(request.POST or None, initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: finding_services.finding_update(
                user=request.user,
                finding=finding,
                title=data["title"],
                severity=data["severity"],
                body=data["body"],
                workstream=data["workstream"],
            ),
        )
        if done is not FAILED:
            messages.success(request, "The finding is saved.")
            return _back(project, "findings")
    return _form_page(request, project, form, title="Edit the finding", submit="Save")


@project_view("manage")
@require_POST
def finding_transition(request, project, pk):
    finding = project_selectors.finding_for(request.user, project, pk)
    form = project_forms.StatusForm(request.POST)
    if form.is_valid():
        status = form.cleaned_data["status"]
        label = dict(Finding.Status.choices).get(status, status).lower()
        run_action(
            request,
            lambda: finding_services.finding_transition(
                user=request.user, finding=finding, status=status
            ),
            f"The finding “{finding.title}” is now {label}.",
        )
    else:
        messages.error(request, "Choose a status.")
    return _back(project, "findings")


@project_view("manage")
def guideline_adopt(request, project):
    form = project_forms.AdoptGuidelineForm(
        request.POST or None, user=request.user, project=project
    )
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"]
        done = run_service(
            form,
            lambda: guideline_services.project_adopt_guideline(
                user=request.user, project=project, version=version
            ),
        )
        if done is not FAILED:
            messages.success(request, f"The project follows {version}.")
            return _back(project, "guidelines")
    return _form_page(
        request, project, form, title="Adopt a guideline version", submit="Adopt the version"
    )
