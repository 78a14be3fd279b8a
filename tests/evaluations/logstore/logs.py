"""Real Inspect logs for the log storage tests, and a run of one kept in the bucket."""

from __future__ import annotations

from pathlib import Path

from django.core.files import File
from inspect_ai import eval as inspect_eval

from evaluations.ingestion import run_ingest_log
from evaluations.logstore import log_storage
from evaluations.models import EvaluationRun, EvaluationTask
from evaluations.runner.offline import ensure_tiktoken_encodings
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
)
from tests.evaluations.results_logs import injection_agent


def many_samples_log(log_dir: Path, *, epochs: int = 3) -> Path:
    """The prompt-injection suite's 24 samples x `epochs`, with tool calls: a log of many members."""
    from evaluations.suites.prompt_injection import concord_prompt_injection

    ensure_tiktoken_encodings()
    [log] = inspect_eval(
        concord_prompt_injection(),
        model=injection_agent(),
        epochs=epochs,
        log_dir=str(log_dir),
        display="none",
    )
    assert log.status == "success", log.error
    return Path(log.location)


def injection_project(institute_a, institute_b):
    from evaluations.services.tasks import task_builtin_upsert

    task_builtin_upsert()
    project = ProjectFactory(slug="stored-logs", title="Stored logs")
    ParticipationFactory(project=project, institute=institute_a, role="lead")
    ParticipationFactory(project=project, institute=institute_b)
    system = AISystemFactory(
        developer="Acme AI", name="Zephyrine", version="7", inspect_model="mockllm/model"
    )
    ProjectSystemFactory(project=project, system=system)
    project.system = system
    return project


def stored_run(path: Path, *, project, institute, name: str | None = None) -> EvaluationRun:
    """The log at `path` put in the log storage as `name` and ingested as a run that records it."""
    name = name or f"imports/{project.slug}/{path.name}"
    with path.open("rb") as handle:
        stored = log_storage().save(name, File(handle, name=name))
    return run_ingest_log(
        path=path,
        project=project,
        institute=institute,
        source="upload",
        task=EvaluationTask.objects.get(slug="concord-prompt-injection"),
        system=project.system,
        log_file=stored,
    ).run
