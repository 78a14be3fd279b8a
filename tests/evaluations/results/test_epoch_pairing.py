"""Runs with different numbers of epochs: each run's epochs are averaged per sample before the
runs are paired on sample id (evaluations.results.comparisons), and the pages say so."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations import stats
from evaluations.results import comparisons
from tests.evaluations.factories import (
    AISystemFactory,
    ProjectFactory,
    RunFactory,
    TaskFactory,
    add_samples,
)

TOL = 1e-9


def approx(x: float) -> object:
    return pytest.approx(x, abs=TOL, rel=0)


@pytest.fixture
def make_run(institute_a):
    project = ProjectFactory(slug="joint", title="Joint")
    task = TaskFactory(slug="arith", name="Arithmetic")
    system = AISystemFactory(name="Frontier")

    def make(scores, **fields):
        fields = {"project": project, "task": task, "system": system, "institute": institute_a} | (
            fields
        )
        run = RunFactory(**fields)
        add_samples(run, scores)
        return run

    return make


def rows(scores) -> list[comparisons.ScoreRow]:
    out: list[comparisons.ScoreRow] = []
    for sample_id, per_epoch in scores.items():
        per_epoch = per_epoch if isinstance(per_epoch, list) else [per_epoch]
        for epoch, score in enumerate(per_epoch, start=1):
            out.append((sample_id, epoch, score, len(out) + 1))
    return out


def test_two_epochs_against_one_average_each_sample_and_pair_every_sample():
    two = rows({"s1": [1, 0], "s2": [1, 1], "s3": [0, 0], "s4": [None, 1]})
    one = rows({"s1": 1, "s2": 0, "s3": 0, "s4": 1})
    cmp = comparisons.compare_score_rows(two, one)
    assert (cmp.epochs_a, cmp.epochs_b, cmp.epochs_averaged) == (2, 1, True)
    # Nothing thrown away: four samples paired, none unpaired.
    assert (cmp.paired, cmp.only_in_a, cmp.only_in_b, cmp.unscored) == (4, 0, 0, 0)
    assert (cmp.samples, cmp.max_epochs) == (4, 1)
    # Per-sample means [0.5, 1, 0, 1] (s4: its one scored epoch) against [1, 0, 0, 1].
    expected = stats.paired_difference([0.5, 1, 0, 1], [1, 0, 0, 1])
    assert cmp.difference.difference == approx(expected.difference)
    assert cmp.difference.stderr == approx(expected.stderr)
    assert cmp.binary is False
    assert cmp.kappa is None
    assert [(d.sample_id, d.epoch, d.score_a, d.score_b) for d in cmp.disagreements.items] == [
        ("s1", None, 0.5, 1.0),
        ("s2", None, 1.0, 0.0),
    ]
    # The transcript links go to each sample's first epoch.
    assert cmp.disagreements.items[0].result_a_id == 1
    assert cmp.pairing_note == (
        "runs have 2 and 1 epochs: each sample's epochs averaged before pairing"
    )


def test_equal_epochs_keep_the_clustered_pairing_on_sample_and_epoch():
    a = rows({"s1": [1, 1], "s2": [1, 0]})
    b = rows({"s1": [0, 0], "s2": [1, 1]})
    cmp = comparisons.compare_score_rows(a, b)
    assert (cmp.epochs_a, cmp.epochs_b, cmp.epochs_averaged) == (2, 2, False)
    assert (cmp.paired, cmp.samples, cmp.max_epochs) == (4, 2, 2)
    assert cmp.difference.stderr == approx(0.75)
    assert [d.epoch for d in cmp.disagreements.items] == [1, 2, 2]
    assert cmp.pairing_note == "paired by sample id and epoch"


def test_a_sample_without_any_scored_epoch_is_unscored_and_samples_in_one_run_unpaired():
    two = rows({"s1": [None, None], "s2": [1, 1], "only-a": [1, 0]})
    one = rows({"s1": 1, "s2": 1, "only-b": 0})
    cmp = comparisons.compare_score_rows(two, one)
    assert (cmp.paired, cmp.only_in_a, cmp.only_in_b, cmp.unscored) == (1, 1, 1, 1)


def test_compare_page_says_epochs_were_averaged(client, alice, institute_b, make_run):
    run_a = make_run({"s1": [1, 0], "s2": [1, 1]})
    run_b = make_run({"s1": 1, "s2": 0}, institute=institute_b)
    client.force_login(alice)
    response = client.get(reverse("runs:compare"), {"a": run_a.pk, "b": run_b.pk})
    assert response.status_code == 200
    text = response.content.decode()
    assert "The runs have 2 and 1 epochs: each sample's epochs averaged before pairing" in text
    assert "unpaired" not in text


def test_replications_page_says_epochs_were_averaged(client, alice, institute_b, make_run):
    run_a = make_run({str(i): [1, i % 2] for i in range(30)})
    make_run({str(i): 1 for i in range(30)}, institute=institute_b)
    client.force_login(alice)
    response = client.get(reverse("projects:replications", kwargs={"slug": run_a.project.slug}))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Runs have 2 and 1 epochs: each sample&#x27;s epochs averaged before pairing" in text
    assert "unpaired" not in text.split("<tbody>")[1]
