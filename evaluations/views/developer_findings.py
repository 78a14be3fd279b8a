"""The developer's page of a finding shared with them (`developers:finding`): the finding (its
evidence as plain text: a developer contact never reaches runs or samples), the response window,
the comments, the developer's responses, and the forms to comment and to respond.

Anyone else who may read the finding (the project's participants, programme managers) is sent to
the project's own page of it; everyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from config.forms import add_service_errors
from evaluations.forms import finding_responses as forms
from evaluations.models import Finding
from evaluations.selectors import finding_responses as selectors
from evaluations.services import finding_responses as services
from institutes import access


def _participant_page(user, finding_id: int) -> str | None:
    """The project's page of the finding when the user may read it there."""
    finding = Finding.objects.select_related("project").filter(pk=finding_id).first()
    if finding is None or not access.can_see_results(user, finding.project):
        return None
    return reverse("projects:finding", kwargs={"slug": finding.project.slug, "pk": finding.pk})


@login_required
def developer_finding(request, finding_id: int):
    try:
        finding = selectors.developer_finding_for(request.user, finding_id)
    except Http404:
        url = _participant_page(request.user, finding_id)
        if url is None:
            raise
        return redirect(url)
    comment_form = forms.FindingCommentForm()
    response_form = forms.FindingResponseForm()
    if request.method == "POST":
        form: Form
        if request.POST.get("form") == "response":
            response_form = forms.FindingResponseForm(request.POST)
            form, done = response_form, "Your response is recorded."
        else:
            comment_form = forms.FindingCommentForm(request.POST)
            form, done = comment_form, "Your comment is added."
        if form.is_valid():
            try:
                if form is response_form:
                    services.finding_respond(finding=finding, by=request.user, **form.cleaned_data)
                else:
                    services.finding_comment_add(
                        finding=finding, author=request.user, body=form.cleaned_data["body"]
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, done)
                anchor = "response" if form is response_form else "comments"
                return redirect(f"{request.path}#{anchor}")
    return render(
        request,
        "evaluations/developers/finding.html",
        {
            "finding": finding,
            "project": finding.project,
            "contact": access.developer_contact(request.user, finding.project),
            "evidence": list(finding.evidence.select_related("sample")),
            "thread": selectors.finding_thread(finding),
            "comment_form": comment_form,
            "response_form": response_form,
        },
    )
