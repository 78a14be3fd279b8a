"""Writes for joint evaluation projects: the project, its participants, systems, access windows
and workstreams. Each service checks the caller's rights through institutes.access, validates,
and writes in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from evaluations import rules
from evaluations.models import (
    AccessWindow,
    AISystem,
    Domain,
    EvaluationProject,
    Finding,
    Participation,
    ProjectSystem,
    Workstream,
)
from evaluations.rules import system_validate
from institutes import access
from institutes.models import Institute, Membership

# Marks an argument the caller did not give (None is a meaningful value for some fields).
UNSET: Any = object()

# Addresses the pages use for their own purposes (/projects/new/), so no project may take them.
RESERVED_SLUGS = frozenset({"new"})
# The longest response window a project may give the AI developer on a shared finding (days).
MAX_RESPONSE_DAYS = 365


def _save(instance, *, field: str | None = None, message: str = "") -> None:
    """full_clean then save, turning a lost race on a unique constraint into a form error."""
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationError({field: message} if field else message) from exc


@transaction.atomic
def system_create(
    *,
    user,
    developer: str,
    name: str,
    inspect_model: str,
    version: str = "",
    kind: str = AISystem.Kind.MODEL,
    description: str = "",
    base_url: str = "",
    api_key_env: str = "",
) -> AISystem:
    """Leads of any institute and programme managers register AI systems."""
    access.require(
        access.is_programme_manager(user) or access.manageable_institutes(user).exists(),
        "Only institute leads and programme managers register AI systems.",
    )
    system = AISystem(
        developer=developer.strip(),
        name=name.strip(),
        version=version.strip(),
        kind=kind,
        description=description,
        inspect_model=inspect_model.strip(),
        base_url=base_url.strip(),
        api_key_env=api_key_env.strip(),
    )
    system_validate(system)
    _save(system, message="An AI system with this developer, name and version already exists.")
    return system


@transaction.atomic
def system_update(*, user, system: AISystem, **fields) -> AISystem:
    access.require(
        access.is_programme_manager(user) or access.manageable_institutes(user).exists(),
        "Only institute leads and programme managers edit AI systems.",
    )
    allowed = {
        "developer",
        "name",
        "version",
        "kind",
        "description",
        "inspect_model",
        "base_url",
        "api_key_env",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    for key, value in fields.items():
        setattr(system, key, value.strip() if isinstance(value, str) else value)
    system_validate(system)
    _save(system, message="An AI system with this developer, name and version already exists.")
    return system


@transaction.atomic
def project_system_register(
    *, user, project: EvaluationProject, is_reference: bool = False, **system_fields
) -> ProjectSystem:
    """Registers a new AI system and adds it to the project, both or neither: for a lead of the
    project (who, as a lead, may register systems)."""
    _require_manage(user, project)
    system = system_create(user=user, **system_fields)
    return project_system_add(user=user, project=project, system=system, is_reference=is_reference)


@transaction.atomic
def project_create(
    *,
    user,
    title: str,
    lead_institute: Institute,
    slug: str = "",
    description: str = "",
    embargo_until: datetime | None = None,
    partner_institutes: Iterable[Institute] = (),
    developer_response_days: int | None = None,
) -> EvaluationProject:
    """A lead opens a project for an institute they lead; programme managers for any institute.
    Partners can be added here only by someone who leads them too (or a programme manager)."""
    access.require(
        access.is_lead_of(user, lead_institute),
        f"You can open a project only for an institute you lead, and you do not lead {lead_institute.name}.",
    )
    partners = [i for i in partner_institutes if i.pk != lead_institute.pk]
    for institute in partners:
        _require_leads_institute(user, institute)
    project = EvaluationProject(
        slug=slug or slugify(title)[:80],
        title=title.strip(),
        description=description,
        embargo_until=embargo_until,
        created_by=user,
    )
    if developer_response_days is not None:
        project.developer_response_days = _checked_response_days(developer_response_days)
    if project.slug in RESERVED_SLUGS:
        raise ValidationError(
            {"slug": f"The address '{project.slug}' is reserved: choose another."}
        )
    if EvaluationProject.objects.filter(slug=project.slug).exists():
        raise ValidationError(
            {"slug": f"The address '{project.slug}' is taken by another project."}
        )
    _save(
        project, field="slug", message=f"The address '{project.slug}' is taken by another project."
    )
    Participation.objects.create(
        project=project, institute=lead_institute, role=Participation.Role.LEAD
    )
    for institute in partners:
        Participation.objects.create(
            project=project, institute=institute, role=Participation.Role.PARTNER
        )
    access.forget(user)
    return project


def _checked_response_days(days: int) -> int:
    """The developer's response window on shared findings: 0 (none) to a year."""
    if not 0 <= days <= MAX_RESPONSE_DAYS:
        raise ValidationError(
            {
                "developer_response_days": "Give the developer between 0 (no window) and "
                f"{MAX_RESPONSE_DAYS} days to respond."
            }
        )
    return days


