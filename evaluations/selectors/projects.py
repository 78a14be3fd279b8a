"""Projects and what hangs off them (participations, systems, windows, workstreams, findings),
already scoped to the user through `institutes.access`.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from evaluations.models import (
    AccessWindow,
    AISystem,
    EvaluationProject,
    Finding,
    GuidelineVersion,
    Participation,
    ProjectGuideline,
    ProjectSystem,
    Workstream,
)
from institutes import access
from institutes.models import Institute, User


def projects_for(user) -> QuerySet[EvaluationProject]:
    return (
        access.visible_projects(user)
        .prefetch_related("participations__institute")
        .order_by("-created_at")
    )


def project_list(
    user, *, status: str = "", institute: str = "", domain: str = "", q: str = ""
) -> QuerySet[EvaluationProject]:
    """Visible projects, filtered by status, participating institute (code), workstream domain
    (slug) and a search over title, address, description and system names. Each row's
    institutes, systems and domains come in a fixed number of queries."""
    qs = access.visible_projects(user).order_by("-created_at", "pk")
    if status:
        qs = qs.filter(status=status)
    if institute:
        qs = qs.filter(
            pk__in=Participation.objects.filter(institute__code=institute).values("project_id")
        )
    if domain:
        qs = qs.filter(pk__in=Workstream.objects.filter(domain__slug=domain).values("project_id"))
    if q:
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(slug__icontains=q)
            | Q(description__icontains=q)
            | Q(
                pk__in=ProjectSystem.objects.filter(
                    Q(system__name__icontains=q) | Q(system__developer__icontains=q)
                ).values("project_id")
            )
        )
    return qs.prefetch_related(
        Prefetch(
            "participations",
            queryset=Participation.objects.select_related("institute", "worker_pool"),
        ),
        Prefetch("project_systems", queryset=ProjectSystem.objects.select_related("system")),
        Prefetch("workstreams", queryset=Workstream.objects.select_related("domain")),
    )


def project_for(user, slug: str) -> EvaluationProject:
    """The project if the user may see it; 404 otherwise (never 403: no existence leaks)."""
    return access.get_project_or_404(user, slug=slug)


def project_page_for(user, slug: str) -> EvaluationProject:
    """The project with everything its page shows except findings, in a fixed number of queries."""
    qs = access.visible_projects(
        user,
        EvaluationProject.objects.prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("institute", "worker_pool"),
            ),
            Prefetch("project_systems", queryset=ProjectSystem.objects.select_related("system")),
            Prefetch("access_windows", queryset=AccessWindow.objects.select_related("system")),
            Prefetch(
                "workstreams",
                queryset=Workstream.objects.select_related(
                    "domain", "lead_institute"
                ).prefetch_related(Prefetch("members", queryset=User.objects.order_by("username"))),
            ),
            Prefetch(
                "adoptions",
                queryset=ProjectGuideline.objects.select_related(
                    "version__guideline", "adopted_by"
                ).order_by("version__guideline__code", "-version__number"),
            ),
        ),
    )
    try:
        return qs.get(slug=slug)
    except EvaluationProject.DoesNotExist as exc:
        raise Http404("No such project.") from exc


def findings_for(user, project: EvaluationProject) -> QuerySet[Finding]:
    """Findings are results: hidden (empty) for users who may not see the project's results."""
    if not access.can_see_results(user, project):
        return Finding.objects.none()
    return (
        project.findings.select_related("workstream__domain", "created_by")
        .prefetch_related("evidence__sample")
        .order_by("-created_at", "-pk")
    )


def finding_for(user, project: EvaluationProject, pk: int) -> Finding:
    return get_object_or_404(findings_for(user, project), pk=pk)


def participation_for(project: EvaluationProject, institute_id: int) -> Participation:
    return get_object_or_404(
        project.participations.select_related("institute"), institute_id=institute_id
    )


def project_system_for(project: EvaluationProject, system_id: int) -> ProjectSystem:
    return get_object_or_404(project.project_systems.select_related("system"), system_id=system_id)


def access_window_for(project: EvaluationProject, pk: int) -> AccessWindow:
    return get_object_or_404(project.access_windows.select_related("system", "project"), pk=pk)


def workstream_for(project: EvaluationProject, pk: int) -> Workstream:
    return get_object_or_404(
        project.workstreams.select_related("domain", "lead_institute", "project"), pk=pk
    )


def institutes_user_can_add(user, project: EvaluationProject) -> QuerySet[Institute]:
    """Institutes the user leads (all for a programme manager) that are not in the project yet."""
    return (
        access.manageable_institutes(user)
        .filter(is_active=True)
        .exclude(participations__project=project)
        .order_by("name")
    )


def systems_not_in(user, project: EvaluationProject) -> QuerySet[AISystem]:
    """Systems the user may see (a pre-deployment system's name is confidential to its projects)
    that are not in this project yet."""
    return (
        access.visible_systems(user)
        .exclude(project_systems__project=project)
        .order_by("developer", "name", "version")
    )


def systems_in(project: EvaluationProject) -> QuerySet[AISystem]:
    return AISystem.objects.filter(project_systems__project=project).order_by(
        "developer", "name", "version"
    )


def filter_institutes(user) -> QuerySet[Institute]:
    """Institutes to filter the project list by: those taking part in a project the user sees
    (every institute for a programme manager)."""
    if access.is_programme_manager(user):
        return Institute.objects.order_by("name")
    shared = Participation.objects.filter(project__in=access.visible_projects(user))
    return Institute.objects.filter(pk__in=shared.values("institute_id")).order_by("name")


def participating_institutes(project: EvaluationProject) -> QuerySet[Institute]:
    return Institute.objects.filter(participations__project=project).order_by("name")


def project_staff(project: EvaluationProject) -> QuerySet[User]:
    """People who can be workstream members: staff of the participating institutes."""
    return (
        User.objects.filter(is_active=True, memberships__institute__participations__project=project)
        .distinct()
        .order_by("username")
    )


def workstreams_in(project: EvaluationProject) -> QuerySet[Workstream]:
    return project.workstreams.select_related("domain")


def adoptable_versions(user, project: EvaluationProject) -> QuerySet[GuidelineVersion]:
    """Approved versions of guidelines the user can see that the project has not adopted yet."""
    return (
        GuidelineVersion.objects.filter(
            status=GuidelineVersion.Status.APPROVED,
            guideline__in=access.visible_guidelines(user),
        )
        .exclude(adoptions__project=project)
        .select_related("guideline")
        .order_by("guideline__code", "-number")
    )
