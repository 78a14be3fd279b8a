"""A project's joint reports: the versions, drafting and editing one, submitting, the
institutes' signatures, sharing with the developer, and the PDF and ZIP bundle.

Participants and programme managers see the versions as they see the project's results; the
developer's contacts see only the frozen versions shared with them (and their PDF, not the
bundle, which holds the run logs); everyone else gets a 404.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from config.forms import add_service_errors
from config.views import button_action
from evaluations.forms import reports as forms
from evaluations.models import Report
from evaluations.results import report_files
from evaluations.results.matrix import participating_institutes
from evaluations.results.report_content import build_report_content
from evaluations.selectors import reports as selectors
from evaluations.services import reports as services
from institutes import access, audit


def _reader(request, slug):
    return selectors.reader_for(request.user, slug)


def _participant(request, slug):
    """The reader, who must be a participant or programme manager (developers: 404)."""
    reader = _reader(request, slug)
    if reader.developer:
        raise Http404("No such report.")
    return reader


def _to_report(report: Report):
    return redirect(
        reverse("reports:detail", kwargs={"slug": report.project.slug, "number": report.number})
    )


@login_required
def report_list(request, slug):
    reader = _reader(request, slug)
    reports = list(selectors.reports_for(reader))
    institutes = participating_institutes(reader.project)
    rows = [{"report": r, "approvals": selectors.approval_state(r, institutes)} for r in reports]
    return render(
        request,
        "evaluations/reports/list.html",
        {
            "project": reader.project,
            "rows": rows,
            "developer": reader.developer,
            "can_manage": not reader.developer and access.can_manage(request.user, reader.project),
            "open_version": any(r.status != Report.Status.FROZEN for r in reports),
        },
    )


def _form_page(request, project, form, formset, *, title, submit, report=None):
    return render(
        request,
        "evaluations/reports/form.html",
        {
            "project": project,
            "form": form,
            "formset": formset,
            "title": title,
            "submit": submit,
            "report": report,
        },
    )


@login_required
def report_create(request, slug):
    project = _participant(request, slug).project
    access.require(
        access.can_manage(request.user, project),
        "Only leads of a participating institute (or a programme manager) draft reports.",
    )
    form = forms.ReportForm(request.POST or None)
    formset = forms.SectionFormSet(request.POST or None, prefix="sections")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            report = services.report_draft(
                project=project,
                by=request.user,
                title=form.cleaned_data["title"],
                sections=forms.sections_from(formset),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Version {report.number} is drafted.")
            return _to_report(report)
    return _form_page(
        request, project, form, formset, title="Draft a joint report", submit="Save the draft"
    )


@login_required
def report_edit(request, slug, number):
    reader = _participant(request, slug)
    report = selectors.report_for(reader, number)
    access.require(
        access.can_manage(request.user, reader.project),
        "Only leads of a participating institute (or a programme manager) edit reports.",
    )
    if report.status != Report.Status.DRAFT:
        messages.error(request, services.NOT_EDITABLE)
        return _to_report(report)
    form = forms.ReportForm(request.POST or None, initial={"title": report.title})
    formset = forms.SectionFormSet(
        request.POST or None,
        prefix="sections",
        initial=[{"title": s["title"], "markdown": s["markdown"]} for s in report.sections],
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.report_update(
                report=report,
                by=request.user,
                title=form.cleaned_data["title"],
                sections=forms.sections_from(formset),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The draft is saved.")
            return _to_report(report)
    return _form_page(
        request,
        reader.project,
        form,
        formset,
        title=f"Edit version {report.number}",
        submit="Save",
        report=report,
    )


@login_required
def report_detail(request, slug, number):
    reader = _reader(request, slug)
    report = selectors.report_for(reader, number)
    project = reader.project
    institutes = participating_institutes(project)
    if report.status == Report.Status.FROZEN:
        content = report.content
    else:
        content = build_report_content(project, number=report.number, title=report.title)
    manage = not reader.developer and access.can_manage(request.user, project)
    signable = (
        selectors.institutes_user_may_sign_for(request.user, report, institutes)
        if report.status == Report.Status.SUBMITTED and not reader.developer
        else []
    )
    return render(
        request,
        "evaluations/reports/detail.html",
        {
            "project": project,
            "report": report,
            "content": content,
            "sections": report.sections,
            "developer": reader.developer,
            "link_runs": not reader.developer,
            "approvals": selectors.approval_state(report, institutes),
            "signable": signable,
            "can_manage": manage,
            "open_version": project.reports.exclude(status=Report.Status.FROZEN).exists(),
        },
    )


def _button(*, manage: bool = True):
    """A POST-only button on a report version: the version resolved for a participant (404
    otherwise), leads' rights checked when `manage` (403), then 405 for any other method."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, slug, number):
            reader = _participant(request, slug)
            report = selectors.report_for(reader, number)
            if manage:
                access.require(
                    access.can_manage(request.user, reader.project),
                    "Only leads of a participating institute (or a programme manager) do this.",
                )
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, reader, report)

        return wrapper

    return decorator


