"""The one place that decides who may see and do what in Concord.

Every page, API endpoint and admin queryset reaches projects (and everything under them) through
this module, so a user from a non-participating institute gets a 404 without any view having to
remember it.

The rules:
- A user's role in a project is the highest role they hold in a participating institute
  (viewer < evaluator < lead), or the host role of an active personnel exchange that is linked
  to the project and whose host institute participates.
- Programme managers see every project and manage every project.
- viewers read; evaluators also act (queue jobs, upload results, review transcripts); leads of a
  participating institute manage the project (participants, systems, workstreams, windows, findings).
- Results and findings of an embargoed project stay with the participants: a programme manager
  who is not a participant sees the project but not its results until the embargo ends.
- API tokens act with their user's roles; write-scope tokens are issued only to users who may
  write somewhere (evaluators, leads, programme managers): viewers hold read tokens.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from institutes import audit
from institutes.models import ROLE_RANK, Membership, Role

if TYPE_CHECKING:
    from evaluations.models import DeveloperContact, EvaluationProject

VIEW, ACT, MANAGE = ROLE_RANK[Role.VIEWER], ROLE_RANK[Role.EVALUATOR], ROLE_RANK[Role.LEAD]
_CACHE_ATTR = "_concord_access_cache"


def is_programme_manager(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_programme_manager or user.is_superuser)
    )


def forget(user) -> None:
    """Drop what was worked out for this user in this request (after a change of roles)."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _cache(user) -> dict:
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    return cache


def institute_ranks(user) -> dict[int, int]:
    """{institute id: rank} for the institutes the user is a member of."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    cache = _cache(user)
    if "institutes" not in cache:
        rows = Membership.objects.filter(user=user, institute__is_active=True).values_list(
            "institute_id", "role", "institute__require_two_factor"
        )
        cache["institutes"] = {
            institute_id: ROLE_RANK[Role(role)] for institute_id, role, _ in rows
        }
        cache["two_factor"] = any(required for _, _, required in rows)
    return cache["institutes"]


def institutes_require_two_factor(user) -> bool:
    """Is the user a member of an institute that requires a second factor? (From the same query
    as institute_ranks: no query of its own.)"""
    institute_ranks(user)
    return _cache(user).get("two_factor", False)


def institute_rank(user, institute) -> int:
    institute_id = getattr(institute, "pk", institute)
    return institute_ranks(user).get(institute_id, 0)


def _active_exchange_filter(user) -> Q:
    today = timezone.localdate()
    return Q(
        person=user,
        status="active",
        start_date__lte=today,
        end_date__gte=today,
        project__isnull=False,
        project__participations__institute=F("host_institute"),
    )


def project_ranks(user) -> dict[int, int]:
    """{project id: rank} for every project the user takes part in (not programme-manager powers)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    cache = _cache(user)
    if "projects" not in cache:
        from evaluations.models import Participation
        from exchanges.models import Exchange

        ranks: dict[int, int] = {}
        embargoes: dict[int, datetime | None] = {}
        inst = institute_ranks(user)
        if inst:
            for project_id, institute_id, embargo_until in Participation.objects.filter(
                institute_id__in=inst.keys()
            ).values_list("project_id", "institute_id", "project__embargo_until"):
                ranks[project_id] = max(ranks.get(project_id, 0), inst[institute_id])
                embargoes[project_id] = embargo_until
        for project_id, host_role, embargo_until in Exchange.objects.filter(
            _active_exchange_filter(user)
        ).values_list("project_id", "host_role", "project__embargo_until"):
            ranks[project_id] = max(ranks.get(project_id, 0), ROLE_RANK[Role(host_role)])
            embargoes[project_id] = embargo_until
        cache["projects"] = ranks
        cache["embargoes"] = embargoes
    return cache["projects"]


def _embargoed_participations(user) -> list[int]:
    """The projects the user takes part in whose embargo has not ended (from the same query as
    project_ranks: no query of its own)."""
    project_ranks(user)
    now = timezone.now()
    embargoes = _cache(user).get("embargoes", {})
    return [pid for pid, until in embargoes.items() if until is not None and until > now]


def project_rank(user, project) -> int:
    """The user's rank in the project, programme managers counting as leads."""
    project_id = getattr(project, "pk", project)
    rank = project_ranks(user).get(project_id, 0)
    if is_programme_manager(user):
        return MANAGE
    return rank


def is_participant(user, project) -> bool:
    return project_ranks(user).get(getattr(project, "pk", project), 0) > 0


