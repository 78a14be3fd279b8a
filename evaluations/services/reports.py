"""Writes for joint reports: drafting a version, editing it, submitting it, the institutes'
signatures, the freeze and the sharing with the AI developer.

A report follows the guideline versions' joint approval: a lead of a participating institute (or
a programme manager) drafts a version, edits it while it is a draft, and submits it; then a lead
of each participating institute signs it for that institute, once. The last signature freezes it
in the same transaction: the figures, methods and findings are copied from the stored results
(`results.report_content.build_report_content`) into `content`, with its SHA-256. A frozen
version never changes; a new version is drafted from it (title and sections copied). A project
has one open version (a draft or a submitted one) at a time: the database's
`report_one_open_version` constraint holds it too.

A frozen version stays the participants' until a lead shares it with the developer: then the
project's developer contacts see it and are told by e-mail.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from evaluations.models import EvaluationProject, Participation, Report, ReportApproval
from evaluations.results.report_content import build_report_content, content_hash
from evaluations.services import developer_mail
from institutes import access
from institutes.models import Institute

MAX_SECTIONS = 40
MAX_SECTION_TITLE = 200
MAX_SECTION_MARKDOWN = 100_000
NOT_EDITABLE = "A submitted/frozen report version cannot be edited: draft a new version from it."


def clean_sections(sections: Any) -> list[dict[str, str]]:
    """Sections as stored: [{"key", "title", "markdown"}], in order. Each needs a title; keys are
    made from the titles (unique within the report)."""
    if sections is None:
        return []
    if not isinstance(sections, list):
        raise ValidationError({"sections": "Sections are a list of {title, markdown}."})
    if len(sections) > MAX_SECTIONS:
        raise ValidationError({"sections": f"A report has at most {MAX_SECTIONS} sections."})
    cleaned: list[dict[str, str]] = []
    keys: set[str] = set()
    for index, section in enumerate(sections, start=1):
        if not isinstance(section, dict):
            raise ValidationError({"sections": f"Section {index} is not a {{title, markdown}}."})
        title = section.get("title")
        markdown = section.get("markdown", "")
        if not isinstance(title, str) or not title.strip():
            raise ValidationError({"sections": f"Section {index} needs a title."})
        if not isinstance(markdown, str):
            raise ValidationError({"sections": f"The text of section {index} is not text."})
        if len(title) > MAX_SECTION_TITLE:
            raise ValidationError(
                {"sections": f"The title of section {index} is longer than {MAX_SECTION_TITLE}."}
            )
        if len(markdown) > MAX_SECTION_MARKDOWN:
            raise ValidationError(
                {"sections": f"Section {index} is longer than {MAX_SECTION_MARKDOWN} characters."}
            )
        base = slugify(title)[:50] or f"section-{index}"
        key, n = base, 2
        while key in keys:
            key, n = f"{base}-{n}", n + 1
        keys.add(key)
        cleaned.append({"key": key, "title": title.strip(), "markdown": markdown})
    return cleaned


def _clean_title(title: Any) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError({"title": "A report needs a title."})
    if len(title.strip()) > 200:
        raise ValidationError({"title": "A title has at most 200 characters."})
    return title.strip()


def _require_lead(user, project: EvaluationProject, what: str) -> None:
    access.require(
        access.can_manage(user, project),
        f"Only leads of a participating institute (or a programme manager) {what}.",
    )


@transaction.atomic
def report_draft(
    *,
    project: EvaluationProject,
    by,
    title: str,
    sections: list | None = None,
    based_on: Report | None = None,
) -> Report:
    """A new draft, numbered after the project's latest version. `based_on`: a frozen version the
    draft starts from (its title and sections, unless given)."""
    _require_lead(by, project, "draft its reports")
    # Numbers are taken in turn: the project's row orders concurrent drafts.
    EvaluationProject.objects.select_for_update().filter(pk=project.pk).first()
    if based_on is not None:
        if based_on.project_id != project.pk:
            raise ValidationError({"based_on": "That version is of another project."})
        if based_on.status != Report.Status.FROZEN:
            raise ValidationError({"based_on": "A new version starts from a frozen one."})
    open_version = project.reports.filter(
        status__in=[Report.Status.DRAFT, Report.Status.SUBMITTED]
    ).first()
    if open_version is not None:
        raise ValidationError(
            f"Version {open_version.number} of this project's report is still "
            f"{open_version.get_status_display().lower()}: finish it before drafting another."
        )
    latest = project.reports.order_by("-number").first()
    report = Report(
        project=project,
        number=(latest.number if latest else 0) + 1,
        title=_clean_title(title if title or based_on is None else based_on.title),
        sections=clean_sections(
            sections if sections is not None or based_on is None else based_on.sections
        ),
        based_on=based_on,
        created_by=by,
    )
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:
        raise ValidationError("This project already has a report version in progress.") from exc
    return report


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().select_related("project").get(pk=report.pk)


@transaction.atomic
def report_update(
    *, report: Report, by, title: str | None = None, sections: list | None = None
) -> Report:
    """Edit a draft's title and/or sections (None: unchanged)."""
    _require_lead(by, report.project, "edit its reports")
    locked = _locked(report)
    if locked.status != Report.Status.DRAFT:
        raise ValidationError(NOT_EDITABLE)
    fields = ["updated_at"]
    if title is not None:
        locked.title = _clean_title(title)
        fields.append("title")
    if sections is not None:
        locked.sections = clean_sections(sections)
        fields.append("sections")
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def report_submit(*, report: Report, by) -> Report:
    """draft -> submitted: the text is fixed and the institutes can sign."""
    _require_lead(by, report.project, "submit its reports")
    locked = _locked(report)
    if locked.status != Report.Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be submitted; this version is {locked.get_status_display().lower()}."
        )
    locked.status = Report.Status.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "submitted_at", "updated_at"])
    return locked