@_button()
def report_submit(request, reader, report):
    button_action(
        request,
        services.report_submit,
        success="Submitted: each participating institute's lead can now sign it.",
        report=report,
        by=request.user,
    )
    return _to_report(report)


@_button(manage=False)
def report_approve(request, reader, report):
    """A lead signs for one of their institutes (the service checks which)."""
    form = forms.ApproveForm(request.POST)
    institute = None
    if form.is_valid():
        institute = reader.project.institutes.filter(pk=form.cleaned_data["institute"]).first()
    if institute is None:
        messages.error(request, "Choose an institute of this project to sign for.")
        return _to_report(report)
    signed = button_action(
        request,
        services.report_approve,
        success=f"Signed for {institute.name}.",
        report=report,
        by=request.user,
        institute=institute,
        comment=form.cleaned_data.get("comment", ""),
    )
    if signed is not None and signed.status == Report.Status.FROZEN:
        messages.success(request, f"Every institute has signed: version {signed.number} is frozen.")
    return _to_report(report)


@_button()
def report_share(request, reader, report):
    button_action(
        request,
        services.report_share,
        success="Shared with the developer's contacts.",
        report=report,
        by=request.user,
    )
    return _to_report(report)


@_button()
def report_new_version(request, reader, report):
    draft = button_action(
        request,
        services.report_new_version,
        success="A new version is drafted from this one.",
        report=report,
        by=request.user,
    )
    return _to_report(draft or report)


def _frozen_or_404(report: Report) -> None:
    if report.status != Report.Status.FROZEN:
        raise Http404("Only a frozen version has a PDF and a bundle.")


def pdf_response(request, report: Report) -> HttpResponse:
    """The frozen version's PDF as a download, audited like every export (the page and the API)."""
    _frozen_or_404(report)
    data = report_files.render_report_pdf(report)
    audit.record_export(
        request, project_id=report.project_id, what="report", fmt="pdf", report=report.number
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report_files.pdf_filename(report)}"'
    return response


def bundle_response(request, report: Report) -> FileResponse:
    """The frozen version's ZIP bundle (PDF, results, run logs) as a download, audited."""
    _frozen_or_404(report)
    bundle = report_files.report_bundle(report)  # a temporary file: FileResponse closes it
    audit.record_export(
        request, project_id=report.project_id, what="report", fmt="zip", report=report.number
    )
    return FileResponse(
        bundle,
        as_attachment=True,
        filename=report_files.bundle_filename(report),
        content_type="application/zip",
    )


@login_required
def report_pdf(request, slug, number):
    """Participants, and the developer's contacts for a version shared with them."""
    return pdf_response(request, selectors.report_for(_reader(request, slug), number))


@login_required
def report_bundle(request, slug, number):
    """Participants only: the bundle holds the run logs."""
    return bundle_response(request, selectors.report_for(_participant(request, slug), number))
