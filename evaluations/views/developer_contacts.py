"""A project's developer contacts, for its leads and programme managers: the list (invited,
active, revoked), the invitation form (an e-mail with a sign-up link), revoke and re-invite.
Rules live in `services.developer_contacts`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from config.forms import add_service_errors
from config.views import button_action, post_only
from evaluations.forms.developers import InviteForm
from evaluations.selectors import developers as selectors
from evaluations.services import developer_contacts as services
from evaluations.views._helpers import project_view


def _contacts_page(request, project, form, *, status: int = 200):
    contacts = [
        (contact, services.contact_status(contact))
        for contact in selectors.project_contacts(request.user, project)
    ]
    return render(
        request,
        "evaluations/developers/contacts.html",
        {
            "project": project,
            "form": form,
            "contacts": contacts,
            "organisations": selectors.developer_organisations(),
            "invite_days": services.invite_days(),
        },
        status=status,
    )


@project_view("manage")
def contact_list(request, project):
    """The contacts and, below them, the invitation form (POST invites)."""
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.developer_contact_invite(
                project=project, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{contact.name} is invited: the sign-up link is on its way to {contact.email}.",
            )
            return redirect("developers:contacts", slug=project.slug)
    return _contacts_page(request, project, form)


@project_view("manage")
@post_only()
def contact_revoke(request, project, pk: int):
    contact = selectors.contact_for(request.user, project, pk)
    button_action(
        request,
        services.developer_contact_revoke,
        success=f"{contact.name} no longer sees this project.",
        contact=contact,
        by=request.user,
    )
    return redirect("developers:contacts", slug=project.slug)


@project_view("manage")
@post_only()
def contact_reinvite(request, project, pk: int):
    contact = selectors.contact_for(request.user, project, pk)
    button_action(
        request,
        services.developer_contact_reinvite,
        success=f"A new sign-up link is on its way to {contact.email}; the previous one no longer works.",
        contact=contact,
        by=request.user,
    )
    return redirect("developers:contacts", slug=project.slug)
