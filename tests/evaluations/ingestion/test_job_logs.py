import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from inspect_ai.log import read_eval_log, write_eval_log
from inspect_ai.scorer import value_to_float

from evaluations.ingestion import LogReadError, LogRejected, run_ingest_log
from evaluations.models import EvaluationRun, RunScore, SampleResult
from tests.evaluations.factories import ProjectSystemFactory, TaskFactory
from tests.evaluations.runner.logs import run_qa


@pytest.fixture(scope="session")
def qa_logs(tmp_path_factory):
    """One run of each shape, made once: 6 samples (.eval), the same as .json, 2 epochs."""
    root = tmp_path_factory.mktemp("qa-logs")
    return {
        "eval": run_qa(root / "eval", limit=6),
        "json": run_qa(root / "json", limit=6, log_format="json"),
        "epochs": run_qa(root / "epochs", limit=3, epochs=2),
    }


@pytest.fixture
def ingest(project, institute_a, target_system, qa_task):
    def ingest(path, **kwargs):
        kwargs.setdefault("project", project)
        kwargs.setdefault("institute", institute_a)
        kwargs.setdefault("source", EvaluationRun.Source.UPLOAD)
        return run_ingest_log(path=path, **kwargs)

    return ingest


def copy_log(path: Path, tmp_path: Path) -> Path:
    target = tmp_path / path.name
    shutil.copy(path, target)
    return target


def test_ingesting_an_eval_log_writes_the_run_scores_and_samples_inspect_recorded(
    qa_logs, ingest, target_system, qa_task
):
    log = read_eval_log(str(qa_logs["eval"]))
    result = ingest(qa_logs["eval"])
    run = result.run

    assert result.created
    assert (run.task, run.system, run.status) == (qa_task, target_system, "success")
    assert run.inspect_eval_id == log.eval.eval_id
    assert run.sample_count == len(log.samples) == 6
    primary = log.results.scores[0]
    assert run.primary_scorer == primary.name == "pattern"
    assert run.primary_metric == "accuracy"
    assert run.primary_value == pytest.approx(primary.metrics["accuracy"].value)
    assert run.primary_stderr == pytest.approx(primary.metrics["stderr"].value)
    usage = next(iter(log.stats.model_usage.values()))
    assert run.total_tokens == usage.total_tokens > 0
    assert run.started_at is not None
    assert run.completed_at is not None

    stored = {(s.scorer, s.metric): s for s in RunScore.objects.filter(run=run)}
    expected = {(s.name, m) for s in log.results.scores for m in s.metrics}
    assert set(stored) == expected  # every scorer and metric, the grouped ones included
    assert stored["pattern", "accuracy"].stderr == pytest.approx(run.primary_stderr)

    to_float = value_to_float()
    rows = {(r.sample_id, r.epoch): r for r in SampleResult.objects.filter(run=run)}
    assert len(rows) == 6
    for sample in log.samples:
        row = rows[str(sample.id), sample.epoch]
        assert row.score == to_float(sample.scores["pattern"].value)
        assert row.scores["pattern"]["value"] == sample.scores["pattern"].value
        assert row.output == sample.output.completion
        assert row.input == sample.input
        assert row.metadata == sample.metadata
        assert row.entry_name == f"samples/{sample.id}_epoch_{sample.epoch}.json"


def test_a_json_log_gives_the_same_results_as_its_eval_twin(qa_logs, ingest):
    eval_run = ingest(qa_logs["eval"]).run
    json_run = ingest(qa_logs["json"]).run
    assert json_run.primary_value == eval_run.primary_value
    assert json_run.sample_count == eval_run.sample_count
    assert sorted(json_run.samples.values_list("sample_id", "score")) == sorted(
        eval_run.samples.values_list("sample_id", "score")
    )


def test_every_epoch_of_every_sample_is_a_row(qa_logs, ingest):
    run = ingest(qa_logs["epochs"]).run
    assert (run.epochs, run.sample_count) == (2, 3)
    assert sorted(run.samples.values_list("epoch", flat=True)) == [1, 1, 1, 2, 2, 2]


def test_the_same_log_twice_leaves_one_run(qa_logs, ingest):
    first = ingest(qa_logs["eval"])
    second = ingest(qa_logs["eval"])
    assert second.run.pk == first.run.pk
    assert not second.created
    assert EvaluationRun.objects.count() == 1
    assert SampleResult.objects.count() == 6


def test_a_log_already_in_another_project_is_refused(qa_logs, ingest, institute_a):
    ingest(qa_logs["eval"])
    other = ProjectSystemFactory(system=EvaluationRun.objects.get().system).project
    other.participations.create(institute=institute_a)
    with pytest.raises(LogRejected, match="already imported into another project"):
        ingest(qa_logs["eval"], project=other)


def test_a_truncated_log_raises_a_readable_error_and_leaves_nothing(qa_logs, ingest, tmp_path):
    data = qa_logs["eval"].read_bytes()
    broken = tmp_path / "broken.eval"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(LogReadError, match="damaged or truncated"):
        ingest(broken)
    assert not EvaluationRun.objects.exists()


def test_a_truncated_json_log_leaves_nothing(qa_logs, ingest, tmp_path):
    data = qa_logs["json"].read_bytes()
    broken = tmp_path / "broken.json"
    broken.write_bytes(data[: int(len(data) * 0.8)])
    with pytest.raises(LogReadError, match="damaged or truncated"):
        ingest(broken)
    assert not EvaluationRun.objects.exists()