@transaction.atomic
def report_approve(*, report: Report, by, institute: Institute, comment: str = "") -> Report:
    """A lead of a participating institute signs the submitted version for it. The last
    signature freezes the version: its content is taken from the stored results now."""
    locked = _locked(report)
    project = locked.project
    required_ids = set(
        Participation.objects.filter(project=project).values_list("institute_id", flat=True)
    )
    if institute.pk not in required_ids:
        raise ValidationError(
            {"institute": f"{institute.name} does not take part in this project."}
        )
    access.require(
        access.institute_rank(by, institute) >= access.MANAGE,
        f"Only a lead of {institute.name} signs for it.",
    )
    if locked.status != Report.Status.SUBMITTED:
        raise ValidationError(
            "Only a submitted version can be signed; this version is "
            f"{locked.get_status_display().lower()}."
        )
    if locked.approvals.filter(institute=institute).exists():
        raise ValidationError({"institute": f"{institute.name} has already signed this version."})
    try:
        with transaction.atomic():
            ReportApproval.objects.create(
                report=locked, institute=institute, user=by, comment=(comment or "").strip()
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"institute": f"{institute.name} has already signed this version."}
        ) from exc
    signed = set(locked.approvals.values_list("institute_id", flat=True))
    if required_ids <= signed:
        # The text is frozen with the figures, so that the hash covers everything the version says.
        content = {
            **build_report_content(project, number=locked.number, title=locked.title),
            "sections": clean_sections(locked.sections),
        }
        locked.content = content
        locked.content_hash = content_hash(content)
        locked.frozen_at = timezone.now()
        locked.status = Report.Status.FROZEN
        locked.save(update_fields=["content", "content_hash", "frozen_at", "status", "updated_at"])
    return locked


@transaction.atomic
def report_share(*, report: Report, by) -> Report:
    """Share a frozen version with the project's developer contacts, and tell them."""
    _require_lead(by, report.project, "share its reports")
    locked = _locked(report)
    if locked.status != Report.Status.FROZEN:
        raise ValidationError("Only a frozen version can be shared with the developer.")
    if locked.shared_at is not None:
        raise ValidationError("This version is already shared with the developer.")
    locked.shared_at = timezone.now()
    locked.shared_by = by
    locked.save(update_fields=["shared_at", "shared_by", "updated_at"])
    path = reverse("reports:detail", kwargs={"slug": locked.project.slug, "number": locked.number})
    developer_mail.notify_contacts(
        locked.project,
        subject=f"{locked.project.title}: report version {locked.number} shared with you",
        template="report_shared",
        context={"report": locked, "url": developer_mail.absolute_url(path)},
    )
    return locked


@transaction.atomic
def report_new_version(*, report: Report, by) -> Report:
    """A draft from a frozen version: its title and sections."""
    return report_draft(project=report.project, by=by, title="", sections=None, based_on=report)
