"""Score statistics precomputed at ingestion (`EvaluationRun.score_moments`): what is stored, that
pages read it instead of aggregating the samples, and that it gives the same figures."""

import dataclasses

import pytest
from django.db import connection

from evaluations.ingestion import run_ingest_log
from evaluations.models import EvaluationRun, EvaluationTask, Participation
from evaluations.results import scores
from evaluations.services.tasks import task_builtin_upsert
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    RunFactory,
    SampleResultFactory,
)
from tests.evaluations.runner.logs import run_qa


@pytest.fixture(scope="session")
def qa_log_epochs(tmp_path_factory):
    return run_qa(tmp_path_factory.mktemp("score-moments"), limit=5, epochs=2)


@pytest.fixture
def project(institute_a):
    project = ProjectFactory()
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    return project


@pytest.fixture
def run(qa_log_epochs, project, institute_a):
    """The Inspect log (5 samples x 2 epochs, mock model) ingested into the project."""
    system = AISystemFactory(inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    task_builtin_upsert()  # the data migration's task, gone after a transactional test's flush
    assert EvaluationTask.objects.filter(slug="concord-knowledge-qa").exists()
    return run_ingest_log(
        path=qa_log_epochs, project=project, institute=institute_a, source="upload"
    ).run


def same(a, b) -> bool:
    """Two MeanEstimates (or dicts of them) equal up to floating-point rounding."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    left, right = dataclasses.asdict(a), dataclasses.asdict(b)
    return left.keys() == right.keys() and all(
        left[k] == pytest.approx(right[k]) if isinstance(left[k], float) else left[k] == right[k]
        for k in left
    )


def aggregated(run):
    """What the database computes from the sample rows (the path for runs without moments)."""
    return (
        scores.run_score_moments([run.pk]).get(run.pk),
        scores.scorer_moments(run, ["pattern"]),
    )


def test_ingestion_stores_the_moments_of_the_score_and_of_each_mean_like_scorer(run):
    run = EvaluationRun.objects.get(pk=run.pk)
    primary, scorers = aggregated(run)
    stored = dict(run.score_moments)
    sliced = stored.pop("slices")
    assert stored == {
        "score": dataclasses.asdict(primary),
        "scorers": {"pattern": dataclasses.asdict(scorers["pattern"])},
        # The log's metric per category is computed on that category's samples (all five here).
        "subgroups": {"science": 5},
    }
    # The samples' metadata, sliced (evaluations.results.slices): five samples, one topic.
    assert sliced["samples"] == 5
    assert sliced["keys"]["topic"]["values"] == {"science": 5}
    assert sliced["keys"]["topic"]["moments"] == [["science", dataclasses.asdict(primary)]]
    assert set(run.scores.values_list("metric", flat=True)) >= {"science"}
    assert run.score_moments["score"]["n"] == 10  # 5 samples x 2 epochs
    assert run.score_moments["score"]["clusters"] == 5


def test_stored_moments_give_the_figures_the_samples_give(run):
    run = EvaluationRun.objects.get(pk=run.pk)
    stored = scores.run_score_summaries([run])[run.pk]
    stored_scorers = scores.scorer_summaries(run, ["pattern"])
    EvaluationRun.objects.filter(pk=run.pk).update(score_moments=None)
    fresh = EvaluationRun.objects.get(pk=run.pk)
    assert same(scores.run_score_summaries([fresh.pk])[run.pk], stored)
    assert same(scores.scorer_summaries(fresh, ["pattern"]), stored_scorers)
    assert stored.n == 10
    assert stored.clusters == 5


def test_pages_read_stored_moments_without_touching_the_samples(run, django_assert_num_queries):
    run = EvaluationRun.objects.get(pk=run.pk)
    with django_assert_num_queries(0):
        assert scores.run_score_summaries([run])[run.pk].n == 10
        assert scores.scorer_summaries(run, ["pattern"])["pattern"].n == 10
    with django_assert_num_queries(1):  # by id: one query on the runs, none on the samples
        assert scores.run_score_summaries([run.pk])[run.pk].n == 10


def test_a_run_without_stored_moments_is_aggregated_from_its_samples(project, institute_a):
    run = RunFactory(project=project, institute=institute_a)
    for i, score in enumerate([1.0, 0.0, 1.0, 1.0]):
        SampleResultFactory(run=run, sample_id=f"s{i}", score=score)
    summary = scores.run_score_summaries([run])[run.pk]
    assert (summary.n, summary.mean) == (4, 0.75)
    assert same(scores.run_score_summaries([run.pk])[run.pk], summary)


def test_a_run_whose_samples_have_no_score_stores_none(project, institute_a):
    run = RunFactory(project=project, institute=institute_a)
    SampleResultFactory(run=run, sample_id="s0", score=None)
    run.score_moments = scores.moments_for_storage(run, ["match"])
    assert run.score_moments == {
        "score": None,
        "scorers": {"match": None},
        "subgroups": {},
    }
    assert scores.run_score_summaries([run]) == {}
    assert scores.scorer_summaries(run, ["match"]) == {}


def test_the_sample_table_is_vacuumed_soon_after_large_inserts(db):
    """Index-only counts of a fresh run's samples need its pages marked all-visible."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'evaluations_sampleresult'")
        (options,) = cursor.fetchone()
    assert "autovacuum_vacuum_insert_threshold=10000" in options
    assert "autovacuum_vacuum_insert_scale_factor=0.005" in options
