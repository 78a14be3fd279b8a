"""Demo results: the shipped suites really run at seed time, so the demo shows runs at once.

Each run is produced by Inspect with Concord's scripted demo model (`concord-demo/<profile>`,
see `evaluations.suites.demo_model`) standing in for a system of the demo project (a system whose
`inspect_model` is already a `concord-demo/...` model is run as it is), then ingested by the one
ingestion service, attached to a succeeded job. The runs say so in their notes. Idempotent: a
project that already has demo runs is left alone. About ten seconds on a laptop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from evaluations import logstore
from evaluations.models import EvaluationJob, EvaluationProject, EvaluationRun, EvaluationTask

logger = logging.getLogger(__name__)

NOTE = (
    "Demo run made at seed time by Concord's scripted demo model ({model}) standing in for "
    "{system}: it shows how results look, it is not an evaluation of any real model."
)
SUITES = {
    "safeguards": "concord-safeguards-refusals",
    "injection": "concord-prompt-injection",
    "qa": "concord-knowledge-qa",
}
# Profiles of the project's systems in order: the target, then the references.
PROFILES = ("strong", "medium", "weak")


@dataclass(frozen=True)
class Batch:
    system_index: int  # 0: the target; 1, 2: the references
    institute: str
    evaluator: str
    seed: int
    suites: tuple[str, ...]


# The UK runs everything on the target and the deployed reference; the US replicates two suites
# on the target (another seed) and runs the open-weights reference.
BATCHES = (
    Batch(0, "uk-aisi", "bob", 1, ("safeguards", "injection", "qa")),
    Batch(0, "us-caisi", "dan", 2, ("safeguards", "qa")),
    Batch(1, "uk-aisi", "bob", 1, ("safeguards", "injection", "qa")),
    Batch(2, "us-caisi", "dan", 1, ("safeguards", "injection", "qa")),
)


def _model_for(system, index: int) -> str:
    if system.inspect_model.startswith("concord-demo/"):
        return system.inspect_model
    return f"concord-demo/{PROFILES[min(index, len(PROFILES) - 1)]}"


def seed_demo_runs(people, project: EvaluationProject) -> list[EvaluationRun]:
    """Run the shipped suites for the demo project's systems and ingest the results."""
    demo_runs = EvaluationRun.objects.filter(project=project, notes__startswith="Demo run")
    if demo_runs.filter(task__slug__in=SUITES.values()).exists():
        return []
    from evaluations.services.tasks import task_builtin_upsert

    task_builtin_upsert()
    tasks = {key: EvaluationTask.objects.get(slug=slug) for key, slug in SUITES.items()}
    links = list(project.project_systems.select_related("system").order_by("is_reference", "pk"))
    runs = []
    for batch in BATCHES:
        if batch.system_index >= len(links):
            continue
        runs += run_demo_suites(
            people,
            project,
            system_index=batch.system_index,
            system=links[batch.system_index].system,
            institute=batch.institute,
            evaluator=batch.evaluator,
            seed=batch.seed,
            tasks=[tasks[key] for key in batch.suites],
        )
    return runs


def run_demo_suites(
    people,
    project: EvaluationProject,
    *,
    system_index: int,
    system,
    institute: str,
    evaluator: str,
    seed: int,
    tasks: list[EvaluationTask],
) -> list[EvaluationRun]:
    """Run `tasks` in one Inspect eval with the demo model standing in for `system` (the
    project's `system_index`-th system), as `evaluator` of `institute` would have queued them,
    and ingest each log into a run attached to a succeeded job."""
    from inspect_ai import eval as inspect_eval

    import evaluations.suites.demo_model  # noqa: F401  (registers concord-demo)
    from evaluations.ingestion import run_ingest_log
    from evaluations.runner.offline import ensure_tiktoken_encodings
    from evaluations.runner.refs import load_task

    ensure_tiktoken_encodings()
    model = _model_for(system, system_index)
    requested_by = people.users[evaluator]
    log_dir = Path(settings.CONCORD_LOG_DIR) / "demo" / project.slug
    # Inspect records its times to the second: the job starts on the second the batch
    # begins (never after the run it produces), queued a second before.
    started = timezone.now().replace(microsecond=0)
    queued = started - timedelta(seconds=1)
    logs = inspect_eval(
        [load_task(task.inspect_ref) for task in tasks],
        model=model,
        seed=seed,
        log_dir=str(log_dir),
        display="none",
        tags=["concord-demo-seed"],
        log_realtime=False,  # nobody watches the seed live: no sample event buffer
        score_display=False,
    )
    runs = []
    for task, log in zip(tasks, logs, strict=True):
        if log.status != "success":
            logger.warning("demo run of %s on %s ended %s", task.slug, system, log.status)
            continue
        total = log.results.total_samples if log.results else 0
        finished = timezone.now()
        job = EvaluationJob.objects.create(
            project=project,
            task=task,
            system=system,
            institute=people.institutes[institute],
            requested_by=requested_by,
            params={"seed": seed},
            status=EvaluationJob.Status.SUCCEEDED,
            attempts=1,
            progress_done=total,
            progress_total=total,
            enqueued_at=queued,
            started_at=started,
            heartbeat_at=finished,
            finished_at=finished,
        )
        # Queued when the batch began, like a job sent to a worker: `created_at` is set on
        # insert, so it is moved back to then (a job never starts before it is queued).
        EvaluationJob.objects.filter(pk=job.pk).update(created_at=queued)
        job.created_at = queued
        result = run_ingest_log(
            path=log.location,
            project=project,
            institute=people.institutes[institute],
            task=task,
            system=system,
            source=EvaluationRun.Source.JOB,
            job=job,
            notes=NOTE.format(model=model, system=system),
        )
        # Into the bucket when logs are kept in one (on disk the log is already in place).
        stored = logstore.store_job_log(Path(log.location), result.run.log_file)
        if stored != result.run.log_file:
            EvaluationRun.objects.filter(pk=result.run.pk).update(log_file=stored)
            result.run.log_file = stored
        job.log_file = stored
        job.save(update_fields=["log_file"])
        runs.append(result.run)
    return runs
