"""Demo of the partner tools: a task of the demo project that Concord imports but does not run
(an import-only task), and an evaluation the US institute runs on its own machines, reported to
Concord while it runs (an external run, as concord-client's Inspect hook reports one).

Both go through the services the pages and the API use, as the people who would do it: the
project's lead registers the task, the US evaluator reports the run. Idempotent: the task is
found by its reference in the project, the external run by its eval id; a second run changes no
row. Nothing here calls the network (checking the reference only looks in Inspect's registry).
"""

from __future__ import annotations

from datetime import timedelta
from importlib import metadata

from django.db.models import Q
from django.utils import timezone

from evaluations.models import Domain, EvaluationProject, EvaluationTask, ExternalRun
from evaluations.services.external_runs import external_run_progress, external_run_report
from evaluations.services.tasks import task_register

IMPORT_ONLY_REF = "inspect_evals/gpqa_diamond"
# An Inspect eval id of the demo's own making (Inspect's are random): the external run's identity.
EXTERNAL_EVAL_ID = "concord-demo-us-gpqa-diamond-1"
EXTERNAL_MODEL = "frontier-lab/frontier-1-2026-11-preview"
EXTERNAL_SAMPLES = 198  # GPQA Diamond's questions
EXTERNAL_DONE = 73
# How long before the seed the external run started (set once, at its creation).
EXTERNAL_STARTED_AGO = timedelta(minutes=35)


def seed_import_only_task(people, project: EvaluationProject) -> EvaluationTask:
    """GPQA Diamond from inspect_evals, registered by the project's lead. Import-only where
    inspect_evals is not installed (the demo's case): the US institute runs it and imports the
    logs."""
    existing = (
        EvaluationTask.objects.filter(inspect_ref=IMPORT_ONLY_REF)
        .filter(Q(project=project) | Q(project__isnull=True))
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    return task_register(
        user=people.users["alice"],
        name="GPQA Diamond",
        inspect_ref=IMPORT_ONLY_REF,
        domain=Domain.objects.filter(slug="biological").first(),
        description=(
            "Graduate-level multiple-choice questions in biology, chemistry and physics "
            "(inspect_evals). The US institute runs it on its own machines and imports the logs."
        ),
        project=project,
    )


def _inspect_version() -> str:
    try:
        return metadata.version("inspect_ai")
    except metadata.PackageNotFoundError:
        return ""


def seed_external_run(people, project: EvaluationProject) -> ExternalRun:
    """GPQA Diamond on the target, running at the US institute: reported by its evaluator, with
    some samples done."""
    existing = ExternalRun.objects.filter(eval_id=EXTERNAL_EVAL_ID).first()
    if existing is not None:
        return existing
    dan = people.users["dan"]
    reported = external_run_report(
        user=dan,
        project=project,
        institute=people.institutes["us-caisi"],
        eval_id=EXTERNAL_EVAL_ID,
        inspect_run_id="concord-demo-us-run-1",
        task_name=IMPORT_ONLY_REF,
        model=EXTERNAL_MODEL,
        samples_total=EXTERNAL_SAMPLES,
        host="caisi-gpu-03",
        inspect_version=_inspect_version(),
    )
    external_run = reported.external_run
    # Started a while ago, as a run that has done some samples would have; its last word is now.
    started = timezone.now() - EXTERNAL_STARTED_AGO
    ExternalRun.objects.filter(pk=external_run.pk).update(started_at=started, heartbeat_at=started)
    return external_run_progress(user=dan, external_run=external_run, samples_done=EXTERNAL_DONE)


def seed_partner_tools(people, project: EvaluationProject) -> None:
    seed_import_only_task(people, project)
    seed_external_run(people, project)
