"""Reads for joint reports: which versions a user may see, and the signatures on them.

A report holds results, so its participants and programme managers see it as they see the
project's results (`access.can_see_results`: the embargo holds). The AI developer's contacts of
the project see only the versions that are frozen and shared with them. Everyone else: 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from evaluations.models import EvaluationProject, Report, ReportApproval
from evaluations.results.matrix import participating_institutes
from institutes import access
from institutes.models import Institute


@dataclass(frozen=True)
class ReportReader:
    """The project and how the user reads its reports: as a participant (or programme manager),
    or as a developer contact who sees only what was shared."""

    project: EvaluationProject
    developer: bool


def reader_for(user, slug: str) -> ReportReader:
    """The project of `slug` if the user may read any of its reports; 404 otherwise."""
    try:
        project = access.get_project_or_404(user, slug=slug)
    except Http404:
        shared_with = (
            EvaluationProject.objects.filter(
                slug=slug, pk__in=access.developer_project_ids(user)
            ).first()
            if user.is_authenticated
            else None
        )
        if shared_with is None:
            raise
        return ReportReader(shared_with, developer=True)
    if not access.can_see_results(user, project):
        raise Http404("No such report.")
    return ReportReader(project, developer=False)


def reports_for(reader: ReportReader) -> QuerySet:
    """The versions the reader sees, newest first, with their signatures."""
    qs = Report.objects.filter(project=reader.project).prefetch_related(
        Prefetch("approvals", queryset=ReportApproval.objects.select_related("institute", "user"))
    )
    if reader.developer:
        qs = qs.filter(status=Report.Status.FROZEN, shared_at__isnull=False)
    return qs.order_by("-number")


def report_for(reader: ReportReader, number) -> Report:
    try:
        return reports_for(reader).select_related("created_by", "shared_by").get(number=number)
    except (Report.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such report.") from exc


def approval_state(
    report: Report, institutes: list[Institute] | None = None
) -> list[tuple[Institute, ReportApproval | None]]:
    """Each participating institute with its signature, or None while it has not signed."""
    signed = {a.institute_id: a for a in report.approvals.all()}
    if institutes is None:
        institutes = participating_institutes(report.project)
    return [(inst, signed.get(inst.pk)) for inst in institutes]


def institutes_user_may_sign_for(user, report: Report, institutes: list[Institute]) -> list:
    """The participating institutes the user leads that have not signed yet."""
    signed = {a.institute_id for a in report.approvals.all()}
    return [
        inst
        for inst in institutes
        if inst.pk not in signed and access.institute_rank(user, inst) >= access.MANAGE
    ]
