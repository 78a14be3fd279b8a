"""A project to report on: the `project` of tests/evaluations/conftest.py (A leads, B takes
part) with a task run on its target and reference systems, a deviation and an LLM grader on the
target's run, an agreed finding citing it and a draft finding; carol leads B."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from evaluations.models import Deviation, EvaluationRun, Finding, RunScorer
from evaluations.services import findings
from institutes.models import Role, User
from tests.evaluations.factories import RunFactory, TaskFactory, add_samples
from tests.factories import member


@dataclass
class ReportWorld:
    project: object
    carol: User
    task: object
    target_run: EvaluationRun
    reference_run: EvaluationRun
    agreed: Finding
    draft: Finding


@pytest.fixture
def rw(project, alice, institute_a, institute_b, target_system, reference_system):
    carol = member("carol", institute_b, Role.LEAD)
    task = TaskFactory(slug="ctf", name="Capture the flag")
    target_run = RunFactory(
        project=project, task=task, system=target_system, institute=institute_a, scored=True
    )
    add_samples(target_run, [1, 0, 1, 1])
    reference_run = RunFactory(
        project=project,
        task=task,
        system=reference_system,
        institute=institute_b,
        scored=True,
        complete=False,
        dataset_samples=30,
        sample_count=2,
    )
    add_samples(reference_run, [0, 1])
    Deviation.objects.create(run=target_run, description="Two retries allowed.", recorded_by=alice)
    RunScorer.objects.create(
        run=target_run, name="model_graded_qa", judge=True, grader_model="openai/gpt-4o"
    )
    agreed = findings.finding_create(
        user=alice,
        project=project,
        title="Solves CTFs",
        evidence=[{"kind": "run", "run": target_run}],
    )
    findings.finding_transition(user=alice, finding=agreed, status=Finding.Status.AGREED)
    draft = findings.finding_create(user=alice, project=project, title="Unreviewed idea")
    return ReportWorld(project, carol, task, target_run, reference_run, agreed, draft)


@pytest.fixture
def dev(rw, alice):
    """dora, an accepted developer contact of the project (no institute membership)."""
    from django.utils import timezone

    from evaluations.models import DeveloperContact, Organisation
    from tests.factories import UserFactory

    dora = UserFactory(username="dora")
    DeveloperContact.objects.create(
        project=rw.project,
        organisation=Organisation.objects.create(name="Lab"),
        email="dora@lab.example",
        name="Dora",
        user=dora,
        invited_by=alice,
        accepted_at=timezone.now(),
    )
    return dora


def frozen_report(rw, alice, institute_a, institute_b, sections=None):
    from evaluations.services import reports

    report = reports.report_draft(
        project=rw.project,
        by=alice,
        title="Joint report",
        sections=sections if sections is not None else [{"title": "Summary", "markdown": "Fine."}],
    )
    reports.report_submit(report=report, by=alice)
    reports.report_approve(report=report, by=alice, institute=institute_a)
    return reports.report_approve(report=report, by=rw.carol, institute=institute_b)