def test_a_corrupt_sample_rolls_back_everything_already_written(qa_logs, ingest, tmp_path):
    """The header is fine; the last sample member is garbage: the run and rows written before it
    are rolled back with it."""
    broken = tmp_path / "bad-sample.eval"
    with zipfile.ZipFile(qa_logs["eval"]) as src, zipfile.ZipFile(broken, "w") as dst:
        names = src.namelist()
        last_sample = [n for n in names if n.startswith("samples/")][-1]
        for name in names:
            data = b'{"id": 1, "epoch": "x"}' if name == last_sample else src.read(name)
            dst.writestr(name, data)
    with pytest.raises(LogReadError, match="is invalid"):
        ingest(broken)
    assert not EvaluationRun.objects.exists()
    assert not SampleResult.objects.exists()
    assert not RunScore.objects.exists()


def _rewritten(source: Path, target: Path, edit) -> Path:
    """A copy of the archive with `edit(name, data)` deciding what each member becomes: a list
    of (name, data) pairs written in order."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            for new_name, data in edit(name, src.read(name)):
                dst.writestr(new_name, data)
    return target


def test_a_re_logged_sample_counts_once_with_its_last_record(qa_logs, ingest, tmp_path):
    """Inspect appends a second member under the same name when a sample is logged again (a
    requeued sample superseding its first record); its reader takes the last, and so does
    Concord."""
    import json

    first = next(n for n in zipfile.ZipFile(qa_logs["eval"]).namelist() if n.startswith("samples/"))

    def relog(name, data):
        if name != first:
            return [(name, data)]
        record = json.loads(data)
        earlier = {**record, "metadata": {**(record.get("metadata") or {}), "copy": "earlier"}}
        return [(name, json.dumps(earlier).encode()), (name, data)]

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        path = _rewritten(qa_logs["eval"], tmp_path / "relogged.eval", relog)
    run = ingest(path).run
    assert run.sample_count == 6
    rows = SampleResult.objects.filter(run=run)
    assert rows.count() == 6
    assert not rows.filter(metadata__copy="earlier").exists()


def test_one_sample_under_two_names_is_refused_and_nothing_is_written(qa_logs, ingest, tmp_path):
    first = next(n for n in zipfile.ZipFile(qa_logs["eval"]).namelist() if n.startswith("samples/"))

    def twice(name, data):
        return (
            [(name, data), (name.replace(".json", "-copy.json"), data)]
            if name == first
            else [(name, data)]
        )

    path = _rewritten(qa_logs["eval"], tmp_path / "twice.eval", twice)
    with pytest.raises(LogReadError, match=r"holds sample '.+' \(epoch 1\) twice"):
        ingest(path)
    assert not EvaluationRun.objects.exists()
    assert not SampleResult.objects.exists()
    assert not RunScore.objects.exists()


def test_a_file_that_is_not_a_log_is_refused(ingest, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(LogReadError, match=r"expected a \.eval or \.json"):
        ingest(text)


def test_an_incomplete_log_is_refused(qa_logs, ingest, tmp_path):
    log = read_eval_log(str(qa_logs["json"]))
    log.status = "started"
    path = tmp_path / "started.json"
    write_eval_log(log, str(path))
    with pytest.raises(LogRejected, match="incomplete"):
        ingest(path)
    assert not EvaluationRun.objects.exists()


def test_a_cancelled_log_is_ingested_with_its_status(qa_logs, ingest, tmp_path):
    log = read_eval_log(str(qa_logs["json"]))
    log.status = "cancelled"
    log.eval.eval_id = "cancelled-copy"
    path = tmp_path / "cancelled.json"
    write_eval_log(log, str(path))
    assert ingest(path).run.status == EvaluationRun.Status.CANCELLED


def test_an_unknown_task_is_named_and_nothing_is_created(qa_logs, ingest, qa_task):
    qa_task.inspect_ref = "somewhere:else"
    qa_task.save()
    with pytest.raises(ValidationError, match="concord_knowledge_qa"):
        ingest(qa_logs["eval"])
    assert not EvaluationRun.objects.exists()


def test_a_job_s_own_task_is_used_even_if_names_differ(qa_logs, ingest):
    """Concord ran the job's task itself: the log cannot contradict it."""
    task = TaskFactory(inspect_ref="custom:other")
    result = ingest(qa_logs["eval"], task=task, source=EvaluationRun.Source.JOB)
    assert (result.run.task, result.run.override_task) == (task, False)


def test_an_imported_task_that_contradicts_the_log_is_refused(qa_logs, ingest):
    task = TaskFactory(slug="qa-other", inspect_ref="custom:other")
    with pytest.raises(ValidationError, match="you chose task 'qa-other'"):
        ingest(qa_logs["eval"], task=task)
    assert not EvaluationRun.objects.exists()


def test_a_model_with_no_system_in_the_project_is_named(qa_logs, ingest, target_system):
    target_system.inspect_model = "openai-api/lab/frontier"
    target_system.save()
    with pytest.raises(ValidationError, match="mockllm/model"):
        ingest(qa_logs["eval"])


def test_an_institute_outside_the_project_is_refused(qa_logs, ingest, institute_c):
    with pytest.raises(ValidationError, match="does not participate"):
        ingest(qa_logs["eval"], institute=institute_c)


def test_an_uploader_without_the_evaluator_role_is_refused(qa_logs, ingest, vera, bob):
    with pytest.raises(PermissionDenied):
        ingest(qa_logs["eval"], uploaded_by=vera)
    assert ingest(qa_logs["eval"], uploaded_by=bob).run.uploaded_by == bob