def _require_leads_institute(user, institute: Institute) -> None:
    if not access.is_lead_of(user, institute):
        raise ValidationError(
            {
                "institute": f"Only a lead of {institute.name} (or a programme manager) can add it to a project."
            }
        )


def _require_manage(user, project: EvaluationProject) -> None:
    access.require(
        access.can_manage(user, project),
        "Only leads of a participating institute manage this project.",
    )


@transaction.atomic
def project_update(
    *,
    user,
    project: EvaluationProject,
    title: str | None = None,
    description: str | None = None,
    embargo_until: Any = UNSET,
    developer_response_days: int | None = None,
) -> EvaluationProject:
    _require_manage(user, project)
    if developer_response_days is not None:
        project.developer_response_days = _checked_response_days(developer_response_days)
    if title is not None:
        project.title = title.strip()
    if description is not None:
        project.description = description
    if embargo_until is not UNSET:
        project.embargo_until = embargo_until
    _save(project)
    return project


@transaction.atomic
def project_transition(*, user, project: EvaluationProject, status: str) -> EvaluationProject:
    """Moves a project along proposed -> active -> reporting -> closed (or withdrawn).
    A project closes only when every finding has been shared with the developer or published."""
    _require_manage(user, project)
    project = EvaluationProject.objects.select_for_update().get(pk=project.pk)
    if status not in EvaluationProject.Status.values:
        raise ValidationError({"status": f"'{status}' is not a project status."})
    if not project.can_transition_to(status):
        raise ValidationError(
            {
                "status": f"A {project.get_status_display().lower()} project cannot become "
                f"{EvaluationProject.Status(status).label.lower()}."
            }
        )
    if status == EvaluationProject.Status.CLOSED:
        unfinished = list(
            project.findings.exclude(status__in=Finding.FINISHED)
            .order_by("created_at", "pk")
            .values_list("title", flat=True)
        )
        if unfinished:
            count = f"{len(unfinished)} unfinished finding{'s' if len(unfinished) > 1 else ''}"
            titles = ", ".join(f"'{title}'" for title in unfinished)
            raise ValidationError(
                {
                    "status": f"{count}: {titles}. Share them with the developer or publish them "
                    "before closing the project."
                }
            )
    project.status = status
    project.save(update_fields=["status", "updated_at"])
    return project


@transaction.atomic
def participation_add(
    *,
    user,
    project: EvaluationProject,
    institute: Institute,
    role: str = Participation.Role.PARTNER,
) -> Participation:
    """Leads of the project add an institute they lead; programme managers add any institute."""
    _require_manage(user, project)
    _require_leads_institute(user, institute)
    if project.participations.filter(institute=institute).exists():
        raise ValidationError(
            {"institute": f"{institute.name} already takes part in this project."}
        )
    participation = Participation(project=project, institute=institute, role=role)
    _save(
        participation,
        field="institute",
        message=f"{institute.name} already takes part in this project.",
    )
    access.forget(user)
    return participation


@transaction.atomic
def participation_remove(*, user, project: EvaluationProject, institute: Institute) -> None:
    _require_manage(user, project)
    participation = project.participations.select_for_update().filter(institute=institute).first()
    if participation is None:
        raise ValidationError(
            {"institute": f"{institute.name} does not take part in this project."}
        )
    blocker = rules.participation_removal_blockers(project).get(institute.pk)
    if blocker:
        raise ValidationError({"institute": f"{institute.name} cannot be removed. {blocker}"})
    participation.delete()
    access.forget(user)


