"""python manage.py import_log <path> --project <slug> --institute <code>: the same import as the
API, with errors that say what is wrong and exit codes a script can test (0 imported or already
there, 1 log refused, 2 an argument names nothing)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from evaluations.models import EvaluationRun
from institutes.models import AuditEvent
from tests.evaluations.factories import AISystemFactory, ProjectSystemFactory, TaskFactory
from tests.evaluations.ingestion.helpers import files_under, rows


def run_command(path, **options):
    options.setdefault("project", "joint")
    options.setdefault("institute", "inst-a")
    call_command("import_log", str(path), **options)


def test_a_log_is_imported_and_kept_in_the_log_storage(qa_logs, world, capsys, log_dir):
    run_command(qa_logs["eval"], notes="From the partner cluster.")
    run = EvaluationRun.objects.get()
    out = capsys.readouterr().out
    assert f"Imported run {run.pk}" in out
    assert "6 samples, pattern/accuracy = 0.5, status success" in out
    assert (run.uploaded_by, run.source, run.notes) == (None, "upload", "From the partner cluster.")
    assert (log_dir / run.log_file).read_bytes() == qa_logs["eval"].read_bytes()
    event = AuditEvent.objects.get(action="bulk_insert", object_id=str(run.pk))
    assert (event.actor_kind, event.changes["rows"]) == ("system", 6)


def test_the_same_log_again_says_so_and_succeeds(qa_logs, world, capsys):
    run_command(qa_logs["json"])
    run_command(qa_logs["json"])
    run = EvaluationRun.objects.get()
    assert f"already imported as run {run.pk}; nothing was added" in capsys.readouterr().out
    assert EvaluationRun.objects.count() == 1


def test_system_and_task_may_be_named(qa_logs, world, target_system, qa_task):
    run_command(qa_logs["eval"], system="mockllm/model", task=qa_task.slug)
    assert EvaluationRun.objects.get().system == target_system


def test_a_system_that_contradicts_the_log_is_refused_with_exit_1(
    qa_logs, world, target_system, log_dir
):
    other = AISystemFactory(inspect_model="openai-api/lab/frontier")
    ProjectSystemFactory(project=world, system=other)
    with pytest.raises(CommandError) as caught:
        run_command(qa_logs["eval"], system="openai-api/lab/frontier")
    assert caught.value.returncode == 1
    message = str(caught.value)
    assert "The log's model is 'mockllm/model'" in message
    assert "model 'openai-api/lab/frontier'" in message
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == []


def test_the_command_may_override_a_contradicting_task_with_a_reason(qa_logs, world, capsys):
    other = TaskFactory(slug="qa-other", inspect_ref="custom:other")
    with pytest.raises(CommandError, match="needs a reason"):
        run_command(qa_logs["eval"], task=other.slug, override_mismatch=True)
    assert rows() == (0, 0, 0)
    run_command(
        qa_logs["eval"], task=other.slug, override_mismatch=True, override_reason="Renamed task."
    )
    run = EvaluationRun.objects.get()
    assert (run.task, run.override_task, run.uploaded_by) == (other, True, None)
    assert run.override_notice == (
        "Imported under task qa-other; the log says 'concord_knowledge_qa' — by an operator "
        "(import_log): Renamed task."
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"project": "nope"}, "There is no project 'nope'."),
        ({"institute": "nope"}, "There is no institute 'nope'."),
        ({"task": "nope"}, "There is no active evaluation task 'nope'."),
        ({"system": "nope/model"}, "Project 'joint' has no system 'nope/model'."),
        ({"system": "99999"}, "Project 'joint' has no system '99999'."),
        ({"guideline_version": 99999}, "There is no guideline version 99999."),
    ],
)
def test_an_argument_that_names_nothing_exits_2(options, message, qa_logs, world):
    with pytest.raises(CommandError, match=message) as caught:
        run_command(qa_logs["eval"], **options)
    assert caught.value.returncode == 2
    assert rows() == (0, 0, 0)


def test_a_missing_file_exits_2(world, tmp_path):
    with pytest.raises(CommandError, match="There is no file at") as caught:
        run_command(tmp_path / "absent.eval")
    assert caught.value.returncode == 2


def test_a_refused_log_exits_1_with_the_reason_and_leaves_nothing(world, tmp_path, log_dir):
    path = tmp_path / "broken.eval"
    path.write_bytes(b"PK\x03\x04 not really an archive")
    with pytest.raises(CommandError, match="damaged or truncated") as caught:
        run_command(path)
    assert caught.value.returncode == 1
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == []


def test_a_model_without_a_system_exits_1_naming_it(qa_logs, world, target_system):
    target_system.inspect_model = "openai-api/lab/frontier"
    target_system.save()
    with pytest.raises(CommandError, match="has the log's model 'mockllm/model'") as caught:
        run_command(qa_logs["eval"])
    assert caught.value.returncode == 1


def test_the_stored_copy_does_not_share_the_source_file(qa_logs, world, tmp_path, log_dir):
    source = tmp_path / "mine.eval"
    source.write_bytes(qa_logs["eval"].read_bytes())
    run_command(source)
    stored = log_dir / EvaluationRun.objects.get().log_file
    assert stored.stat().st_ino != source.stat().st_ino
    source.write_bytes(b"changed later")
    assert stored.read_bytes() == qa_logs["eval"].read_bytes()
