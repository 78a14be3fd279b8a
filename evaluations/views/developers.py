"""The developer contact's pages: their projects with what each shared with them
(`developers:home`, `developers:project`), and the sign-up page an invitation e-mail links to
(`developers:accept`, open to anonymous visitors: the token is the credential).

A developer contact takes part in no project, so every other page of a project answers them 404
(institutes.access); what they may read here is decided by access.developer_shared_reports /
developer_shared_findings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from config.forms import add_service_errors
from evaluations.forms.developers import SignUpForm
from evaluations.models import DeveloperContact
from evaluations.selectors import developers as selectors
from evaluations.services import developer_contacts as services
from institutes import access


def _link(name: str, **kwargs) -> str | None:
    """The address of a page another part of the developer's side provides, once it exists."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _shared_rows(project) -> dict:
    """What a developer project page lists: shared report versions and findings, with links."""
    return {
        "reports": [
            (report, _link("reports:detail", slug=project.slug, number=report.number))
            for report in project.shared_reports
        ],
        "findings": [
            (finding, _link("developers:finding", finding_id=finding.pk))
            for finding in project.shared_findings
        ],
    }


@login_required
def developer_home(request):
    """The developer contact's projects, each with its shared reports and findings."""
    projects = list(selectors.developer_projects(request.user))
    rows = [(project, _shared_rows(project)) for project in projects]
    return render(request, "evaluations/developers/home.html", {"rows": rows})


@login_required
def developer_project(request, slug: str):
    project = selectors.developer_project_for(request.user, slug)
    return render(
        request,
        "evaluations/developers/project.html",
        {
            "project": project,
            "contact": access.developer_contact(request.user, project),
            **_shared_rows(project),
        },
    )


def developer_accept(request, token: str):
    """Accept an invitation: sign up (anonymous), or accept with the signed-in account whose
    e-mail address is the invited one. A used, replaced or expired link says so (410)."""
    try:
        contact = services.invitation_for(token)
    except ValidationError as exc:
        return render(
            request, "evaluations/developers/accept.html", {"error": exc.messages[0]}, status=410
        )
    user = request.user if request.user.is_authenticated else None
    matches = user is not None and (user.email or "").lower() == contact.email.lower()
    form = SignUpForm(request.POST or None) if user is None else None
    if request.method == "POST":
        accepted = _accept(request, token, user, form)
        if accepted is not None:
            messages.success(
                request, f"Welcome: you are a developer contact of {accepted.project.title}."
            )
            return redirect("developers:project", slug=accepted.project.slug)
    return render(
        request,
        "evaluations/developers/accept.html",
        {"contact": contact, "form": form, "signed_in": user, "matches": matches},
    )


def _accept(request, token: str, user, form: SignUpForm | None) -> DeveloperContact | None:
    """Accept with the signed-in account, or sign up from the form and sign in; a refusal is
    shown on the form (or as messages) and the answer is None."""
    try:
        if user is not None:
            return services.developer_contact_accept(token=token, user=user)
        if form is None or not form.is_valid():
            return None
        contact = services.developer_contact_accept(
            token=token,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
    except ValidationError as exc:
        if form is not None:
            add_service_errors(form, exc)
        else:
            for message in exc.messages:
                messages.error(request, message)
        return None
    login(request, contact.user, backend="django.contrib.auth.backends.ModelBackend")
    return contact
