"""Evidence is kept: projects with runs or findings, runs, sample results, reviews and published
findings cannot be deleted through the ORM (one row or in bulk) nor by SQL; nothing is lost."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from evaluations.models import EvaluationProject, EvaluationRun, Finding
from tests.evaluations.evidence_world import build_evidence, counts
from tests.evaluations.factories import ProjectFactory, RunFactory


@pytest.fixture
def evidence(db):
    return build_evidence()


@pytest.mark.parametrize("name", ["project", "run", "sample", "review", "published"])
def test_deleting_evidence_through_the_orm_raises_and_loses_nothing(evidence, name):
    obj = evidence[name]
    before = counts()
    with pytest.raises(ProtectedError), transaction.atomic():
        obj.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        type(obj).objects.filter(pk=obj.pk).delete()
    assert counts() == before


def test_a_run_with_no_samples_yet_is_kept_too(db):
    run = RunFactory()
    with pytest.raises(ProtectedError), transaction.atomic():
        EvaluationRun.objects.all().delete()
    assert EvaluationRun.objects.filter(pk=run.pk).exists()


def test_a_bulk_delete_that_includes_a_published_finding_deletes_none(evidence):
    project = evidence["project"]
    with pytest.raises(ProtectedError), transaction.atomic():
        Finding.objects.filter(project=project).delete()
    assert Finding.objects.filter(project=project).count() == 2


def test_a_draft_finding_can_still_be_deleted(evidence):
    evidence["draft"].delete()
    assert not Finding.objects.filter(pk=evidence["draft"].pk).exists()


def test_a_finding_is_kept_by_its_stored_status_not_an_unsaved_change(evidence):
    published = evidence["published"]
    published.status = "draft"  # not saved
    with pytest.raises(ProtectedError), transaction.atomic():
        published.delete()


def test_a_project_without_runs_or_findings_can_be_deleted(db):
    project = ProjectFactory()
    project.delete()
    assert not EvaluationProject.objects.filter(pk=project.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    ("table", "name"),
    [
        ("evaluations_samplereview", "review"),
        ("evaluations_finding", "published"),
        ("evaluations_sampleresult", "sample"),
        ("evaluations_evaluationrun", "run"),
    ],
)
def test_sql_that_bypasses_the_orm_is_refused_by_the_database(evidence, table, name):
    before = counts()
    with (
        pytest.raises(IntegrityError, match="evidence"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [evidence[name].pk])
    assert counts() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_sql_may_still_delete_a_draft_finding(evidence):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM evaluations_finding WHERE id = %s", [evidence["draft"].pk])
    assert not Finding.objects.filter(pk=evidence["draft"].pk).exists()
