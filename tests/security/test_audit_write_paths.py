"""Every write is audited, whichever way it comes in (institutes.audit: row triggers on every
table of Concord's apps, and who/where from the request, the task or the command).

1. The write paths, one by one: a page (a service behind a form), the API with a bearer token,
   an admin change form, an admin action, a bulk QuerySet.update and .delete, a Celery task in
   a worker, a management command, raw SQL. Each leaves its event with the right actor.
2. Every model: an insert, an update of one column and a delete of one row of every audited
   table are recorded (sample rows, written by COPY, are recorded once per run by ingestion:
   tests/evaluations/ingestion/test_api_import.py).
"""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from celery import shared_task
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection, models, transaction
from django.db.models import ProtectedError, RestrictedError
from rest_framework.test import APIClient

from evaluations.models import Domain, Finding, SampleReview
from institutes import audit
from institutes.models import AuditEvent, Institute, User
from institutes.services import token_create
from tests.evaluations.factories import ProjectFactory
from tests.figures import figure


def last(**filters) -> AuditEvent:
    event = AuditEvent.objects.filter(**filters).order_by("-id").first()
    assert event is not None, f"no event {filters}"
    return event


@shared_task(name="tests.security.rename_institute")
def rename_institute(institute_id: int, name: str) -> None:
    Institute.objects.filter(pk=institute_id).update(name=name)


