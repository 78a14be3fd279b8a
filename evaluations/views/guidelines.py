"""Guideline pages: the list, a guideline with its versions (Markdown rendered safely), the diff
between two versions, the approval state, and the forms for drafting, review and approval."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from config.forms import add_service_errors
from config.views import button_action, error_messages, post_only, render_page
from evaluations import rules
from evaluations.forms import fields as form_fields
from evaluations.forms import guidelines as guideline_forms
from evaluations.models import GuidelineApproval, GuidelineVersion
from evaluations.selectors import guidelines as guideline_selectors
from evaluations.services import guidelines as services
from evaluations.textdiff import text_diff
from institutes import access
from institutes.models import Institute


@dataclass(frozen=True)
class VersionRow:
    version: GuidelineVersion
    approval_rows: list[tuple[Institute, GuidelineApproval | None]]  # each required institute
    signable: list[Institute]  # institutes the user may sign for now (their approve buttons)


def guideline_view(need: str = "view"):
    """Resolve `code` to a guideline the user can see (404 otherwise); for `edit`, refuse users
    who may not draft versions of it (403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, code: str, *args, **kwargs):
            guideline = guideline_selectors.guideline_for(request.user, code)
            if need == "edit":
                access.require(
                    access.can_edit_guideline(request.user, guideline),
                    "Only staff of the owner or a required institute draft versions of this guideline.",
                )
            return view(request, guideline, *args, **kwargs)

        return wrapper

    return decorator


def _back(guideline, number=None):
    url = reverse("guidelines:detail", kwargs={"code": guideline.code})
    return redirect(f"{url}#v{number}" if number else url)


@login_required
def guideline_list(request):
    form = guideline_forms.GuidelineFilterForm(request.GET or None)
    context = {
        "form": form,
        "guidelines": guideline_selectors.guideline_list(request.user, **form.filters()),
        "can_create": access.manageable_institutes(request.user).exists(),
    }
    return render_page(request, "evaluations/guidelines/list.html", context, fragment="results")


@login_required
def guideline_create(request):
    form = guideline_forms.GuidelineCreateForm(request.POST or None, user=request.user)
    choices = form_fields.model_field(form, "owner_institute").queryset
    access.require(
        choices is not None and choices.exists(),
        "Only institute leads and programme managers start guidelines.",
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            guideline = services.guideline_create(
                user=request.user,
                code=data["code"],
                title=data["title"],
                owner_institute=data["owner_institute"],
                required_institutes=data["required_institutes"],
                domain=data["domain"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"The guideline {guideline.code} is started: write version 1."
            )
            return redirect("guidelines:version_create", code=guideline.code)
    return render(
        request,
        "evaluations/guidelines/form.html",
        {"form": form, "title": "Start a guideline", "submit": "Start the guideline"},
    )


def _default_diff(versions: list[GuidelineVersion]):
    """The newest version against the one before it."""
    if len(versions) < 2:
        return None
    return versions[1], versions[0]


@login_required
def guideline_detail(request, code):
    user = request.user
    guideline = guideline_selectors.guideline_page_for(user, code)
    required = list(guideline.required_institutes.all())
    versions = list(guideline.versions.all())
    rows = []
    for version in versions:
        approval_rows = rules.approval_state(version, required=required)
        signable = [
            inst
            for inst, signature in approval_rows
            if signature is None and access.institute_rank(user, inst) >= access.MANAGE
        ]
        rows.append(
            VersionRow(
                version,
                approval_rows=approval_rows,
                signable=signable if version.status == GuidelineVersion.Status.IN_REVIEW else [],
            )
        )
    pair = _default_diff(versions)
    context = {
        "guideline": guideline,
        "versions": rows,
        "required": required,
        "can_edit": access.can_edit_guideline(user, guideline),
        "default_labels": guideline_selectors.default_review_labels(),
        "diff_form": guideline_forms.DiffForm(
            initial={"old": pair[0].number, "new": pair[1].number} if pair else None,
            numbers=[v.number for v in versions],
        ),
        "diff": text_diff(pair[0].body_markdown, pair[1].body_markdown) if pair else None,
        "diff_old": pair[0] if pair else None,
        "diff_new": pair[1] if pair else None,
    }
    return render(request, "evaluations/guidelines/detail.html", context)


@guideline_view()
def guideline_diff(request, guideline):
    versions = {v.number: v for v in guideline.versions.all()}
    form = guideline_forms.DiffForm(request.GET or None, numbers=sorted(versions, reverse=True))
    context = {"guideline": guideline, "diff_form": form, "diff": None}
    if form.is_valid():
        old, new = versions[form.cleaned_data["old"]], versions[form.cleaned_data["new"]]
        context.update(
            diff=text_diff(old.body_markdown, new.body_markdown), diff_old=old, diff_new=new
        )
    return render_page(request, "evaluations/guidelines/diff.html", context, fragment="diff")


@guideline_view("edit")
def guideline_version_create(request, guideline):
    latest = guideline.versions.order_by("-number").first()
    form_class = guideline_forms.GuidelineVersionForm
    initial = form_class.initial_from(latest, summary=False) if latest else None
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.guideline_version_create(
                user=request.user, guideline=guideline, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Version {version.number} is saved as a draft.")
            return _back(guideline, version.number)
    title = f"New version of {guideline.code}" + (
        f" (starting from v{latest.number})" if latest else ""
    )
    return render(
        request,
        "evaluations/guidelines/form.html",
        {"form": form, "guideline": guideline, "title": title, "submit": "Save the draft"},
    )


@guideline_view("edit")
def guideline_version_edit(request, guideline, number):
    version = guideline_selectors.guideline_version_for(guideline, number)
    form_class = guideline_forms.GuidelineVersionForm
    form = form_class(request.POST or None, initial=form_class.initial_from(version))
    if request.method == "POST" and form.is_valid():
        try:
            services.guideline_version_update(
                user=request.user, version=version, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Version {version.number} is saved.")
            return _back(guideline, version.number)
    return render(
        request,
        "evaluations/guidelines/form.html",
        {
            "form": form,
            "guideline": guideline,
            "version": version,
            "title": f"Edit the draft {guideline.code} v{version.number}",
            "submit": "Save",
        },
    )


@guideline_view("edit")
@post_only()
def guideline_version_submit(request, guideline, number):
    version = guideline_selectors.guideline_version_for(guideline, number)
    button_action(
        request,
        services.guideline_version_submit,
        user=request.user,
        version=version,
        success=f"Version {number} is submitted for review: the required institutes can sign it.",
    )
    return _back(guideline, number)


@guideline_view()
@post_only()
def guideline_version_approve(request, guideline, number):
    version = guideline_selectors.guideline_version_for(guideline, number)
    form = guideline_forms.ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the institute you sign for.")
        return _back(guideline, number)
    institute = form.cleaned_data["institute"]
    try:
        signed = services.guideline_version_approve(
            user=request.user,
            version=version,
            institute=institute,
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as exc:
        error_messages(request, exc)
        return _back(guideline, number)
    messages.success(request, f"{institute.name} signed version {number}.")
    if signed.status == GuidelineVersion.Status.APPROVED:
        messages.info(request, f"Every required institute has signed: v{number} is approved.")
    return _back(guideline, number)
