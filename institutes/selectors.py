"""Reads of this app, already scoped to the user through institutes.access."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from institutes import access
from institutes.models import ApiToken, AuditEvent

# Models whose rows are results: under an embargo, their events stay with the participants like
# the rows themselves (the trail records the changed values: scores, findings' text, which run a
# lead pinned). Every other model of a project is listed in OTHER_MODELS; a test checks that
# each evaluations model is in one of the two, so a new one cannot leak by being forgotten.
RESULT_MODELS = frozenset(
    {
        "evaluations.EvaluationRun",
        "evaluations.RunScore",
        "evaluations.SampleResult",
        "evaluations.SampleReview",
        "evaluations.Deviation",
        "evaluations.Finding",
        "evaluations.Finding_runs",
        "evaluations.FindingEvidence",
        "evaluations.PinnedRun",
        "evaluations.RunScorer",
        "evaluations.Report",
        "evaluations.ReportApproval",
        "evaluations.FindingComment",
        "evaluations.FindingResponse",
        "evaluations.ReviewQueue",
        "evaluations.ReviewQueue_runs",
        "evaluations.ReviewQueueItem",
        "evaluations.ReviewAssignment",
    }
)
OTHER_MODELS = frozenset(
    {
        "evaluations.AISystem",
        "evaluations.AccessWindow",
        "evaluations.DeveloperContact",
        "evaluations.Domain",
        "evaluations.EvaluationJob",
        "evaluations.EvaluationProject",
        "evaluations.EvaluationTask",
        "evaluations.ExternalRun",
        "evaluations.Guideline",
        "evaluations.GuidelineApproval",
        "evaluations.GuidelineVersion",
        "evaluations.GuidelineVersion_review_labels",
        "evaluations.Guideline_required_institutes",
        "evaluations.Participation",
        "evaluations.Organisation",
        "evaluations.ProjectGuideline",
        "evaluations.ProjectSystem",
        "evaluations.ReviewLabel",
        "evaluations.ReviewQueue_institutes",
        "evaluations.ReviewQueue_labels",
        "evaluations.ReviewQueue_reviewers",
        "evaluations.WorkerPool",
        "evaluations.Workstream",
        "evaluations.Workstream_members",
    }
)


def result_tables() -> frozenset[str]:
    """The tables of RESULT_MODELS (from the app registry: institutes does not import evaluations)."""
    return frozenset(apps.get_model(label)._meta.db_table for label in RESULT_MODELS)


def audit_events_for(user) -> QuerySet[AuditEvent]:
    """The whole trail, for programme managers (nobody else): everything but the results'
    events of embargoed projects they do not take part in."""
    from evaluations.models import EvaluationProject

    if not access.is_programme_manager(user):
        return AuditEvent.objects.none()
    hidden = EvaluationProject.objects.filter(embargo_until__gt=timezone.now()).exclude(
        pk__in=list(access.project_ranks(user))
    )
    return AuditEvent.objects.exclude(
        Q(table__in=result_tables()) & Q(project_id__in=hidden.values("pk"))
    )


def project_audit_events(user, project, *, action: str = "") -> QuerySet[AuditEvent]:
    """A project's trail, newest first: every recorded change of a row that names the project
    and its security events (exports, embargoed reads, denied access...). Results' events only
    for those who may see the project's results."""
    from evaluations.models import (
        GuidelineApproval,
        GuidelineVersion,
        ProjectGuideline,
        Report,
        ReportApproval,
    )

    # The history of the guideline versions the project adopted (drafted, signed, approved)
    # belongs to its trail too, though those rows name no project.
    adopted = list(
        ProjectGuideline.objects.filter(project=project).values_list("version_id", flat=True)
    )
    in_project = Q(project_id=project.pk)
    if adopted:
        in_project |= Q(
            table=GuidelineVersion._meta.db_table, object_id__in=[str(v) for v in adopted]
        ) | Q(table=GuidelineApproval._meta.db_table, changes__version_id__in=adopted)
    # A report's signatures name their report, not the project.
    report_ids = list(Report.objects.filter(project=project).values_list("pk", flat=True))
    if report_ids:
        in_project |= Q(table=ReportApproval._meta.db_table, changes__report_id__in=report_ids)
    qs = AuditEvent.objects.filter(in_project).select_related("actor")
    if not access.can_see_results(user, project):
        qs = qs.exclude(table__in=result_tables())
    if action:
        qs = qs.filter(action=action)
    return qs.order_by("-at", "-id")


def api_tokens_of(user) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first: active, expired and revoked alike."""
    if user is None or not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def api_token_get(user, pk: int) -> ApiToken:
    """One of the user's own tokens; anyone else's is a 404 (programme managers revoke others'
    tokens in the admin)."""
    return get_object_or_404(api_tokens_of(user), pk=pk)