def test_each_write_path_is_audited_with_its_actor(security_world, client, pm, alice, bob):
    w = security_world
    pm.is_superuser = True  # the admin's model permissions, as in the other admin tests
    pm.save()
    paths: dict[str, tuple] = {}

    # A page: a form whose view calls a service.
    client.force_login(alice)
    client.post(
        "/projects/new/", {"title": "Audited page project", "lead_institute": w.institute_a.pk}
    )
    event = last(action="insert", table="evaluations_evaluationproject")
    paths["page (service)"] = (event.actor_id, event.actor_kind, event.source) == (
        alice.pk,
        "user",
        "POST /projects/new/",
    )

    # The API, with a bearer token.
    token, raw = token_create(user=bob, name="harness", expires_in_days=1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post(
        "/api/v1/findings/", {"project": w.project.slug, "title": "Via the API"}, format="json"
    )
    assert response.status_code == 201, response.content
    event = last(action="insert", table="evaluations_finding")
    paths["API (bearer token)"] = (event.actor_id, event.actor_kind, event.token_id) == (
        bob.pk,
        "token",
        token.pk,
    )

    # The admin: a change form, then an action.
    client.force_login(pm)
    domain = Domain.objects.get(slug="cyber")
    client.post(
        f"/admin/evaluations/domain/{domain.pk}/change/",
        {"name": "Cyber offence", "slug": "cyber", "order": domain.order},
    )
    event = last(action="update", table="evaluations_domain", object_id=str(domain.pk))
    paths["admin change form"] = (event.actor_id, event.changes["name"][1]) == (
        pm.pk,
        "Cyber offence",
    )
    client.post(
        "/admin/institutes/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    event = last(action="update", table="institutes_apitoken", object_id=str(token.pk))
    paths["admin action"] = event.actor_id == pm.pk and "revoked_at" in event.changes

    # Bulk writes outside any request (a shell, a script): every row, as the system.
    findings = Finding.objects.filter(project=w.project)
    ids = {str(pk) for pk in findings.values_list("pk", flat=True)}
    findings.update(severity="high")
    updated = AuditEvent.objects.filter(action="update", table="evaluations_finding")
    paths["bulk QuerySet.update"] = ids <= set(updated.values_list("object_id", flat=True))
    Finding.objects.filter(title="Via the API").delete()
    paths["bulk QuerySet.delete"] = AuditEvent.objects.filter(
        action="delete", table="evaluations_finding"
    ).exists()

    # A Celery task, as a worker runs it (task_prerun marks the worker).
    rename_institute.apply(args=[w.institute_c.pk, "Institute C (renamed)"])
    event = last(action="update", table="institutes_institute", object_id=str(w.institute_c.pk))
    paths["Celery task (worker)"] = (event.actor_kind, event.source) == (
        "worker",
        "tests.security.rename_institute",
    )

    # A management command.
    call_command("create_token", "vera", "--days", "1")
    event = last(action="insert", table="institutes_apitoken")
    paths["management command"] = event.actor_kind == "system"

    # Raw SQL.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE institutes_institute SET name = %s WHERE id = %s",
            ["Institute B (raw)", w.institute_b.pk],
        )
    event = last(action="update", table="institutes_institute", object_id=str(w.institute_b.pk))
    paths["raw SQL"] = event.changes["name"][1] == "Institute B (raw)"

    missing = [path for path, audited in paths.items() if not audited]
    figure(f"{len(paths)} write paths, {len(missing)} unaudited")
    assert not missing, f"Write paths without their audit event: {missing}"


# --- every model ---------------------------------------------------------------------------


def audited_models() -> list[type[models.Model]]:
    return sorted(
        (
            m
            for m in apps.get_models(include_auto_created=True)
            if m._meta.app_label in audit.AUDITED_APPS
            and m._meta.managed
            and not m._meta.proxy
            and m._meta.label not in audit.BULK_MODELS
            and m is not AuditEvent
        ),
        key=lambda m: m._meta.db_table,
    )


def _changed(field, value):
    """Another valid value for a plain column, or None."""
    if field.choices or field.unique or isinstance(field, models.AutoField):
        return None
    if isinstance(field, models.BooleanField):
        return not value
    if isinstance(field, (models.CharField, models.TextField)) and value is not None:
        text = f"{value}~"
        return text if not field.max_length or len(text) <= field.max_length else None
    if isinstance(field, (models.IntegerField, models.FloatField)) and value is not None:
        return value + 1 if not isinstance(field, models.FloatField) else value / 2
    if isinstance(field, models.DecimalField) and value is not None:
        return value + decimal.Decimal(1)
    if isinstance(field, models.DateTimeField) and value is not None:
        return value + dt.timedelta(seconds=1)
    if isinstance(field, models.DateField) and value is not None:
        return value + dt.timedelta(days=1)
    return None


def _update_one_column(model, row) -> str | None:
    """Change one plain column of the row with QuerySet.update; the column's name, or None."""
    for field in model._meta.concrete_fields:
        if field.primary_key or field.is_relation or field.column in audit.IGNORED_COLUMNS:
            continue
        new = _changed(field, getattr(row, field.attname))
        if new is None:
            continue
        try:
            with transaction.atomic():
                model.objects.filter(pk=row.pk).update(**{field.attname: new})
        except (IntegrityError, ValueError):
            continue
        return field.column
    return None


# Tables whose rows are never deleted (evaluations.models.evidence).
KEPT_TABLES = {
    "evaluations_evaluationrun",
    "evaluations_sampleresult",
    "evaluations_samplereview",
    "evaluations_findingcomment",
    "evaluations_findingresponse",
}


def _delete_one(model) -> bool:
    """Delete a row that nothing protects (rolled back after); was its delete recorded?"""
    for pk in model.objects.order_by("-pk").values_list("pk", flat=True)[:50]:
        try:
            with transaction.atomic():
                model.objects.filter(pk=pk).delete()
                recorded = AuditEvent.objects.filter(
                    table=model._meta.db_table, object_id=str(pk), action="delete"
                ).exists()
                transaction.set_rollback(True)
        except (ProtectedError, RestrictedError):
            continue
        return recorded
    raise AssertionError(f"no row of {model._meta.db_table} can be deleted")


@pytest.fixture
def every_model(security_world, bob):
    """The matrix world has a row in every table but these (and every checklist item type is
    in use, every project holds evidence: add one of each that can be deleted)."""
    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from evaluations.models import (
        DeveloperContact,
        Deviation,
        FindingComment,
        FindingEvidence,
        FindingResponse,
        Organisation,
        PinnedRun,
        ReviewLabel,
        RunScorer,
    )
    from exchanges.models import ChecklistItemType, ExchangeApproval

    run = security_world.rw.run_a
    SampleReview.objects.create(
        sample=run.samples.first(),
        reviewer=bob,
        label=ReviewLabel.objects.first(),
        note="Refused.",
    )
    Deviation.objects.create(run=run, description="Changed the prompt.")
    RunScorer.objects.get_or_create(
        run=run, name="judge_audited", defaults={"judge": True, "grader_model": "openai/gpt-4o"}
    )
    PinnedRun.objects.create(
        project=run.project,
        task=run.task,
        system=run.system,
        run=run,
        pinned_by=bob,
        pinned_at=timezone.now(),
    )
    ChecklistItemType.objects.create(name="A step no exchange uses yet")
    Organisation.objects.create(name="A developer no project invited")
    finding = security_world.finding
    contact = DeveloperContact.objects.create(
        project=finding.project,
        organisation=Organisation.objects.create(name="Audited developer"),
        email="dev@audited.example",
        name="Dev",
        user=User.objects.create_user("audited-dev", "dev@audited.example"),
        invited_by=bob,
    )
    FindingComment.objects.create(finding=finding, author=bob, body="Seen.")
    FindingResponse.objects.create(
        finding=finding, contact=contact, kind="acknowledged", text="Ok."
    )
    ProjectFactory(title="Opened by mistake")  # no runs or findings: it may be deleted
    security_world.finding.runs.add(run)
    FindingEvidence.objects.create(finding=security_world.finding, kind="run", run=run)
    exchange = security_world.exchange
    ExchangeApproval.objects.create(
        exchange=exchange, institute=exchange.home_institute, user=security_world.users["lead"]
    )
    # The review queue's reviewers, institutes and a "Next" (entries_review_queues.py's queue),
    # and a guideline version's label set.
    from evaluations.models import GuidelineVersion
    from evaluations.services.queues import queue_next

    queue = security_world.queue
    queue.reviewers.add(bob)
    queue.institutes.add(security_world.institute_a)
    queue_next(queue=queue, reviewer=bob)
    GuidelineVersion.objects.order_by("pk").first().review_labels.add(ReviewLabel.objects.first())
    bob.groups.add(security_world.group)
    bob.user_permissions.add(Permission.objects.get(codename="view_finding"))
    token_create(user=bob, name="harness", expires_in_days=1)
    # Rows written by the first `migrate` (default domains, review labels) predate the triggers,
    # which are installed when it ends: the newest row of these tables is the test's own.
    Domain.objects.create(slug="audited-domain", name="Audited domain", order=99)
    ReviewLabel.objects.create(slug="audited-label", name="Audited label", order=99)
    return security_world


def test_every_models_insert_update_and_delete_are_audited(every_model):
    report = {"insert": [], "update": [], "delete": [], "no row": [], "no plain column": []}
    exercised = 0
    for model in audited_models():
        table = model._meta.db_table
        row = model.objects.order_by("-pk").first()
        if row is None:
            report["no row"].append(table)
            continue
        exercised += 1
        pk = str(row.pk)
        trail = AuditEvent.objects.filter(table=table, object_id=pk)
        if not trail.filter(action="insert").exists():
            report["insert"].append(table)
        if not model._meta.auto_created:  # many-to-many rows are only inserted and deleted
            column = _update_one_column(model, row)
            if column is None:
                report["no plain column"].append(table)
            elif not trail.filter(action="update", changes__has_key=column).exists():
                report["update"].append(table)
        if table in KEPT_TABLES:  # evidence: no row is ever deleted, so no delete to audit
            with pytest.raises(ProtectedError), transaction.atomic():
                model.objects.filter(pk=row.pk).delete()
        elif not _delete_one(model):
            report["delete"].append(table)
    unaudited = sum(len(report[k]) for k in ("insert", "update", "delete"))
    figure(
        f"{exercised} tables: inserts, updates and deletes, {unaudited} unaudited "
        f"(not exercised: {report['no row'] + report['no plain column']})"
    )
    assert unaudited == 0, report
    assert report["no row"] == [], "give these tables a row in the fixture"
