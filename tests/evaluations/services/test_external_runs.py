"""External runs' writes (evaluations.services.external_runs): reports are idempotent by eval id and
need the evaluator role; progress only grows; a final status is final; the run links in either
order (report then import: tests/evaluations/ingestion/test_external_run_link.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from evaluations.models import EvaluationRun, ExternalRun
from evaluations.services.external_runs import (
    external_run_link,
    external_run_progress,
    external_run_report,
)
from tests.evaluations.factories import ParticipationFactory, ProjectFactory, RunFactory

pytestmark = pytest.mark.django_db


def report(user, project, institute, eval_id="ev-1", **extra):
    fields = {"task_name": "arith", "model": "mockllm/model", **extra}
    return external_run_report(
        user=user, project=project, institute=institute, eval_id=eval_id, **fields
    )


def test_an_evaluator_reports_a_run_that_started(bob, project, institute_a):
    external, created = report(bob, project, institute_a, samples_total=10, host="gpu-1")
    assert created
    assert (external.status, external.samples_done, external.samples_total) == ("running", 0, 10)
    assert (external.reported_by, external.host, external.finished_at) == (bob, "gpu-1", None)


def test_a_retried_report_answers_the_same_row(bob, project, institute_a):
    first, _ = report(bob, project, institute_a)
    again, created = report(bob, project, institute_a)
    assert not created
    assert again.pk == first.pk
    assert ExternalRun.objects.count() == 1


def test_a_viewer_and_an_outsider_may_not_report(vera, charlie, project, institute_a):
    with pytest.raises(PermissionDenied):
        report(vera, project, institute_a)
    with pytest.raises(PermissionDenied):
        report(charlie, project, institute_a)
    assert not ExternalRun.objects.exists()


def test_an_evaluator_may_not_report_for_another_institute(bob, project, institute_b):
    with pytest.raises(PermissionDenied):
        report(bob, project, institute_b)


def test_an_eval_id_of_another_project_is_refused(bob, project, institute_a):
    other = ProjectFactory(slug="other")
    ParticipationFactory(project=other, institute=institute_a)
    report(bob, other, institute_a)
    with pytest.raises(ValidationError) as refused:
        report(bob, project, institute_a)
    assert "another project" in str(refused.value.message_dict["eval_id"])


def test_an_eval_id_imported_into_another_project_is_refused(bob, project, institute_a):
    other = ProjectFactory(slug="other")
    RunFactory(project=other, institute=institute_a, inspect_eval_id="ev-1")
    with pytest.raises(ValidationError):
        report(bob, project, institute_a)


def test_blank_names_are_refused(bob, project, institute_a):
    with pytest.raises(ValidationError) as refused:
        report(bob, project, institute_a, eval_id=" ", task_name="")
    assert set(refused.value.message_dict) == {"eval_id", "task_name"}


def test_samples_done_never_goes_backwards(bob, project, institute_a):
    external, _ = report(bob, project, institute_a, samples_total=10)
    external_run_progress(user=bob, external_run=external, samples_done=7)
    external = external_run_progress(user=bob, external_run=external, samples_done=3)
    assert external.samples_done == 7
    external = external_run_progress(user=bob, external_run=external, samples_total=0)
    assert external.samples_total == 10  # 0 says "not known", never undoes a known total


def test_progress_is_the_last_word_from_the_run(bob, project, institute_a):
    external, _ = report(bob, project, institute_a)
    ExternalRun.objects.filter(pk=external.pk).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    external.refresh_from_db()
    assert external.is_stale
    external = external_run_progress(user=bob, external_run=external, samples_done=1)
    assert not external.is_stale


def test_a_final_status_is_final(bob, project, institute_a):
    external, _ = report(bob, project, institute_a)
    external = external_run_progress(
        user=bob, external_run=external, status="failed", error="model timed out"
    )
    assert (external.status, external.error) == ("failed", "model timed out")
    assert external.finished_at is not None
    # The same final status again: accepted, nothing changes.
    again = external_run_progress(user=bob, external_run=external, status="failed", error="x")
    assert (again.status, again.error, again.finished_at) == (
        "failed",
        "model timed out",
        external.finished_at,
    )
    for status in ("succeeded", "running"):
        with pytest.raises(ValidationError) as refused:
            external_run_progress(user=bob, external_run=external, status=status)
        assert "final" in str(refused.value.message_dict["status"])


def test_progress_of_a_stale_copy_cannot_reopen_a_finished_run(bob, project, institute_a):
    """Two reporters hold the same row: the second's view is stale, the UPDATE is conditional."""
    external, _ = report(bob, project, institute_a)
    stale_copy = ExternalRun.objects.get(pk=external.pk)
    external_run_progress(user=bob, external_run=external, status="succeeded")
    with pytest.raises(ValidationError):
        external_run_progress(user=bob, external_run=stale_copy, status="cancelled")
    assert ExternalRun.objects.get(pk=external.pk).status == "succeeded"


def test_a_long_error_keeps_its_end(bob, project, institute_a):
    external, _ = report(bob, project, institute_a)
    text = "x" * 30_000 + "ZeroDivisionError"
    external = external_run_progress(user=bob, external_run=external, status="failed", error=text)
    assert len(external.error) == 20_000
    assert external.error.endswith("ZeroDivisionError")


def test_a_viewer_may_not_report_progress(bob, vera, project, institute_a):
    external, _ = report(bob, project, institute_a)
    with pytest.raises(PermissionDenied):
        external_run_progress(user=vera, external_run=external, samples_done=1)


def test_an_unknown_status_and_negative_counts_are_refused(bob, project, institute_a):
    external, _ = report(bob, project, institute_a)
    with pytest.raises(ValidationError) as refused:
        external_run_progress(user=bob, external_run=external, status="paused", samples_done=-1)
    assert set(refused.value.message_dict) == {"status", "samples_done"}


def test_a_report_of_an_imported_log_links_its_run_and_takes_its_outcome(bob, project, institute_a):
    run = RunFactory(
        project=project,
        institute=institute_a,
        inspect_eval_id="ev-1",
        status=EvaluationRun.Status.ERROR,
    )
    external, _ = report(bob, project, institute_a)
    assert external.run == run
    assert (external.status, external.finished_at) == ("failed", run.completed_at)


def test_an_import_after_the_report_links_the_run(bob, project, institute_a):
    external, _ = report(bob, project, institute_a)
    run = RunFactory(project=project, institute=institute_a, inspect_eval_id="ev-1")
    assert external_run_link(run=run) == external
    external.refresh_from_db()
    assert (external.run, external.status) == (run, "succeeded")


def test_a_run_of_another_project_is_not_linked(bob, project, institute_a):
    report(bob, project, institute_a)
    other = ProjectFactory(slug="other")
    run = RunFactory(project=other, institute=institute_a, inspect_eval_id="ev-1")
    assert external_run_link(run=run) is None


def test_a_linked_run_keeps_the_status_its_reporter_gave(bob, project, institute_a):
    external, _ = report(bob, project, institute_a)
    external_run_progress(user=bob, external_run=external, status="cancelled")
    run = RunFactory(project=project, institute=institute_a, inspect_eval_id="ev-1")
    external_run_link(run=run)
    external.refresh_from_db()
    assert (external.run, external.status) == (run, "cancelled")


def test_the_database_keeps_a_finished_run_with_its_end(bob, project, institute_a):
    external, _ = report(bob, project, institute_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalRun.objects.filter(pk=external.pk).update(status="succeeded")
