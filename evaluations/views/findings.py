"""A project's findings: recorded and edited by its evaluators and leads, moved through review by
its leads. Findings are results: whoever may not see the project's results gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404

from config.forms import add_service_errors
from config.views import button_action, post_only
from evaluations.forms import projects as project_forms
from evaluations.models import Finding
from evaluations.selectors import projects as project_selectors
from evaluations.services import findings as services
from evaluations.views._helpers import back_to_project, project_form_page, project_view
from institutes import access


@project_view("act")
def finding_add(request, project):
    if not access.can_see_results(request.user, project):
        raise Http404("No such finding.")
    form = project_forms.FindingForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.finding_create(
                user=request.user,
                project=project,
                title=data["title"],
                severity=data["severity"],
                body=data["body"],
                workstream=data["workstream"],
                evidence=form.evidence(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The finding is recorded as a draft.")
            return back_to_project(project, "findings")
    return project_form_page(
        request,
        project,
        form,
        title=f"Record a finding in {project.title}",
        submit="Save the draft",
    )


@project_view("act")
def finding_edit(request, project, pk):
    finding = project_selectors.finding_for(request.user, project, pk)
    initial = {
        "title": finding.title,
        "severity": finding.severity,
        "workstream": finding.workstream,
        "body": finding.body,
    }
    form = project_forms.FindingForm(
        request.POST or None, initial=initial, project=project, finding=finding
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.finding_update(
                user=request.user,
                finding=finding,
                title=data["title"],
                severity=data["severity"],
                body=data["body"],
                workstream=data["workstream"],
                evidence=form.evidence(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The finding is saved.")
            return back_to_project(project, "findings")
    return project_form_page(request, project, form, title="Edit the finding", submit="Save")


@project_view("manage")
@post_only()
def finding_transition(request, project, pk):
    finding = project_selectors.finding_for(request.user, project, pk)
    form = project_forms.StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status.")
        return back_to_project(project, "findings")
    status = form.cleaned_data["status"]
    label = dict(Finding.Status.choices).get(status, status).lower()
    button_action(
        request,
        services.finding_transition,
        user=request.user,
        finding=finding,
        status=status,
        success=f"The finding “{finding.title}” is now {label}.",
    )
    return back_to_project(project, "findings")
