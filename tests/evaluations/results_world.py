"""A project with results, for the results pages' tests (and the permission matrix).

Institute A (alice lead, bob evaluator, vera viewer) leads the project "results-demo"; B takes
part; C (charlie) does not. Systems: the target "Frontier-1" and the reference "Frontier-0".
Tasks: "Knowledge QA" (safeguards domain, no workstream) and "Cyber range" (cyber domain, a
workstream led by A). Runs (all successful, 0/1 scores):

  run_a      A, target,    QA     samples 1-6: 1 1 1 0 1 0
  run_b      B, target,    QA     samples 1-6: 1 0 1 0 1 1     (replicates run_a)
  run_ref    A, reference, QA     samples 1-6: 0 0 1 0 0 0
  run_cyber  A, target,    Cyber  samples 1-4: 1 0 0 0

`job` is the succeeded job that produced run_a; `running` a job in flight (3 of 10 done).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from evaluations.models import (
    AccessWindow,
    AISystem,
    Domain,
    EvaluationJob,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    Participation,
    ReviewLabel,
    RunScore,
    Workstream,
)
from institutes.models import Institute
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    RunFactory,
    TaskFactory,
    add_samples,
)

QA_A = [1, 1, 1, 0, 1, 0]
QA_B = [1, 0, 1, 0, 1, 1]
QA_REF = [0, 0, 1, 0, 0, 0]
CYBER = [1, 0, 0, 0]


@dataclass
class ResultsWorld:
    project: EvaluationProject
    institute_a: Institute
    institute_b: Institute
    target: AISystem
    reference: AISystem
    qa: EvaluationTask
    cyber: EvaluationTask
    run_a: EvaluationRun
    run_b: EvaluationRun
    run_ref: EvaluationRun
    run_cyber: EvaluationRun
    job: EvaluationJob
    running: EvaluationJob


def make_run(project, task, system, institute, scores, *, minutes_ago=0, **fields):
    run = RunFactory(
        project=project,
        task=task,
        system=system,
        institute=institute,
        primary_scorer="match",
        primary_metric="accuracy",
        primary_value=sum(scores) / len(scores),
        completed_at=timezone.now() - timedelta(minutes=minutes_ago),
        sample_count=len(scores),
        **fields,
    )
    add_samples(
        run,
        scores,
        input="What is the capital of France?",
        output="ANSWER: Paris",
        target="Paris",
    )
    RunScore.objects.create(
        run=run,
        scorer="match",
        metric="accuracy",
        value=run.primary_value,
        stderr=0.2,
        scored_samples=len(scores),
    )
    RunScore.objects.create(run=run, scorer="match", metric="stderr", value=0.2)
    return run


def ensure_reference_data() -> None:
    """Domains and review labels come from data migrations, which a transactional test's flush
    removes: put them back when missing."""
    domains = importlib.import_module("evaluations.migrations.0003_default_domains")
    labels = importlib.import_module("evaluations.migrations.0006_default_review_labels")
    more_labels = importlib.import_module(
        "evaluations.migrations.0011_finding_evidence_and_review_labels"
    )
    for slug, name, order in domains.DOMAINS:
        Domain.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
    for slug, name, description, order in [*labels.LABELS, *more_labels.LABELS]:
        ReviewLabel.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )


def build_results_world(*, institute_a, institute_b, slug="results-demo") -> ResultsWorld:
    ensure_reference_data()
    project = ProjectFactory(slug=slug, title="Results demo")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    ParticipationFactory(project=project, institute=institute_b)
    target = AISystemFactory(developer="Lab", name="Frontier-1", inspect_model="mockllm/frontier")
    reference = AISystemFactory(developer="Lab", name="Frontier-0", inspect_model="mockllm/ref")
    ProjectSystemFactory(project=project, system=target)
    ProjectSystemFactory(project=project, system=reference, is_reference=True)
    now = timezone.now()
    AccessWindow.objects.create(
        project=project,
        system=target,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=5),
    )
    safeguards = Domain.objects.get(slug="safeguards")
    cyber_domain = Domain.objects.get(slug="cyber")
    Workstream.objects.create(project=project, domain=cyber_domain, lead_institute=institute_a)
    qa = TaskFactory(slug=f"{slug}-qa", name="Knowledge QA", domain=safeguards, inspect_ref="x:qa")
    cyber = TaskFactory(
        slug=f"{slug}-cyber", name="Cyber range", domain=cyber_domain, inspect_ref="x:cyber"
    )
    run_a = make_run(project, qa, target, institute_a, QA_A, minutes_ago=30)
    run_b = make_run(project, qa, target, institute_b, QA_B, minutes_ago=20)
    run_ref = make_run(project, qa, reference, institute_a, QA_REF, minutes_ago=10)
    run_cyber = make_run(project, cyber, target, institute_a, CYBER, minutes_ago=5)
    job = EvaluationJob.objects.create(
        project=project,
        task=qa,
        system=target,
        institute=institute_a,
        status=EvaluationJob.Status.SUCCEEDED,
        progress_done=6,
        progress_total=6,
        attempts=1,
        started_at=now - timedelta(minutes=40),
        finished_at=now - timedelta(minutes=30),
        run=run_a,
    )
    running = EvaluationJob.objects.create(
        project=project,
        task=cyber,
        system=target,
        institute=institute_a,
        status=EvaluationJob.Status.RUNNING,
        progress_done=3,
        progress_total=10,
        attempts=1,
        started_at=now - timedelta(minutes=1),
        heartbeat_at=now,
    )
    return ResultsWorld(
        project=project,
        institute_a=institute_a,
        institute_b=institute_b,
        target=target,
        reference=reference,
        qa=qa,
        cyber=cyber,
        run_a=run_a,
        run_b=run_b,
        run_ref=run_ref,
        run_cyber=run_cyber,
        job=job,
        running=running,
    )
