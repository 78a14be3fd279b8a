"""Writes for the evaluation task registry: Concord's built-in suites and tasks that programme
managers register (any Inspect `module:function` or registered task name)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from evaluations.models import Domain, EvaluationTask
from evaluations.runner.refs import check_inspect_ref
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
) -> EvaluationTask:
    """Programme managers register an Inspect task. The reference must resolve on this server
    (the module imports and the function is an Inspect @task, or the name is registered), and the
    default parameters must be valid job parameters."""
    access.require(
        access.is_programme_manager(user), "Only programme managers register evaluation tasks."
    )
    errors: dict[str, Any] = {}
    try:
        inspect_ref = check_inspect_ref(inspect_ref)
    except ValidationError as exc:
        errors["inspect_ref"] = exc.messages
    try:
        default_params = clean_params(default_params or {})
    except ValidationError as exc:
        errors["default_params"] = exc.messages
    slug = slugify(slug or name)[:80]
    if not slug:
        errors["name"] = ["Give the task a name."]
    elif EvaluationTask.objects.filter(slug=slug).exists():
        errors["slug"] = [f"A task with the slug '{slug}' already exists."]
    if errors:
        raise ValidationError(errors)
    task = EvaluationTask(
        slug=slug,
        name=name.strip(),
        description=description,
        domain=domain,
        inspect_ref=inspect_ref,
        default_params=default_params,
        is_builtin=False,
    )
    task.full_clean()
    task.save()
    return task


@transaction.atomic
def task_update(*, user, task: EvaluationTask, **fields: Any) -> EvaluationTask:
    """Programme managers edit a task. A built-in task keeps its reference (it is Concord's own
    code); any other reference must still resolve; default params must be valid job params."""
    access.require(
        access.is_programme_manager(user), "Only programme managers change evaluation tasks."
    )
    errors: dict[str, Any] = {}
    if "inspect_ref" in fields and fields["inspect_ref"] != task.inspect_ref:
        if task.is_builtin:
            errors["inspect_ref"] = ["A built-in task keeps the reference Concord ships."]
        else:
            try:
                fields["inspect_ref"] = check_inspect_ref(fields["inspect_ref"])
            except ValidationError as exc:
                errors["inspect_ref"] = exc.messages
    if "default_params" in fields:
        try:
            fields["default_params"] = clean_params(fields["default_params"] or {})
        except ValidationError as exc:
            errors["default_params"] = exc.messages
    if errors:
        raise ValidationError(errors)
    allowed = {"name", "description", "domain", "inspect_ref", "default_params", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"task_update cannot change {sorted(unknown)}")
    for name, value in fields.items():
        setattr(task, name, value)
    task.full_clean()
    task.save()
    return task
