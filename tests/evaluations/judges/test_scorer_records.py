"""Ingestion records what each scorer of a run is: a judge (a model grading the answers) with its
grader model, or a rule; read from real Inspect logs (a child `inspect eval` with mockllm)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from inspect_ai.log import read_eval_log

from evaluations.ingestion import judges, run_ingest_log
from evaluations.models import EvaluationRun, RunScorer
from tests.evaluations.judges.conftest import with_grader
from tests.evaluations.judges.judged_tasks import EXPLICIT_GRADER, NAMED_GRADER, ROLE_GRADER


def ingest(path, world):
    project, system, task = world
    institute = project.participations.order_by("pk").first().institute
    return run_ingest_log(
        path=path,
        project=project,
        institute=institute,
        source=EvaluationRun.Source.UPLOAD,
        task=task,
        system=system,
    ).run


def scorers_of(run) -> dict[str, tuple[bool, str]]:
    return {s.name: (s.judge, s.grader_model) for s in RunScorer.objects.filter(run=run)}


def test_each_scorer_is_recorded_as_a_judge_with_its_grader_or_as_a_rule(judged_log, judged_world):
    run = ingest(judged_log, judged_world)
    assert scorers_of(run) == {
        # model_graded_qa(model=...): the model passed
        "model_graded_qa": (True, EXPLICIT_GRADER),
        # match(): a rule
        "match": (False, ""),
        # a custom scorer whose scores name their grader in their metadata
        "named_judge": (True, NAMED_GRADER),
        # model_graded_fact() with the "grader" role bound by `--model-role`
        "model_graded_fact": (True, ROLE_GRADER),
    }
    # The names are the ones the samples' scores carry (H4's judges read them there).
    sample = run.samples.first()
    assert set(sample.scores) == set(scorers_of(run))


def test_the_demo_suites_judges_are_judges_with_their_grader_model(
    judged_log, judged_world, tmp_path
):
    demo = with_grader(
        judged_log, tmp_path / "demo.eval", "concord-demo/judge-strict", eval_id="demo-judge-1"
    )
    run = ingest(demo, judged_world)
    assert scorers_of(run)["model_graded_qa"] == (True, "concord-demo/judge-strict")


def test_a_panel_of_graders_and_a_serialised_model_are_named(judged_log, judged_world, tmp_path):
    panel = with_grader(
        judged_log,
        tmp_path / "panel.eval",
        ["concord-demo/judge-a", {"model": "concord-demo/judge-b", "config": {}}],
        eval_id="demo-panel-1",
    )
    run = ingest(panel, judged_world)
    assert scorers_of(run)["model_graded_qa"] == (
        True,
        "concord-demo/judge-a, concord-demo/judge-b",
    )


def test_a_model_graded_scorer_without_model_or_role_grades_with_the_evaluated_model(judged_log):
    log = read_eval_log(str(judged_log))
    log.eval.model_roles = None
    records = {r["name"]: r for r in judges.scorer_records(log)}
    # Inspect grades with the model under evaluation when no grader is bound.
    assert records["model_graded_fact"]["grader_model"] == "mockllm/model"
    assert records["match"]["judge"] is False


def test_lm_eval_results_are_recorded_as_rules(project, tmp_path):
    from tests.evaluations.factories import AISystemFactory, ProjectSystemFactory, TaskFactory
    from tests.evaluations.ingestion import lm_eval_files as lm

    system = AISystemFactory(developer="EleutherAI", name="Pythia", inspect_model=lm.INSPECT_MODEL)
    ProjectSystemFactory(project=project, system=system)
    TaskFactory(slug="arc-easy", name="ARC easy", inspect_ref="lm_eval:arc_easy")
    arc = lm.arc_easy(tmp_path / "out")
    run = run_ingest_log(
        path=arc.zip(tmp_path / "arc.zip"),
        project=project,
        institute=project.participations.order_by("pk").first().institute,
        source=EvaluationRun.Source.UPLOAD,
    ).run
    assert run.log_format == "lm-eval"
    recorded = scorers_of(run)
    assert recorded
    assert set(recorded.values()) == {(False, "")}


def test_scorers_are_written_in_the_imports_transaction(judged_log, judged_world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("scorers could not be read")

    monkeypatch.setattr(judges, "scorer_records", broken)
    with pytest.raises(RuntimeError):
        ingest(judged_log, judged_world)
    # All or nothing: no run, no sample, no scorer.
    assert not EvaluationRun.objects.exists()
    assert not RunScorer.objects.exists()


def test_record_scorers_backfills_runs_ingested_before(judged_log, judged_world):
    run = ingest(judged_log, judged_world)
    expected = scorers_of(run)
    RunScorer.objects.filter(run=run).delete()
    call_command("record_scorers", "--run", str(run.pk))
    assert scorers_of(run) == expected
    # Runs that have their rows are left alone; a run named that does not exist is an error.
    call_command("record_scorers")
    assert scorers_of(run) == expected
    with pytest.raises(CommandError, match="No run"):
        call_command("record_scorers", "--run", "999999")


def test_record_scorers_names_a_run_whose_log_is_gone(judged_world, db):
    project, system, task = judged_world
    run = EvaluationRun.objects.create(
        project=project,
        task=task,
        system=system,
        institute=project.participations.first().institute,
        inspect_eval_id="gone-1",
        log_file="nowhere/gone.eval",
    )
    with pytest.raises(CommandError) as raised:
        call_command("record_scorers")
    assert raised.value.returncode == 1
    assert not RunScorer.objects.filter(run=run).exists()


def test_a_word_that_is_not_a_model_makes_no_judge(judged_log):
    log = read_eval_log(str(judged_log))
    match_score = next(s for s in log.results.scores if s.scorer == "match")
    match_score.params = {"grader": "strict"}
    records = {r["name"]: r for r in judges.scorer_records(log)}
    assert (records["match"]["judge"], records["match"]["grader_model"]) == (False, "")


def test_a_graders_transcript_alone_makes_a_judge(judged_log):
    """A custom scorer that keeps the grader's transcript as Inspect's model-graded scorers do,
    with nothing else naming its model: a judge, graded by the model the reply names."""
    log = read_eval_log(str(judged_log))
    first = log.results.scores[0]
    first.name = first.scorer = "house_judge"
    first.params = {}
    log.eval.scorers[0].name = "house_judge"
    log.eval.scorers[0].options = {}
    for sample in log.samples:
        sample.scores["house_judge"] = sample.scores.pop("model_graded_qa")
    records = {r["name"]: r for r in judges.scorer_records(log)}
    assert records["house_judge"]["judge"] is True
    assert records["house_judge"]["grader_model"]  # as the grader's reply names it