def can_view(user, project) -> bool:
    return project_rank(user, project) >= VIEW


def can_act(user, project) -> bool:
    return project_rank(user, project) >= ACT


def can_manage(user, project) -> bool:
    return project_rank(user, project) >= MANAGE


def can_see_results(user, project) -> bool:
    """Results and findings: participants always; others with view access once the embargo ends.
    Granting a participant the results of an embargoed project is recorded in the audit trail."""
    if is_participant(user, project):
        if project.is_embargoed:
            audit.note_embargoed_read(user, [project.pk])
        return True
    return can_view(user, project) and not project.is_embargoed


def visible_projects(user, queryset: QuerySet | None = None) -> QuerySet:
    from evaluations.models import EvaluationProject

    qs = queryset if queryset is not None else EvaluationProject.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_programme_manager(user):
        return qs
    return qs.filter(pk__in=list(project_ranks(user).keys()))


def results_visible_projects(user, queryset: QuerySet | None = None) -> QuerySet:
    """Projects whose results (runs, scores, samples, findings) the user may read. When they
    include embargoed projects (the user takes part in them), the grant is recorded in the audit
    trail, once per project and request."""
    qs = visible_projects(user, queryset)
    audit.note_embargoed_read(user, _embargoed_participations(user))
    if is_programme_manager(user):
        participant_ids = list(project_ranks(user).keys())
        now = timezone.now()
        qs = qs.filter(
            Q(pk__in=participant_ids) | Q(embargo_until__isnull=True) | Q(embargo_until__lte=now)
        )
    return qs


def get_project_or_404(user, **lookup) -> EvaluationProject:
    try:
        return visible_projects(user).get(**lookup)
    except Exception as exc:  # DoesNotExist, or a malformed lookup value
        from evaluations.models import EvaluationProject

        if isinstance(exc, (EvaluationProject.DoesNotExist, ValueError)):
            raise Http404("No such project.") from exc
        raise


def manageable_institutes(user) -> QuerySet:
    """Institutes whose lead the user is (all, for a programme manager)."""
    from institutes.models import Institute

    if is_programme_manager(user):
        return Institute.objects.all()
    ids = [iid for iid, rank in institute_ranks(user).items() if rank >= MANAGE]
    return Institute.objects.filter(pk__in=ids)


def require(allowed: bool, message: str) -> None:
    """Refuse an action the user may not take (403). Visibility is checked before, by selectors (404)."""
    if not allowed:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(message)


def is_lead_of(user, institute) -> bool:
    return is_programme_manager(user) or institute_rank(user, institute) >= MANAGE


def can_hold_write_token(user) -> bool:
    """May the user be issued a write-scope API token? Only someone who may write somewhere:
    an evaluator or lead of an institute (or the host role of an active exchange), or a programme
    manager; or an active developer contact, who writes comments and responses on the findings
    shared with them. Viewers get read tokens. A write token that outlives its holder's role
    writes no more than the role allows: every request is checked against the roles of the
    moment."""
    if is_programme_manager(user):
        return True
    if max(institute_ranks(user).values(), default=0) >= ACT:
        return True
    return max(project_ranks(user).values(), default=0) >= ACT or is_developer_contact(user)


def visible_guidelines(user, queryset: QuerySet | None = None) -> QuerySet:
    """Guidelines are shared protocols: visible to staff of the owner and required institutes, to
    participants of projects that adopted one of their versions, and to programme managers."""
    from evaluations.models import Guideline

    qs = queryset if queryset is not None else Guideline.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_programme_manager(user):
        return qs
    institute_ids = list(institute_ranks(user).keys())
    project_ids = list(project_ranks(user).keys())
    return qs.filter(
        Q(owner_institute_id__in=institute_ids)
        | Q(required_institutes__in=institute_ids)
        | Q(versions__adoptions__project_id__in=project_ids)
    ).distinct()


def can_edit_guideline(user, guideline) -> bool:
    """Leads and evaluators of the owner or a required institute draft versions."""
    if is_programme_manager(user):
        return True
    ranks = institute_ranks(user)
    ids = {guideline.owner_institute_id, *(i.pk for i in guideline.required_institutes.all())}
    return any(ranks.get(i, 0) >= ACT for i in ids if i)