@transaction.atomic
def project_system_add(
    *, user, project: EvaluationProject, system: AISystem, is_reference: bool = False
) -> ProjectSystem:
    _require_manage(user, project)
    if project.project_systems.filter(system=system).exists():
        raise ValidationError({"system": f"{system} is already in this project."})
    link = ProjectSystem(project=project, system=system, is_reference=is_reference)
    _save(link, field="system", message=f"{system} is already in this project.")
    return link


@transaction.atomic
def project_system_remove(*, user, project: EvaluationProject, system: AISystem) -> None:
    _require_manage(user, project)
    blocker = rules.system_removal_blockers(project).get(system.pk)
    if blocker:
        raise ValidationError({"system": f"{system} cannot be removed. {blocker}"})
    deleted, _ = project.project_systems.filter(system=system).delete()
    if not deleted:
        raise ValidationError({"system": f"{system} is not in this project."})


@transaction.atomic
def access_window_create(
    *,
    user,
    project: EvaluationProject,
    system: AISystem,
    starts_at: datetime,
    ends_at: datetime,
    terms: str = "",
) -> AccessWindow:
    """The developer's pre-deployment access to a system; windows of one system do not overlap."""
    _require_manage(user, project)
    errors = {}
    if not project.project_systems.filter(system=system).exists():
        errors["system"] = f"{system} is not in this project: add it first."
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = "The access window must end after it starts."
    if errors:
        raise ValidationError(errors)
    overlapping = AccessWindow.objects.filter(
        project=project, system=system, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).first()
    if overlapping:
        raise ValidationError({"starts_at": f"It overlaps the access window {overlapping}."})
    window = AccessWindow(
        project=project, system=system, starts_at=starts_at, ends_at=ends_at, terms=terms
    )
    _save(window)
    return window


@transaction.atomic
def access_window_delete(*, user, window: AccessWindow) -> None:
    _require_manage(user, window.project)
    window.delete()


def _validate_workstream_people(
    project: EvaluationProject, lead_institute: Institute, members
) -> list:
    errors = {}
    participating = set(project.participations.values_list("institute_id", flat=True))
    if lead_institute.pk not in participating:
        errors["lead_institute"] = f"{lead_institute.name} does not take part in this project."
    members = list(members or [])
    if members:
        allowed = set(
            Membership.objects.filter(
                institute_id__in=participating, user_id__in=[m.pk for m in members]
            ).values_list("user_id", flat=True)
        )
        outsiders = [m for m in members if m.pk not in allowed]
        if outsiders:
            names = ", ".join(m.username for m in outsiders)
            errors["members"] = f"Not staff of a participating institute: {names}."
    if errors:
        raise ValidationError(errors)
    return members


@transaction.atomic
def workstream_create(
    *,
    user,
    project: EvaluationProject,
    domain: Domain,
    lead_institute: Institute,
    members=(),
    description: str = "",
) -> Workstream:
    _require_manage(user, project)
    members = _validate_workstream_people(project, lead_institute, members)
    if project.workstreams.filter(domain=domain).exists():
        raise ValidationError({"domain": f"The project already has a {domain.name} workstream."})
    workstream = Workstream(
        project=project, domain=domain, lead_institute=lead_institute, description=description
    )
    _save(
        workstream, field="domain", message=f"The project already has a {domain.name} workstream."
    )
    workstream.members.set(members)
    return workstream


@transaction.atomic
def workstream_update(
    *,
    user,
    workstream: Workstream,
    lead_institute: Institute | None = None,
    members=None,
    description=None,
) -> Workstream:
    _require_manage(user, workstream.project)
    lead = lead_institute or workstream.lead_institute
    checked = _validate_workstream_people(
        workstream.project, lead, members if members is not None else []
    )
    workstream.lead_institute = lead
    if description is not None:
        workstream.description = description
    _save(workstream)
    if members is not None:
        workstream.members.set(checked)
    return workstream


@transaction.atomic
def workstream_delete(*, user, workstream: Workstream) -> None:
    _require_manage(user, workstream.project)
    workstream.delete()
