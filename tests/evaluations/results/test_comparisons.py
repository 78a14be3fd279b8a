"""evaluations.results.comparisons: runs compared sample by sample, replications, review statistics.

Figures are checked against hand computation and against evaluations.stats; query counts are
pinned and shown not to grow with the number of samples or runs.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluations import stats
from evaluations.models import EvaluationRun
from evaluations.results import comparisons, scores
from tests.evaluations.factories import (
    AISystemFactory,
    ProjectFactory,
    ReviewLabelFactory,
    RunFactory,
    SampleReviewFactory,
    TaskFactory,
    add_samples,
)
from tests.factories import InstituteFactory, UserFactory

TOL = 1e-9


def approx(x: float) -> object:
    return pytest.approx(x, abs=TOL, rel=0)


@pytest.fixture
def project(institute_a, institute_b):
    return ProjectFactory(slug="joint", title="Joint")


@pytest.fixture
def task(db):
    return TaskFactory(slug="arith", name="Arithmetic")


@pytest.fixture
def system(db):
    return AISystemFactory(name="Frontier")


@pytest.fixture
def make_run(project, task, system, institute_a):
    def make(scores=None, **fields):
        fields = {"project": project, "task": task, "system": system, "institute": institute_a} | (
            fields
        )
        run = RunFactory(**fields)
        if scores is not None:
            add_samples(run, scores)
        return run

    return make


# ---------------------------------------------------------------------------------------------
# compare_runs
# ---------------------------------------------------------------------------------------------


def test_compare_runs_hand_computed(make_run, institute_b):
    run_a = make_run([1, 1, 0, 1, 0])
    run_b = make_run([1, 0, 0, 0, 0], institute=institute_b)
    cmp = comparisons.compare_runs(run_a, run_b)
    # Pairs (1,1) (1,0) (0,0) (1,0) (0,0): 3 of 5 agree. p_e = .6·.2 + .4·.8 = .44,
    # κ = (.6 - .44) / (1 - .44) = 2/7. d = [0,1,0,1,0]: d̄ = .4, SE = sqrt(.3/5) = sqrt(.06).
    assert (cmp.paired, cmp.only_in_a, cmp.only_in_b, cmp.unscored) == (5, 0, 0, 0)
    assert (cmp.samples, cmp.max_epochs, cmp.binary) == (5, 1, True)
    assert cmp.agreement_rate == approx(0.6)
    assert cmp.kappa.kappa == approx(2 / 7)
    assert cmp.difference.difference == approx(0.4)
    assert cmp.difference.stderr == approx(math.sqrt(0.06))
    assert cmp.difference.p_value == approx(
        stats.paired_difference([1, 1, 0, 1, 0], [1, 0, 0, 0, 0]).p_value
    )
    assert cmp.significant is False
    assert cmp.disagreement_count == 2
    assert [(d.sample_id, d.score_a, d.score_b) for d in cmp.disagreements.items] == [
        ("2", 1.0, 0.0),
        ("4", 1.0, 0.0),
    ]
    first = cmp.disagreements.items[0]
    assert run_a.samples.get(pk=first.result_a_id).sample_id == "2"
    assert run_b.samples.get(pk=first.result_b_id).sample_id == "2"


def test_compare_runs_counts_unpaired_and_unscored_samples(make_run, institute_b):
    run_a = make_run({"1": 1.0, "2": 0.0, "3": None, "4": 1.0, "only-a": 1.0})
    run_b = make_run(
        {"1": 1.0, "2": 1.0, "3": 1.0, "4": None, "only-b": 0.0}, institute=institute_b
    )
    cmp = comparisons.compare_runs(run_a, run_b)
    assert (cmp.paired, cmp.only_in_a, cmp.only_in_b, cmp.unscored) == (2, 1, 1, 2)
    assert cmp.difference.difference == approx(-0.5)


def test_compare_runs_with_epochs_clusters_by_sample(make_run, institute_b):
    # Same data as the stats worked example: d = [1,1 | 0,-1], SE = 0.75 with df = 1.
    run_a = make_run({"s1": [1, 1], "s2": [1, 0]})
    run_b = make_run({"s1": [0, 0], "s2": [1, 1]}, institute=institute_b)
    cmp = comparisons.compare_runs(run_a, run_b)
    assert (cmp.paired, cmp.samples, cmp.max_epochs) == (4, 2, 2)
    assert cmp.difference.difference == approx(0.25)
    assert cmp.difference.stderr == approx(0.75)
    assert cmp.difference.df == 1
    expected = stats.paired_difference(
        [1, 1, 1, 0], [0, 0, 1, 1], clusters=["s1", "s1", "s2", "s2"]
    )
    assert cmp.difference.ci == (approx(expected.ci_low), approx(expected.ci_high))
    assert [(d.sample_id, d.epoch) for d in cmp.disagreements.items] == [
        ("s1", 1),
        ("s1", 2),
        ("s2", 2),
    ]


def test_compare_runs_with_partial_credit_has_no_kappa(make_run, institute_b):
    run_a = make_run([1.0, 0.5, 0.0])
    run_b = make_run([1.0, 0.5, 0.5], institute=institute_b)
    cmp = comparisons.compare_runs(run_a, run_b)
    assert cmp.binary is False
    assert cmp.kappa is None
    assert cmp.agreement_rate == approx(2 / 3)
    assert cmp.difference.difference == approx(-0.5 / 3)


def test_a_run_compared_with_itself_agrees_completely(make_run):
    run = make_run([1, 0, 1, 1])
    cmp = comparisons.compare_runs(run, run)
    assert cmp.agreement_rate == 1.0
    assert cmp.kappa.kappa == approx(1.0)
    assert (cmp.difference.difference, cmp.difference.stderr) == (0.0, 0.0)
    assert cmp.disagreement_count == 0


def test_compare_runs_without_shared_samples_has_no_figures(make_run, institute_b):
    run_a = make_run({"1": 1.0})
    run_b = make_run({"2": 1.0}, institute=institute_b)
    cmp = comparisons.compare_runs(run_a, run_b)
    assert (cmp.paired, cmp.only_in_a, cmp.only_in_b) == (0, 1, 1)
    assert (cmp.agreement_rate, cmp.kappa, cmp.difference, cmp.significant) == (
        None,
        None,
        None,
        False,
    )


def test_compare_runs_refuses_runs_of_different_tasks(make_run):
    run_a = make_run([1])
    run_b = make_run([1], task=TaskFactory(slug="cyber-ctf"))
    with pytest.raises(ValueError, match=r"task 'arith'.*task 'cyber-ctf'.*same task"):
        comparisons.compare_runs(run_a, run_b)


def test_disagreements_are_paged_in_natural_order(make_run, institute_b):
    # 12 samples; run b gets every one wrong: ids sort 1, 2, ..., 10, 11, 12 (not 1, 10, 11, 2).
    run_a = make_run([1] * 12)
    run_b = make_run([0] * 12, institute=institute_b)
    first = comparisons.compare_runs(run_a, run_b, page=1, page_size=5).disagreements
    third = comparisons.compare_runs(run_a, run_b, page=3, page_size=5).disagreements
    beyond = comparisons.compare_runs(run_a, run_b, page=9, page_size=5).disagreements
    assert [d.sample_id for d in first.items] == ["1", "2", "3", "4", "5"]
    assert [d.sample_id for d in third.items] == ["11", "12"]
    assert (first.total, first.num_pages, first.has_next, first.has_previous) == (
        12,
        3,
        True,
        False,
    )
    assert (third.has_next, third.has_previous) == (False, True)
    assert beyond.items == ()
    assert comparisons.compare_runs(run_a, run_b, page_size=0).disagreements.items == ()
    with pytest.raises(ValueError, match="page counts from 1"):
        comparisons.compare_runs(run_a, run_b, page=0)


def test_compare_score_rows_rejects_duplicate_keys():
    with pytest.raises(ValueError, match="twice"):
        comparisons.compare_score_rows([("1", 1, 1.0, 1), ("1", 1, 0.0, 2)], [])


@pytest.mark.parametrize("n", [10, 400])
def test_compare_runs_is_one_query_whatever_the_number_of_samples(
    make_run, institute_b, n, django_assert_max_num_queries
):
    run_a = make_run([i % 2 for i in range(n)])
    run_b = make_run([i % 3 == 0 for i in range(n)], institute=institute_b)
    with django_assert_max_num_queries(1):
        cmp = comparisons.compare_runs(run_a, run_b)
    assert cmp.paired == n


def test_compare_runs_reads_no_text_columns(make_run, institute_b):
    run_a = make_run([1, 0])
    run_b = make_run([1, 1], institute=institute_b)
    with CaptureQueriesContext(connection) as ctx:
        comparisons.compare_runs(run_a, run_b)
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    for column in ('"input"', '"output"', '"target"', '"metadata"', '"scores"', '"error"'):
        assert column not in sql


def _insert_many(run: EvaluationRun, n: int, expression: str) -> None:
    # generate_series writes n rows in one statement (the suite runs on PostgreSQL).
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO evaluations_sampleresult (run_id, sample_id, epoch, score, scores, input,"
            " target, output, metadata, error, total_tokens, entry_name) SELECT %s, i::text, 1, "
            + expression
            + ", '{}'::jsonb, 'long input', '', 'long output', '{}'::jsonb, '', 0, '' "
            "FROM generate_series(1, %s) AS i",
            [run.pk, n],
        )


def test_compare_runs_handles_a_hundred_thousand_samples(
    make_run, institute_b, django_assert_max_num_queries
):
    n = 100_000
    run_a = make_run()
    run_b = make_run(institute=institute_b)
    _insert_many(run_a, n, "mod(i, 2)::float")  # 1 on odd i
    _insert_many(run_b, n, "(CASE WHEN mod(i, 4) = 1 THEN 0 ELSE mod(i, 2) END)::float")
    started = time.monotonic()
    with django_assert_max_num_queries(1):
        cmp = comparisons.compare_runs(run_a, run_b, page_size=10)
    elapsed = time.monotonic() - started
    # a - b is 1 on i ≡ 1 (mod 4), else 0: d̄ = 1/4, s² = n/(n-1) · 3/16, SE = sqrt(s²/n).
    assert cmp.paired == n
    assert cmp.disagreement_count == n // 4
    assert cmp.difference.difference == approx(0.25)
    assert cmp.difference.stderr == approx(math.sqrt(3 / 16 / (n - 1)))
    assert cmp.difference.significant is True
    assert [d.sample_id for d in cmp.disagreements.items][:3] == ["1", "5", "9"]
    assert elapsed < 20, f"comparing 10^5 samples took {elapsed:.1f}s"


# ---------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------


def test_participants_compare_runs_and_outsiders_get_404(make_run, institute_b, alice, charlie):
    run_a = make_run([1, 0])
    run_b = make_run([1, 1], institute=institute_b)
    got_a, got_b, cmp = comparisons.compare_runs_for_user(
        alice, run_a_id=run_a.pk, run_b_id=run_b.pk
    )
    assert (got_a, got_b, cmp.paired) == (run_a, run_b, 2)
    with pytest.raises(Http404):
        comparisons.compare_runs_for_user(charlie, run_a_id=run_a.pk, run_b_id=run_b.pk)
    with pytest.raises(Http404):
        comparisons.compare_runs_for_user(alice, run_a_id=run_a.pk, run_b_id=10**9)


def test_embargoed_results_stay_with_participants(make_run, project, institute_b, alice, pm):
    run_a = make_run([1, 0])
    run_b = make_run([1, 1], institute=institute_b)
    project.embargo_until = timezone.now() + timedelta(days=30)
    project.save(update_fields=["embargo_until"])
    comparisons.compare_runs_for_user(alice, run_a_id=run_a.pk, run_b_id=run_b.pk)
    with pytest.raises(Http404):
        comparisons.compare_runs_for_user(pm, run_a_id=run_a.pk, run_b_id=run_b.pk)
    with pytest.raises(Http404):
        comparisons.replications_for_project(project, pm)
    project.embargo_until = timezone.now() - timedelta(days=1)
    project.save(update_fields=["embargo_until"])
    comparisons.compare_runs_for_user(pm, run_a_id=run_a.pk, run_b_id=run_b.pk)
    assert len(comparisons.replications_for_project(project, pm)) == 1


# ---------------------------------------------------------------------------------------------
# Replications
# ---------------------------------------------------------------------------------------------


def test_replications_pair_the_latest_successful_run_of_each_institute(
    project, task, system, institute_a, institute_b, institute_c, alice, make_run
):
    now = timezone.now()
    # Task x system run by A (twice: the later one counts) and by B, and a failed run by C.
    make_run([0, 0, 0, 0], completed_at=now - timedelta(days=2))
    latest_a = make_run([1, 1, 1, 1], completed_at=now - timedelta(days=1))
    run_b = make_run([1, 1, 1, 0], institute=institute_b, completed_at=now)
    make_run([0, 0, 0, 0], institute=institute_c, status=EvaluationRun.Status.ERROR)
    # Another task run by one institute only: not a replication.
    make_run([1], task=TaskFactory(slug="solo", name="Solo"))

    [rep] = comparisons.replications_for_project(project, alice)
    assert (rep.task, rep.system) == (task, system)
    assert (rep.run_a, rep.run_b) == (latest_a, run_b)
    assert rep.run_a.institute.code < rep.run_b.institute.code
    assert rep.comparison.paired == 4
    assert rep.comparison.difference.difference == approx(0.25)
    assert rep.comparison.disagreements.items == ()
    assert rep.comparison.disagreement_count == 1
    assert rep.significant is False


def test_replications_compare_every_pair_and_flag_significant_differences(
    project, institute_a, institute_b, institute_c, alice, make_run
):
    good = [1] * 30
    make_run(good)
    make_run(good, institute=institute_b)
    make_run([0] * 30, institute=institute_c)
    reps = comparisons.replications_for_project(project, alice)
    pairs = [(r.run_a.institute.code, r.run_b.institute.code, r.significant) for r in reps]
    assert pairs == [
        ("inst-a", "inst-b", False),
        ("inst-a", "inst-c", True),
        ("inst-b", "inst-c", True),
    ]
    assert reps[1].comparison.difference.difference == 1.0


def test_replications_outsider_gets_404(project, charlie):
    with pytest.raises(Http404):
        comparisons.replications_for_project(project, charlie)


@pytest.mark.parametrize("groups", [1, 5])
def test_replications_queries_do_not_grow_with_runs(
    project, institute_a, institute_b, alice, groups, django_assert_max_num_queries
):
    for g in range(groups):
        task = TaskFactory(slug=f"t{g}", name=f"T{g}")
        system = AISystemFactory()
        for institute in (institute_a, institute_b):
            for _ in range(2):  # an older run too, which must not be compared
                run = RunFactory(project=project, task=task, system=system, institute=institute)
                add_samples(run, [1, 0, 1, g % 2])
    alice = UserFactory(username="alice")  # fresh object: nothing cached by earlier calls
    # Access (memberships, participations, exchanges), visibility, runs, samples, scorers.
    with django_assert_max_num_queries(7):
        reps = comparisons.replications_for_project(project, alice)
        names = [(r.task.name, str(r.system), r.run_a.institute.code) for r in reps]
    assert len(names) == groups


# ---------------------------------------------------------------------------------------------
# Matrix cells
# ---------------------------------------------------------------------------------------------


def test_run_score_summaries_match_stats(make_run, institute_b, django_assert_max_num_queries):
    binary = make_run([1, 1, 0, 1, 0, 1, 1])
    epochs = make_run({"a": [1, 0, 1], "b": [0, 0, 0], "c": [1, 1, 0.5]}, institute=institute_b)
    partial = make_run({"1": 0.25, "2": 0.5, "3": None, "4": 1.0})
    empty = make_run({"1": None})
    # By id: one query for the moments stored at ingestion (none here: factory runs), one to
    # aggregate the samples of the runs without them.
    with django_assert_max_num_queries(2):
        got = scores.run_score_summaries([binary.pk, epochs.pk, partial.pk, empty.pk])
    assert empty.pk not in got
    want = {
        binary.pk: stats.score_summary([1, 1, 0, 1, 0, 1, 1]),
        epochs.pk: stats.score_summary([1, 0, 1, 0, 0, 0, 1, 1, 0.5], clusters=list("aaabbbccc")),
        partial.pk: stats.score_summary([0.25, 0.5, 1.0]),
    }
    assert got[binary.pk].method == "wilson"
    assert got[binary.pk].ci == (approx(want[binary.pk].ci_low), approx(want[binary.pk].ci_high))
    lo, hi = stats.wilson_interval(5, 7)
    assert got[binary.pk].ci == (approx(lo), approx(hi))
    for run_id, expected in want.items():
        summary = got[run_id]
        assert (summary.n, summary.clusters, summary.method) == (
            expected.n,
            expected.clusters,
            expected.method,
        )
        assert summary.mean == approx(expected.mean)
        assert summary.stderr == approx(expected.stderr)
    # Three samples with equal epochs: SE of the per-sample means [2/3, 0, 5/6].
    assert got[epochs.pk].stderr == approx(stats.standard_error([2 / 3, 0, 5 / 6]))
    assert scores.run_score_summaries([]) == {}


# ---------------------------------------------------------------------------------------------
# Reviews
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def labels(db):
    # Slugs of their own: the default labels seeded by a migration must not change the order.
    return {
        slug: ReviewLabelFactory(slug=f"t-{slug}", name=slug.title(), order=i)
        for i, slug in enumerate(["correct", "refusal", "tool-fault"])
    }


def test_review_stats_two_reviewers(make_run, labels, django_assert_max_num_queries):
    run = make_run()
    rows = add_samples(run, [1, 0, 1, 1, 0, 1, 0, 1, 1, 1])
    ann, ben = UserFactory(username="ann"), UserFactory(username="ben")
    # ann and ben both read samples 1-4; ann alone reads 5. Labels (ann, ben):
    # 1 correct/correct, 2 refusal/refusal, 3 refusal/correct, 4 correct/correct.
    plan = [
        (0, "correct", "correct", 1.0, 1.0),
        (1, "refusal", "refusal", 0.0, 0.0),
        (2, "refusal", "correct", 0.0, 1.0),
        (3, "correct", "correct", 1.0, 1.0),
    ]
    for index, label_ann, label_ben, score_ann, score_ben in plan:
        SampleReviewFactory(
            sample=rows[index], reviewer=ann, label=labels[label_ann], manual_score=score_ann
        )
        SampleReviewFactory(
            sample=rows[index], reviewer=ben, label=labels[label_ben], manual_score=score_ben
        )
    SampleReviewFactory(sample=rows[4], reviewer=ann, label=labels["tool-fault"], manual_score=None)

    with django_assert_max_num_queries(2):
        got = comparisons.review_stats(run)
    assert (got.samples, got.reviewed, got.reviews, got.reviewers) == (10, 5, 9, 2)
    assert got.coverage == approx(0.5)
    assert [(lc.slug, lc.count) for lc in got.labels] == [
        ("t-correct", 5),
        ("t-refusal", 3),
        ("t-tool-fault", 1),
    ]
    # Labels on samples 1-4: p_o = 3/4; ann correct 2 / refusal 2, ben correct 3 / refusal 1:
    # p_e = (2·3 + 2·1)/16 = 0.5, κ = 0.5.
    assert got.inter_reviewer.method == "cohen"
    assert got.inter_reviewer.kappa == approx(0.5)
    assert got.inter_reviewer.observed == approx(0.75)
    # Manual vs automatic, one pair per review with a manual score (8 pairs):
    # automatic scores of samples 1-4 are 1, 0, 1, 1. Pairs (manual, auto):
    # (1,1) (1,1) (0,0) (0,0) (0,1) (1,1) (1,1) (1,1): 7 of 8 agree, mean diff = -1/8.
    vs = got.reviewer_vs_scorer
    assert (vs.n, vs.binary) == (8, True)
    assert vs.agreement_rate == approx(7 / 8)
    assert vs.difference.difference == approx(-1 / 8)
    assert vs.difference.clusters == 4
    manual = [1, 1, 0, 0, 0, 1, 1, 1]
    auto = [1, 1, 0, 0, 1, 1, 1, 1]
    assert vs.kappa.kappa == approx(stats.cohen_kappa(manual, auto).kappa)
    # By hand: p_o = 7/8; manual 1s 5/8, auto 1s 6/8: p_e = 30/64 + 6/64 = 36/64;
    # κ = (56/64 - 36/64) / (28/64) = 20/28 = 5/7.
    assert vs.kappa.kappa == approx(5 / 7)


def test_review_stats_three_reviewers_use_fleiss(make_run, labels):
    run = make_run()
    rows = add_samples(run, [1, 1, 1])
    people = [UserFactory(username=name) for name in ("ann", "ben", "cat")]
    votes = [("correct",) * 3, ("refusal", "refusal", "correct"), ("refusal",) * 3]
    for row, row_votes in zip(rows, votes, strict=True):
        for person, vote in zip(people, row_votes, strict=True):
            SampleReviewFactory(sample=row, reviewer=person, label=labels[vote])
    got = comparisons.review_stats(run)
    # Counts (correct, refusal): [3,0], [1,2], [0,3]: κ = 0.55 (see test_stats).
    assert got.inter_reviewer.method == "fleiss"
    assert got.inter_reviewer.kappa == approx(0.55)
    assert got.coverage == 1.0
    assert got.reviewer_vs_scorer is None


def test_review_stats_of_an_unreviewed_run(make_run):
    run = make_run([1, 0])
    got = comparisons.review_stats(run)
    assert (got.samples, got.reviewed, got.coverage, got.reviews) == (2, 0, 0.0, 0)
    assert got.inter_reviewer.method == "none"
    assert got.reviewer_vs_scorer is None
    assert comparisons.review_stats(make_run()).coverage is None


def test_review_stats_count_a_participant_review(make_run, labels, alice):
    run = make_run([1])
    SampleReviewFactory(sample=run.samples.get(), reviewer=alice, label=labels["correct"])
    got = comparisons.review_stats(run)
    assert (got.reviewed, got.reviews, got.reviewers) == (1, 1, 1)


def test_factories_make_a_runnable_setup(db):
    institute = InstituteFactory()
    run = RunFactory(institute=institute)
    assert run.project.participations.filter(institute=institute).exists()
    rows = add_samples(run, {"x": [1.0, None]})
    assert [(r.sample_id, r.epoch, r.score) for r in rows] == [("x", 1, 1.0), ("x", 2, None)]
