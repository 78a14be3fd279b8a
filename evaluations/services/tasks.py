"""Writes for the evaluation task registry: Concord's built-in suites, and the tasks that
programme managers and project leads register (any Inspect `module:function` or task name).

Who registers what:
- A programme manager registers global tasks (every project sees them) or a project's own tasks,
  and may make a project's task global.
- A lead of a project (`access.can_manage`) registers tasks of that project only: visible to its
  participants, matched only by imports into it.
- A reference that does not resolve on this server (its package is not installed here, the name
  is not registered) still makes a task: an *import-only* one (`runnable` False, `runnable_note`
  says why), whose logs institutes import; Concord refuses to queue jobs for it. Its reference is
  the task name Inspect writes in the log (`eval.task`). A malformed reference is refused.
- A project's task with the reference of a task the project already sees (global or its own) is
  refused, and so is making a task global when another task has its reference: an import would
  find them ambiguous. (Programme managers may still register global tasks sharing a reference,
  as before: an import then asks which one.)
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from evaluations.models import Domain, EvaluationProject, EvaluationTask
from evaluations.runner.refs import inspect_ref_status
from evaluations.services.job_params import clean_params
from institutes import access


def task_builtin_upsert(*, task_model=EvaluationTask, domain_model=Domain) -> list:
    """Create or update the `EvaluationTask` rows of the suites shipped with Concord (matched by
    slug). Idempotent. The data migration passes its historical models."""
    from evaluations.suites import BUILTIN_TASKS

    rows = []
    with transaction.atomic():
        for spec in BUILTIN_TASKS:
            domain = domain_model.objects.filter(slug=spec.domain).first()
            row, _ = task_model.objects.update_or_create(
                slug=spec.slug,
                defaults={
                    "name": spec.name,
                    "description": spec.description,
                    "domain": domain,
                    "inspect_ref": spec.inspect_ref,
                    "default_params": spec.default_params,
                    "is_builtin": True,
                    "is_active": True,
                },
            )
            rows.append(row)
    return rows


def may_register_for(user, project: EvaluationProject | None) -> bool:
    """May the user register a task for `project` (None: a global task)?"""
    if project is None:
        return access.is_programme_manager(user)
    return access.can_manage(user, project)


def _require_register(user, project: EvaluationProject | None) -> None:
    if project is None:
        message = (
            "Only programme managers register global evaluation tasks. A lead of a project "
            "registers tasks for that project: give the project."
        )
    else:
        message = (
            f"Only a lead of project '{project.slug}' or a programme manager registers tasks "
            "for it."
        )
    access.require(may_register_for(user, project), message)


def _ambiguous_with(inspect_ref: str, project: EvaluationProject | None, exclude_pk=None):
    """Tasks an import could match together with a task of this reference in `project` (None:
    global, so in every project)."""
    qs = EvaluationTask.objects.filter(inspect_ref=inspect_ref)
    if project is not None:
        qs = qs.filter(Q(project__isnull=True) | Q(project=project))
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("slug")


def _ambiguity_error(inspect_ref: str, others) -> str:
    names = ", ".join(f"'{t.slug}'" for t in others[:5])
    return (
        f"A task with the reference '{inspect_ref}' is already registered where this one would "
        f"be seen ({names}): an import of its logs could not tell them apart."
    )


def _free_slug(base: str, project: EvaluationProject | None) -> str:
    """The slug asked for; for a project's task whose name another project already took, the
    project's slug in front (slugs are unique across Concord)."""
    if project is None or not EvaluationTask.objects.filter(slug=base).exists():
        return base
    return slugify(f"{project.slug}-{base}")[:80]


