"""A project's setup, changed by its leads: the participating institutes, the AI systems under
evaluation, the access windows to them, and the workstreams (one per domain).

Each form page calls one service and shows its ValidationError on the form; each button calls one
service and reports the outcome as a message. `project_view("manage")` gives outsiders a 404 and
other members a 403 before anything else."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError

from config.forms import add_service_errors
from config.views import button_action, post_only
from evaluations.forms import projects as project_forms
from evaluations.selectors import projects as project_selectors
from evaluations.services import projects as services
from evaluations.views._helpers import back_to_project, project_form_page, project_view

# --- participants -----------------------------------------------------------------------------


@project_view("manage")
def participation_add(request, project):
    form = project_forms.ParticipationAddForm(
        request.POST or None, user=request.user, project=project
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.participation_add(
                user=request.user, project=project, institute=data["institute"], role=data["role"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{data['institute'].name} takes part in the project.")
            return back_to_project(project, "participants")
    return project_form_page(
        request, project, form, title="Add a participating institute", submit="Add the institute"
    )


@project_view("manage")
@post_only()
def participation_remove(request, project, institute_id):
    institute = project_selectors.participation_for(project, institute_id).institute
    button_action(
        request,
        services.participation_remove,
        user=request.user,
        project=project,
        institute=institute,
        success=f"{institute.name} no longer takes part in the project.",
    )
    return back_to_project(project, "participants")


# --- AI systems -------------------------------------------------------------------------------


@project_view("manage")
def project_system_add(request, project):
    form = project_forms.ProjectSystemAddForm(
        request.POST or None, user=request.user, project=project
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.project_system_add(
                user=request.user,
                project=project,
                system=data["system"],
                is_reference=data["is_reference"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{data['system']} is in the project.")
            return back_to_project(project, "systems")
    return project_form_page(
        request, project, form, title="Add an AI system", submit="Add the system"
    )


@project_view("manage")
def project_system_create(request, project):
    form = project_forms.AISystemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.project_system_register(
                user=request.user,
                project=project,
                is_reference=form.cleaned_data["is_reference"],
                **form.system_fields(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{link.system} is registered and in the project.")
            return back_to_project(project, "systems")
    return project_form_page(
        request, project, form, title="Register a new AI system", submit="Register and add"
    )


@project_view("manage")
@post_only()
def project_system_remove(request, project, system_id):
    link = project_selectors.project_system_for(project, system_id)
    button_action(
        request,
        services.project_system_remove,
        user=request.user,
        project=project,
        system=link.system,
        success=f"{link.system} is no longer in the project.",
    )
    return back_to_project(project, "systems")


# --- access windows ---------------------------------------------------------------------------


@project_view("manage")
def access_window_add(request, project):
    form = project_forms.AccessWindowForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.access_window_create(
                user=request.user,
                project=project,
                system=data["system"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                terms=data["terms"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The access window is recorded.")
            return back_to_project(project, "windows")
    return project_form_page(
        request, project, form, title="Record an access window", submit="Save the window"
    )


@project_view("manage")
@post_only()
def access_window_delete(request, project, pk):
    window = project_selectors.access_window_for(project, pk)
    button_action(
        request,
        services.access_window_delete,
        user=request.user,
        window=window,
        success="The access window is deleted.",
    )
    return back_to_project(project, "windows")


# --- workstreams ------------------------------------------------------------------------------


@project_view("manage")
def workstream_add(request, project):
    form = project_forms.WorkstreamForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.workstream_create(
                user=request.user,
                project=project,
                domain=data["domain"],
                lead_institute=data["lead_institute"],
                members=data["members"],
                description=data["description"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The {data['domain'].name} workstream is set up.")
            return back_to_project(project, "workstreams")
    return project_form_page(request, project, form, title="Add a workstream", submit="Add")


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
        try:
            services.workstream_update(
                user=request.user,
                workstream=workstream,
                lead_institute=data["lead_institute"],
                members=data["members"],
                description=data["description"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The {workstream.domain.name} workstream is saved.")
            return back_to_project(project, "workstreams")
    return project_form_page(
        request, project, form, title=f"Edit the {workstream.domain.name} workstream", submit="Save"
    )


@project_view("manage")
@post_only()
def workstream_delete(request, project, pk):
    workstream = project_selectors.workstream_for(project, pk)
    button_action(
        request,
        services.workstream_delete,
        user=request.user,
        workstream=workstream,
        success=f"The {workstream.domain.name} workstream is deleted.",
    )
    return back_to_project(project, "workstreams")
