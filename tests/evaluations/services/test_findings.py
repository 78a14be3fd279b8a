"""Findings cite evidence from their own project: runs, samples and comparisons of two runs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from evaluations.models import Finding, FindingEvidence
from evaluations.services import findings
from evaluations.services import projects as project_services
from tests.evaluations.factories import FindingFactory, RunFactory
from tests.evaluations.results_world import build_results_world

RUN, SAMPLE, COMPARISON = (FindingEvidence.Kind.RUN, FindingEvidence.Kind.SAMPLE, "comparison")


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


def cited(finding: Finding) -> list[tuple]:
    return [(row.kind, row.run_id, row.sample_id, row.run_b_id) for row in finding.evidence.all()]


def test_a_finding_cites_a_run_a_sample_and_a_comparison(rw, bob):
    sample = rw.run_a.samples.first()
    finding = findings.finding_create(
        user=bob,
        project=rw.project,
        title="Refuses under pressure",
        evidence=[
            {"kind": RUN, "run": rw.run_a},
            {"kind": SAMPLE, "sample": sample},
            {"kind": COMPARISON, "run": rw.run_a, "run_b": rw.run_b},
            {"kind": RUN, "run": rw.run_a},  # a duplicate is dropped
        ],
    )
    assert cited(finding) == [
        (RUN, rw.run_a.pk, None, None),
        (SAMPLE, rw.run_a.pk, sample.pk, None),
        (COMPARISON, rw.run_a.pk, None, rw.run_b.pk),
    ]
    # `runs` is every run the evidence cites
    assert set(finding.runs.values_list("pk", flat=True)) == {rw.run_a.pk, rw.run_b.pk}


def test_evidence_from_another_project_is_refused_and_nothing_is_written(rw, bob, institute_a):
    stranger = RunFactory(institute=institute_a)
    before = Finding.objects.count()
    with pytest.raises(ValidationError, match="this project's own runs") as exc:
        findings.finding_create(
            user=bob,
            project=rw.project,
            title="Borrowed",
            evidence=[{"kind": RUN, "run": rw.run_a}, {"kind": RUN, "run": stranger}],
        )
    assert "evidence" in exc.value.error_dict
    assert Finding.objects.count() == before
    stranger_sample = stranger.samples.create(sample_id="x")
    with pytest.raises(ValidationError, match="this project's own runs"):
        findings.finding_create(
            user=bob,
            project=rw.project,
            title="Borrowed",
            evidence=[{"kind": SAMPLE, "sample": stranger_sample}],
        )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda w: {"kind": COMPARISON, "run": w.run_a, "run_b": w.run_a}, "two different runs"),
        (lambda w: {"kind": COMPARISON, "run": w.run_a, "run_b": w.run_cyber}, "different tasks"),
        (lambda w: {"kind": COMPARISON, "run": w.run_a}, "names two runs"),
        (
            lambda w: {"kind": SAMPLE, "run": w.run_b, "sample": w.run_a.samples.first()},
            "not a sample of run",
        ),
        (lambda w: {"kind": SAMPLE, "run": w.run_a}, "one sample"),
        (lambda w: {"kind": "hunch", "run": w.run_a}, "not a kind of evidence"),
    ],
)
def test_evidence_of_the_wrong_shape_is_refused(rw, bob, build, message):
    with pytest.raises(ValidationError, match=message):
        findings.finding_create(user=bob, project=rw.project, title="x", evidence=[build(rw)])


def test_updating_runs_alone_keeps_the_other_evidence(rw, bob):
    sample = rw.run_a.samples.first()
    finding = findings.finding_create(
        user=bob,
        project=rw.project,
        title="Mixed",
        runs=[rw.run_a],
        evidence=[{"kind": SAMPLE, "sample": sample}],
    )
    findings.finding_update(user=bob, finding=finding, runs=[rw.run_b])
    assert sorted(cited(finding), key=str) == sorted(
        [(SAMPLE, rw.run_a.pk, sample.pk, None), (RUN, rw.run_b.pk, None, None)], key=str
    )
    findings.finding_update(user=bob, finding=finding, evidence=[])
    assert cited(finding) == []
    assert not finding.runs.exists()


def test_the_database_refuses_evidence_of_the_wrong_shape(rw, bob):
    finding = FindingFactory(project=rw.project)
    with pytest.raises(IntegrityError), transaction.atomic():
        FindingEvidence.objects.create(finding=finding, kind=COMPARISON, run=rw.run_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        FindingEvidence.objects.create(
            finding=finding, kind=COMPARISON, run=rw.run_a, run_b=rw.run_a
        )
    FindingEvidence.objects.create(finding=finding, kind=RUN, run=rw.run_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        FindingEvidence.objects.create(finding=finding, kind=RUN, run=rw.run_a)


def test_closing_a_project_names_its_unfinished_findings(rw, alice):
    FindingFactory(project=rw.project, title="A")
    FindingFactory(project=rw.project, title="B")
    FindingFactory(project=rw.project, title="C", status=Finding.Status.PUBLISHED)
    project_services.project_transition(user=alice, project=rw.project, status="reporting")
    with pytest.raises(ValidationError) as exc:
        project_services.project_transition(user=alice, project=rw.project, status="closed")
    assert exc.value.message_dict["status"][0].startswith("2 unfinished findings: 'A', 'B'.")