@transaction.atomic
def task_register(
    *,
    user,
    name: str,
    inspect_ref: str,
    slug: str = "",
    domain: Domain | None = None,
    description: str = "",
    default_params: dict[str, Any] | None = None,
    project: EvaluationProject | None = None,
) -> EvaluationTask:
    """Register an Inspect task: global (programme managers) or of `project` (its leads and
    programme managers). A reference that does not resolve here makes an import-only task, with
    the reason; a malformed one is refused, as are invalid default parameters and a reference
    that an import into the same project would confuse with another task's."""
    _require_register(user, project)
    errors: dict[str, Any] = {}
    note = ""
    try:
        inspect_ref, note = inspect_ref_status(inspect_ref)
    except ValidationError as exc:
        errors["inspect_ref"] = exc.messages
    else:
        others = list(_ambiguous_with(inspect_ref, project)[:5]) if project is not None else []
        if others:
            errors["inspect_ref"] = [_ambiguity_error(inspect_ref, others)]
    try:
        default_params = clean_params(default_params or {})
    except ValidationError as exc:
        errors["default_params"] = exc.messages
    base = slugify((slug or name).replace("/", "-"))[:80]
    if not base:
        errors["name"] = ["Give the task a name."]
    elif slug:
        if EvaluationTask.objects.filter(slug=base).exists():
            errors["slug"] = [f"A task with the slug '{base}' already exists."]
    else:
        base = _free_slug(base, project)
        if EvaluationTask.objects.filter(slug=base).exists():
            errors["slug"] = [f"A task with the slug '{base}' already exists: give another slug."]
    if errors:
        raise ValidationError(errors)
    task = EvaluationTask(
        slug=base,
        name=name.strip(),
        description=description,
        domain=domain,
        inspect_ref=inspect_ref,
        default_params=default_params,
        is_builtin=False,
        runnable=not note,
        runnable_note=note,
        project=project,
        registered_by=user if getattr(user, "is_authenticated", False) else None,
    )
    task.full_clean()
    task.save()
    return task


@transaction.atomic
def task_update(*, user, task: EvaluationTask, **fields: Any) -> EvaluationTask:
    """Programme managers edit a task. A built-in task keeps its reference (it is Concord's own
    code); any other reference is checked again (it may have become runnable, or stopped being
    so); default params must be valid job params. `project=None` makes a project's task global
    (see `task_make_global`)."""
    access.require(
        access.is_programme_manager(user), "Only programme managers change evaluation tasks."
    )
    allowed = {
        "name",
        "description",
        "domain",
        "inspect_ref",
        "default_params",
        "is_active",
        "project",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"task_update cannot change {sorted(unknown)}")
    errors: dict[str, Any] = {}
    if "inspect_ref" in fields and fields["inspect_ref"] != task.inspect_ref:
        if task.is_builtin:
            errors["inspect_ref"] = ["A built-in task keeps the reference Concord ships."]
        else:
            try:
                fields["inspect_ref"], note = inspect_ref_status(fields["inspect_ref"])
            except ValidationError as exc:
                errors["inspect_ref"] = exc.messages
            else:
                fields["runnable"], fields["runnable_note"] = not note, note
    if "project" in fields and task.is_builtin and fields["project"] is not None:
        errors["project"] = ["A built-in task is global."]
    if "default_params" in fields:
        try:
            fields["default_params"] = clean_params(fields["default_params"] or {})
        except ValidationError as exc:
            errors["default_params"] = exc.messages
    ref = fields.get("inspect_ref", task.inspect_ref)
    project = fields.get("project", task.project)
    moved = "project" in fields and getattr(project, "pk", None) != task.project_id
    if "inspect_ref" not in errors and (moved or (ref != task.inspect_ref and project is not None)):
        others = list(_ambiguous_with(ref, project, task.pk)[:5])
        if others:
            errors["inspect_ref"] = [_ambiguity_error(ref, others)]
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(task, name, value)
    task.full_clean()
    task.save()
    return task


def task_make_global(*, user, task: EvaluationTask) -> EvaluationTask:
    """A programme manager makes a project's own task global: every project sees it and imports
    into any project may match it. Refused when another task has the same reference."""
    return task_update(user=user, task=task, project=None)
