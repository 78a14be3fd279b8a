"""lm-evaluation-harness results become runs in the same tables, through the same API and the
same ingestion service (`log_format="lm-eval"`), every figure the one in the results file."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from evaluations.models import EvaluationRun, RunScore
from evaluations.results.transcripts import read_log_sample
from tests.api_clients import bearer, error_of
from tests.evaluations.factories import AISystemFactory, ProjectSystemFactory, TaskFactory
from tests.evaluations.ingestion import lm_eval_files as lm
from tests.evaluations.ingestion.helpers import files_under, post_log, rows


@pytest.fixture
def hf_system(project):
    system = AISystemFactory(developer="EleutherAI", name="Pythia", inspect_model=lm.INSPECT_MODEL)
    ProjectSystemFactory(project=project, system=system)
    return system


@pytest.fixture
def arc_task(db):
    return TaskFactory(slug="arc-easy", name="ARC easy", inspect_ref="lm_eval:arc_easy")


@pytest.fixture
def arc(tmp_path):
    return lm.arc_easy(tmp_path / "out")


def scores_of(run) -> dict[tuple[str, str], RunScore]:
    return {(s.scorer, s.metric): s for s in RunScore.objects.filter(run=run)}


def test_a_zipped_output_folder_becomes_a_run_with_its_scores_and_samples(
    arc, hf_system, arc_task, bob, tmp_path, log_dir
):
    response = post_log(bearer(bob), arc.zip(tmp_path / "arc.zip"))
    assert response.status_code == 201, response.content[:500]
    run = EvaluationRun.objects.get(pk=response.json()["id"])
    block = arc.data["results"]["arc_easy"]
    digest = hashlib.sha256(arc.results.read_bytes()).hexdigest()
    assert (run.task, run.system, run.log_format, run.status) == (
        arc_task,
        hf_system,
        "lm-eval",
        "success",
    )
    assert run.inspect_eval_id == f"lm-eval-{digest[:40]}"
    assert (run.inspect_task, run.inspect_model) == ("arc_easy", lm.INSPECT_MODEL)
    assert run.completed_at == datetime.fromtimestamp(arc.data["date"], tz=UTC)
    # The headline: the task's first metric, with lm-eval's standard error.
    assert (run.primary_scorer, run.primary_metric) == ("acc", "mean")
    assert run.primary_value == block["acc,none"] == 0.75
    assert run.primary_stderr == pytest.approx(block["acc_stderr,none"])
    scores = scores_of(run)
    assert set(scores) == {
        ("acc", "mean"),
        ("acc", "stderr"),
        ("acc_norm", "mean"),
        ("acc_norm", "stderr"),
    }
    assert scores["acc_norm", "mean"].value == pytest.approx(block["acc_norm,none"])
    assert scores["acc_norm", "mean"].stderr == pytest.approx(block["acc_norm_stderr,none"])
    assert scores["acc", "mean"].scored_samples == 4
    # Every sample line is a sample, scored as lm-eval scored it.
    assert run.sample_count == 4
    lines = {line["doc_id"]: line for line in arc.tasks[0].lines}
    for row in run.samples.all():
        line = lines[int(row.sample_id)]
        assert row.score == line["acc"]
        assert row.scores["acc_norm"]["value"] == line["acc_norm"]
        assert row.input == line["arguments"]["gen_args_0"]["arg_0"]
        assert row.target == str(line["target"])
        picked = max(range(4), key=lambda i: float(line["filtered_resps"][i][0]))
        assert row.output == line["arguments"][f"gen_args_{picked}"]["arg_1"].strip()
        assert row.metadata["doc"] == line["doc"]
        assert row.metadata["doc_hash"] == line["doc_hash"]
    assert sum(run.samples.values_list("score", flat=True)) / 4 == run.primary_value
    # The archive is kept for download.
    assert (log_dir / run.log_file).read_bytes() == (tmp_path / "arc.zip").read_bytes()
    # And the sample page can read a sample back from it.
    sample = read_log_sample(run, run.samples.get(sample_id="1"))
    assert sample.scores["acc"].value == lines[1]["acc"]


def test_the_same_results_imported_again_answer_200(arc, hf_system, arc_task, bob, tmp_path):
    archive = arc.zip(tmp_path / "arc.zip")
    first = post_log(bearer(bob), archive)
    again = post_log(bearer(bob), archive)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    # The identity is the results file: alone, it is the same evaluation.
    alone = post_log(bearer(bob), arc.results)
    assert (alone.status_code, alone.json()["id"]) == (200, first.json()["id"])


def test_the_results_file_alone_gives_scores_without_samples(arc, hf_system, arc_task, bob):
    response = post_log(bearer(bob), arc.results)
    assert response.status_code == 201, response.content[:300]
    run = EvaluationRun.objects.get()
    assert (run.log_format, run.sample_count, run.primary_value) == ("lm-eval", 0, 0.75)
    assert run.log_file.endswith(".json")


def test_two_filters_make_two_scorers_and_each_sample_carries_both(hf_system, bob, tmp_path):
    TaskFactory(slug="gsm8k", inspect_ref="lm_eval:gsm8k")
    task = lm.generation_task("gsm8k", strict=[1.0, 0.0, 0.0], flexible=[1.0, 1.0, 0.0])
    output = lm.write_output(tmp_path / "out", [task])
    response = post_log(bearer(bob), output.zip(tmp_path / "gsm8k.zip"))
    assert response.status_code == 201, response.content[:300]
    run = EvaluationRun.objects.get()
    assert (run.primary_scorer, run.primary_value) == (
        "exact_match,strict-match",
        pytest.approx(1 / 3),
    )
    flexible = scores_of(run)["exact_match,flexible-extract", "mean"]
    assert flexible.value == pytest.approx(2 / 3)
    assert run.sample_count == 3  # one sample per doc, not per doc and filter
    by_id = {row.sample_id: row for row in run.samples.all()}
    assert by_id["1"].score == 0.0
    assert by_id["1"].scores["exact_match,flexible-extract"]["value"] == 1.0
    assert by_id["0"].output == "1"


def test_a_group_is_one_run_with_its_subtasks_scores_and_samples(hf_system, bob, tmp_path):
    TaskFactory(slug="mini-mmlu", inspect_ref="lm_eval:mini_mmlu")
    algebra = lm.mc_task("mini_mmlu_algebra", [0, 1], [0, 1], group="mini_mmlu")
    law = lm.mc_task("mini_mmlu_law", [2, 3, 0], [2, 0, 1], group="mini_mmlu")
    output = lm.write_output(
        tmp_path / "out", [algebra, law], groups={"mini_mmlu": [algebra.name, law.name]}
    )
    response = post_log(bearer(bob), output.zip(tmp_path / "mmlu.zip"))
    assert response.status_code == 201, response.content[:300]
    run = EvaluationRun.objects.get()
    assert run.inspect_task == "mini_mmlu"
    assert run.primary_value == pytest.approx(output.data["groups"]["mini_mmlu"]["acc,none"])
    assert run.primary_value == pytest.approx(3 / 5)
    scores = scores_of(run)
    assert scores["mini_mmlu_law/acc", "mean"].value == pytest.approx(1 / 3)
    assert scores["mini_mmlu_law/acc", "mean"].scored_samples == 3
    assert scores["acc", "mean"].scored_samples == 5
    assert sorted(run.samples.values_list("sample_id", flat=True)) == [
        "mini_mmlu_algebra/0",
        "mini_mmlu_algebra/1",
        "mini_mmlu_law/0",
        "mini_mmlu_law/1",
        "mini_mmlu_law/2",
    ]
    assert sum(run.samples.values_list("score", flat=True)) / 5 == pytest.approx(run.primary_value)


def test_a_file_with_several_tasks_needs_the_task_to_be_named(hf_system, bob, tmp_path, log_dir):
    arc_task = TaskFactory(slug="arc-easy", inspect_ref="lm_eval:arc_easy")
    TaskFactory(slug="arc-challenge", inspect_ref="lm_eval:arc_challenge")
    output = lm.write_output(
        tmp_path / "out",
        [lm.mc_task("arc_easy", [0, 1], [0, 1]), lm.mc_task("arc_challenge", [0, 1], [1, 1])],
    )
    archive = output.zip(tmp_path / "two.zip")
    response = post_log(bearer(bob), archive)
    assert response.status_code == 400
    message = " ".join(error_of(response)["fields"]["task"])
    assert "several lm-eval tasks (arc_easy, arc_challenge)" in message
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == []
    response = post_log(bearer(bob), archive, task=arc_task.slug)
    assert response.status_code == 201, response.content[:300]
    run = EvaluationRun.objects.get()
    assert (run.inspect_task, run.primary_value, run.sample_count) == ("arc_easy", 1.0, 2)
    # The other task of the same file is another run, with an id of its own.
    other = post_log(bearer(bob), archive, task="arc-challenge")
    assert other.status_code == 201
    assert EvaluationRun.objects.count() == 2


def test_an_unknown_lm_eval_model_is_named(arc, arc_task, project, bob):
    response = post_log(bearer(bob), arc.results)
    assert response.status_code == 400
    assert lm.INSPECT_MODEL in " ".join(error_of(response)["fields"]["system"])


def test_import_log_reads_lm_eval_results_too(arc, hf_system, arc_task, tmp_path, capsys):
    call_command(
        "import_log", str(arc.zip(tmp_path / "arc.zip")), project="joint", institute="inst-a"
    )
    assert "Imported run" in capsys.readouterr().out
    assert EvaluationRun.objects.get().log_format == "lm-eval"


def test_results_files_that_are_not_lm_eval_are_refused(hf_system, arc_task, bob, tmp_path):
    path = tmp_path / "results_x.json"
    path.write_text(json.dumps({"results": {"arc_easy": {"acc,none": 0.5}}}))  # no config
    response = post_log(bearer(bob), path)
    assert response.status_code == 400
    assert "is not lm-evaluation-harness results" in error_of(response)["message"]
    assert rows() == (0, 0, 0)


def test_the_run_and_sample_pages_show_an_lm_eval_run(
    arc, hf_system, arc_task, bob, tmp_path, client
):
    run_id = post_log(bearer(bob), arc.zip(tmp_path / "arc.zip")).json()["id"]
    run = EvaluationRun.objects.get(pk=run_id)
    sample = run.samples.get(sample_id="2")
    client.force_login(bob)
    assert client.get(f"/runs/{run_id}/").status_code == 200
    page = client.get(f"/runs/{run_id}/samples/{sample.pk}/")
    assert page.status_code == 200
    assert sample.output in page.content.decode()
