"""A project's findings: recorded and edited by its evaluators and leads, moved through review by
its leads, commented on and (once shared) answered by the AI developer. Findings are results:
whoever may not see the project's results gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from config.forms import add_service_errors
from config.views import button_action, post_only
from evaluations.forms import finding_responses as response_forms
from evaluations.forms import projects as project_forms
from evaluations.models import Finding
from evaluations.selectors import finding_responses as response_selectors
from evaluations.selectors import projects as project_selectors
from evaluations.services import finding_responses as response_services
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
    # The override form on the finding's page sends a reason; the buttons send none.
    override_reason = request.POST.get("override_reason")
    button_action(
        request,
        services.finding_transition,
        user=request.user,
        finding=finding,
        status=status,
        override_reason=override_reason,
        success=f"The finding “{finding.title}” is now {label}.",
    )
    if override_reason is not None:
        return redirect(_finding_url(project, finding))
    return back_to_project(project, "findings")


def _finding_url(project, finding, anchor: str = "") -> str:
    url = reverse("projects:finding", kwargs={"slug": project.slug, "pk": finding.pk})
    return f"{url}#{anchor}" if anchor else url


def _finding_page(request, project, finding, *, comment_form=None):
    thread = response_selectors.finding_thread(finding)
    can_override = (
        access.can_manage(request.user, project)
        and finding.status == Finding.Status.SHARED
        and thread.window_open
    )
    context = {
        "project": project,
        "finding": finding,
        "thread": thread,
        "can_manage": access.can_manage(request.user, project),
        "can_comment": access.can_act(request.user, project),
        "comment_form": comment_form or response_forms.FindingCommentForm(),
        "override_form": response_forms.PublishOverrideForm() if can_override else None,
    }
    return render(request, "evaluations/findings/detail.html", context)


@project_view()
def finding_detail(request, project, pk):
    """A finding with what was said about it: comments, the developer's responses and their
    response window; leads publish from here before the window closes, giving a reason."""
    finding = project_selectors.finding_for(request.user, project, pk)
    return _finding_page(request, project, finding)


@project_view("act")
@post_only()
def finding_comment(request, project, pk):
    finding = project_selectors.finding_for(request.user, project, pk)
    form = response_forms.FindingCommentForm(request.POST)
    if form.is_valid():
        try:
            response_services.finding_comment_add(
                finding=finding, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Your comment is added.")
            return redirect(_finding_url(project, finding, "comments"))
    return _finding_page(request, project, finding, comment_form=form)