def visible_systems(user, queryset: QuerySet | None = None) -> QuerySet:
    """AI systems: those in a project the user sees, and those not yet in any project (just
    registered, so their registrant can add them). Programme managers see every system.
    A pre-deployment system's name is confidential to the projects that evaluate it."""
    from evaluations.models import AISystem, ProjectSystem

    qs = queryset if queryset is not None else AISystem.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_programme_manager(user):
        return qs
    project_ids = list(project_ranks(user).keys())
    linked = ProjectSystem.objects.values("system_id")
    return qs.filter(
        Q(pk__in=ProjectSystem.objects.filter(project_id__in=project_ids).values("system_id"))
        | ~Q(pk__in=linked)
    )


def sees_staff_of(user, institute) -> bool:
    """An institute's members and their roles: visible to its own staff and programme managers."""
    return is_programme_manager(user) or institute_rank(user, institute) > 0


def can_act_for(user, project, institute) -> bool:
    """May the user act in the project (queue jobs, upload results) on behalf of the institute?

    The institute must participate in the project. Programme managers act for any participant;
    others need the evaluator role (or above) at that institute, by membership or as the host role
    of an active exchange linked to the project.
    """
    from evaluations.models import Participation
    from exchanges.models import Exchange

    institute_id = getattr(institute, "pk", institute)
    project_id = getattr(project, "pk", project)
    if not Participation.objects.filter(project_id=project_id, institute_id=institute_id).exists():
        return False
    if is_programme_manager(user):
        return True
    if institute_rank(user, institute_id) >= ACT:
        return True
    return any(
        ROLE_RANK[Role(role)] >= ACT
        for role in Exchange.objects.filter(
            _active_exchange_filter(user), project_id=project_id, host_institute_id=institute_id
        ).values_list("host_role", flat=True)
    )


def can_control_job(user, job) -> bool:
    """Cancel or retry a job: evaluators of the job's institute in the project, the project's
    leads, and programme managers."""
    return can_act_for(user, job.project_id, job.institute_id) or can_manage(user, job.project_id)


# The AI developer's side: a developer contact is a user with an accepted, unrevoked
# DeveloperContact. They take part in no project (project_ranks knows nothing of them), so every
# page and API of a project answers 404 to them; the developer pages and the pages of what was
# shared with them use the functions below.


def _developer_contacts(user) -> dict[int, DeveloperContact]:
    """{project id: DeveloperContact} of the user's active contacts (one query per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    cache = _cache(user)
    if "developer_contacts" not in cache:
        from evaluations.models import DeveloperContact

        cache["developer_contacts"] = {
            contact.project_id: contact
            for contact in DeveloperContact.objects.filter(
                user=user, revoked_at__isnull=True
            ).select_related("organisation")
        }
    return cache["developer_contacts"]


def developer_contact(user, project) -> DeveloperContact | None:
    """The user's active developer contact of the project (a DeveloperContact), or None."""
    return _developer_contacts(user).get(getattr(project, "pk", project))


def developer_project_ids(user) -> set[int]:
    """The projects the user is an active developer contact of."""
    return set(_developer_contacts(user).keys())


def is_developer_contact(user) -> bool:
    """Is the user an active developer contact of some project?"""
    return bool(_developer_contacts(user))


def developer_shared_reports(user, queryset: QuerySet | None = None) -> QuerySet:
    """Report versions shared with the user as a developer contact: frozen, shared, of a project
    they are an active contact of (none for anyone else)."""
    from evaluations.models import Report

    qs = queryset if queryset is not None else Report.objects.all()
    ids = developer_project_ids(user)
    if not ids:
        return qs.none()
    return qs.filter(project_id__in=ids, status=Report.Status.FROZEN, shared_at__isnull=False)


def developer_shared_findings(user, queryset: QuerySet | None = None) -> QuerySet:
    """Findings shared with the user as a developer contact: shared with the developer (or since
    published), of a project they are an active contact of (none for anyone else)."""
    from evaluations.models import Finding

    qs = queryset if queryset is not None else Finding.objects.all()
    ids = developer_project_ids(user)
    if not ids:
        return qs.none()
    return qs.filter(
        project_id__in=ids,
        shared_at__isnull=False,
        status__in=[Finding.Status.SHARED, Finding.Status.PUBLISHED],
    )


def developer_sees_report(user, report) -> bool:
    """May the user, as a developer contact, read this report version? (No query beyond the
    per-request contacts.)"""
    return (
        developer_contact(user, report.project_id) is not None
        and report.status == "frozen"
        and report.shared_at is not None
    )


def developer_sees_finding(user, finding) -> bool:
    """May the user, as a developer contact, read this finding (and its comments, responses)?"""
    return (
        developer_contact(user, finding.project_id) is not None
        and finding.shared_at is not None
        and finding.status in ("shared_with_developer", "published")
    )
