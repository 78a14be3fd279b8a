"""The one ingestion service: an Inspect log becomes an EvaluationRun with its RunScores and
SampleResults, all or nothing.

Used by the job runner, and by the upload API and `import_log`. Rules:

- One transaction: the run, every scorer/metric and every sample row, or nothing. Sample rows go
  through PostgreSQL `COPY` (bulk_create in batches on SQLite, which only the demo uses), streamed
  from the log one sample at a time. What each scorer is (a judge with its grader model, or a
  rule: `judges`) is recorded in the same transaction.
- The same log twice never makes two runs: `inspect_eval_id` is unique; the second call returns the
  existing run (`created=False`). A log already imported into another project is refused.
- Every format is read through `formats.open_log`: Inspect `.eval` and `.json` logs, and
  lm-evaluation-harness results (`lm_eval`, recorded with `log_format="lm-eval"`). Archives and
  JSON pass the checks of `safety` first (ZIP bombs, forged archives, JSON nested too deeply).
- Logs whose evaluation finished (`success`), failed (`error`) or was cancelled (`cancelled`) are
  ingested with that status on the run, so partial results and the transcripts that led to an error
  can be read; comparisons and dashboards use `success` runs. A `started` log (the evaluation is
  still running, or its process was killed) is refused: it has no results to trust.
- The log's task and model are mapped to an existing EvaluationTask and to a system of the project;
  when they cannot be (or are ambiguous), a ValidationError names what is missing. Look-alike tasks
  or systems are never created. Task candidates are the global tasks and the project's own
  (import-only tasks among them); another project's task is never matched, nor accepted as a
  choice. An explicit task or system of an import only chooses among the
  candidates that match the log: one that contradicts the log's task name or model is refused,
  naming both, unless the uploader confirms it with a reason (`override_reason`), which the run
  keeps with the uploader's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from evaluations.ingestion import judges, rows
from evaluations.ingestion.errors import LogReadError
from evaluations.ingestion.formats import open_log
from evaluations.models import (
    AISystem,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    GuidelineVersion,
    Participation,
    RunScore,
    RunScorer,
    SampleResult,
)
from evaluations.results import scores as run_scores
from evaluations.results import stored
from institutes import access, audit
from institutes.models import Institute
from webhooks import events as webhook_events

INGESTIBLE = {"success", "error", "cancelled"}
_BATCH = 500  # rows per bulk_create on SQLite


@dataclass
class IngestResult:
    run: EvaluationRun
    created: bool


class LogRejected(ValidationError):
    """A readable log that Concord will not ingest (incomplete, or for another project)."""


def _log_task_names(eval_spec) -> set[str]:
    return {n for n in (eval_spec.task, eval_spec.task_registry_name) if n}


class UnknownTask(ValidationError):
    """No task of the project's (global or its own) matches the log's task: `task_name` is the
    name a lead or a programme manager may register as an import-only task."""

    def __init__(self, *, task_name: str, project: EvaluationProject):
        super().__init__(
            {
                "task": f"No evaluation task in Concord matches the log's task '{task_name}'. "
                f"A lead of project '{project.slug}' or a programme manager registers it (as an "
                "import-only task), or choose the task."
            }
        )
        self.task_name = task_name


def _task_candidates(eval_spec, *, project: EvaluationProject, chosen: bool = False):
    """The EvaluationTasks that the log's task name stands for: its name or registry name as a
    slug or as an Inspect reference, among the global tasks and the project's own (another
    project's task never matches). A task the uploader chose may also name it as lm-eval
    does, `_` for the slug's `-` (the way the lm-eval reader picks a task by its hint)."""
    names = _log_task_names(eval_spec)
    short = {n.rsplit("/", 1)[-1] for n in names}
    condition = Q(inspect_ref__in=names) | Q(slug__in=names)
    if chosen:
        condition |= Q(slug__in={n.replace("_", "-") for n in short})
    for name in short:
        condition |= Q(inspect_ref__endswith=f":{name}") | Q(inspect_ref__endswith=f"/{name}")
    scope = Q(project__isnull=True) | Q(project=project)
    return EvaluationTask.objects.filter(scope).filter(condition).order_by("pk")


def _mapped_task(
    eval_spec, chosen: EvaluationTask | None, project: EvaluationProject
) -> tuple[EvaluationTask, bool]:
    """The run's task, and whether it contradicts the log. A chosen task only picks among the
    tasks the log's task name stands for; one outside them contradicts the log (True). A task
    of another project is refused."""
    if chosen is not None:
        if chosen.project_id is not None and chosen.project_id != project.pk:
            raise ValidationError(
                {"task": f"The task '{chosen.slug}' is not a task of project '{project.slug}'."}
            )
        if not _log_task_names(eval_spec):
            return chosen, False
        matching = _task_candidates(eval_spec, project=project, chosen=True)
        return chosen, not matching.filter(pk=chosen.pk).exists()
    candidates = list(_task_candidates(eval_spec, project=project)[:3])
    if len(candidates) == 1:
        return candidates[0], False
    if not candidates:
        raise UnknownTask(task_name=eval_spec.task or "", project=project)
    raise ValidationError(
        {
            "task": f"Several evaluation tasks match the log's task '{eval_spec.task}' "
            f"({', '.join(t.slug for t in candidates)}): choose one."
        }
    )


def _mapped_system(
    eval_spec, project: EvaluationProject, chosen: AISystem | None
) -> tuple[AISystem, bool]:
    """The run's system, and whether it contradicts the log: a chosen system only picks among
    the project's systems with the log's model."""
    if chosen is not None:
        return chosen, bool(eval_spec.model) and chosen.inspect_model != eval_spec.model
    candidates = list(
        AISystem.objects.filter(
            project_systems__project=project, inspect_model=eval_spec.model
        ).order_by("pk")[:3]
    )
    if len(candidates) == 1:
        return candidates[0], False
    if not candidates:
        raise ValidationError(
            {
                "system": f"No system of project '{project.slug}' has the log's model "
                f"'{eval_spec.model}'. Add the system to the project first, or choose it."
            }
        )
    raise ValidationError(
        {
            "system": f"Several systems of project '{project.slug}' use the model "
            f"'{eval_spec.model}': choose one."
        }
    )


_CONFIRM = (
    " Leave it empty to use the log's, or confirm the mismatch (override_mismatch, with a reason)."
)


def _check_mismatch(
    eval_spec, *, task: EvaluationTask | None, system: AISystem | None, override_reason: str
) -> None:
    """A choice that contradicts the log is refused unless the uploader confirmed it with a
    reason. `task`/`system` are the contradicting choices (None: no contradiction)."""
    if override_reason.strip():
        return
    errors: dict[str, str] = {}
    if task is not None:
        errors["task"] = (
            f"The log's task is '{eval_spec.task}'; you chose task '{task.slug}'." + _CONFIRM
        )
    if system is not None:
        errors["system"] = (
            f"The log's model is '{eval_spec.model}'; you chose system '{system}' "
            f"(model '{system.inspect_model}')." + _CONFIRM
        )
    if errors:
        raise ValidationError(errors)


def _check_context(*, project, institute, system, uploaded_by) -> None:
    if not Participation.objects.filter(project=project, institute=institute).exists():
        raise ValidationError(
            {"institute": f"{institute.name} does not participate in '{project.slug}'."}
        )
    if not project.project_systems.filter(system=system).exists():
        raise ValidationError({"system": f"{system} is not a system of '{project.slug}'."})
    if uploaded_by is not None:
        access.require(
            access.can_act_for(uploaded_by, project, institute),
            f"You cannot add results to '{project.slug}' for {institute.name}.",
        )


def _stored_path(path: Path) -> str:
    """The log's path relative to CONCORD_LOG_DIR when it lives there, else as given."""
    try:
        return str(path.resolve().relative_to(Path(settings.CONCORD_LOG_DIR).resolve()))
    except ValueError:
        return str(path)


def run_ingest_log(
    *,
    path: str | Path,
    project: EvaluationProject,
    institute: Institute,
    source: str,
    task: EvaluationTask | None = None,
    system: AISystem | None = None,
    job=None,
    uploaded_by=None,
    guideline_version: GuidelineVersion | None = None,
    notes: str = "",
    log_file: str | None = None,
    override_reason: str = "",
) -> IngestResult:
    """Ingest one Inspect log (see the module docstring for the rules). `log_file` is what the run
    records as its file (default: `path`, relative to CONCORD_LOG_DIR when inside it).
    `override_reason`: the uploader confirms a task or system that contradicts the log, and why;
    the run records it, with the uploader."""
    path = Path(path)
    with open_log(path, task=task) as reader:
        header = reader.header()
        spec = header.eval
        if header.status not in INGESTIBLE:
            raise LogRejected(
                f"The log is incomplete (status '{header.status}'): its evaluation was still "
                "running or its process was killed. Only finished logs are ingested."
            )
        existing = EvaluationRun.objects.filter(inspect_eval_id=spec.eval_id).first()
        if existing is not None:
            return _existing(existing, project)

        task, task_contradicts = _mapped_task(spec, task, project)
        system, system_contradicts = _mapped_system(spec, project, system)
        if source == EvaluationRun.Source.JOB:
            # Concord ran the job's own task on its own system: nothing to contradict.
            task_contradicts = system_contradicts = False
        overridden = task_contradicts or system_contradicts
        _check_mismatch(
            spec,
            task=task if task_contradicts else None,
            system=system if system_contradicts else None,
            override_reason=override_reason,
        )
        _check_context(project=project, institute=institute, system=system, uploaded_by=uploaded_by)

        scorer, metric, value, stderr = rows.primary_score(header)
        input_tokens, output_tokens, total_tokens = rows.usage_totals(header)
        stats = header.stats
        run = EvaluationRun(
            project=project,
            task=task,
            system=system,
            institute=institute,
            source=source,
            log_format=getattr(reader, "run_log_format", "inspect"),
            inspect_eval_id=spec.eval_id,
            inspect_task=(spec.task or "")[:300],
            inspect_model=(spec.model or "")[:300],
            guideline_version=guideline_version
            or (job.guideline_version if job is not None else None),
            status=header.status,
            started_at=rows.parse_time(stats.started_at if stats else None)
            or rows.parse_time(spec.created),
            completed_at=rows.parse_time(stats.completed_at if stats else None),
            epochs=spec.config.epochs or 1,
            setup=rows.run_setup(header),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=total_tokens,
            primary_scorer=scorer,
            primary_metric=metric,
            primary_value=value,
            primary_stderr=stderr,
            log_file=log_file if log_file is not None else _stored_path(path),
            notes=notes,
            error=rows.clean_text(header.error.message) if header.error else "",
            uploaded_by=uploaded_by,
            override_task=task_contradicts,
            override_system=system_contradicts,
            override_reason=override_reason.strip() if overridden else "",
        )
        try:
            with transaction.atomic():
                run.save()
                score_rows = rows.run_scores(header)
                RunScore.objects.bulk_create(RunScore(run=run, **score) for score in score_rows)
                graders = judges.SampleGraders()
                distinct_ids, rows_written = _write_samples(
                    run, graders.watch(reader.samples()), scorer
                )
                # What each scorer is (a judge and its grader model, or a rule), from the
                # header and what the samples said as they streamed by.
                RunScorer.objects.bulk_create(
                    RunScorer(run=run, **record)
                    for record in judges.scorer_records(
                        header, graders, rules_only=run.log_format != "inspect"
                    )
                )
                run.sample_count = distinct_ids
                run.dataset_samples, run.complete = rows.completeness(
                    header, sample_ids=distinct_ids, sample_rows=rows_written
                )
                # The samples are final: their score statistics are computed once, here, so
                # pages never aggregate the sample rows again (evaluations.results.scores).
                run.score_moments = stored.run_summary_for_storage(
                    run,
                    {s["scorer"] for s in score_rows if s["metric"] in run_scores.MEAN_METRICS},
                    metrics={s["metric"] for s in score_rows},
                )
                run.save(
                    update_fields=["sample_count", "dataset_samples", "complete", "score_moments"]
                )
                # Sample rows carry no audit trigger (bulk): one event says how many were written.
                audit.record(
                    "bulk_insert",
                    user=uploaded_by,
                    project_id=project.pk,
                    table=SampleResult._meta.db_table,
                    object_id=run.pk,
                    run=run.pk,
                    rows=rows_written,
                    source=source,
                )
                if job is not None:
                    _link_job(job, run)
                webhook_events.run_imported(run=run, job_id=job.pk if job is not None else None)
        except IntegrityError:
            # Lost a race with another ingestion of the same log: return the winner's run.
            existing = EvaluationRun.objects.filter(inspect_eval_id=spec.eval_id).first()
            if existing is None:
                raise
            return _existing(existing, project)
    return IngestResult(run=run, created=True)


def _existing(run: EvaluationRun, project: EvaluationProject) -> IngestResult:
    if run.project_id != project.pk:
        raise LogRejected(
            "This log (Inspect eval id "
            f"{run.inspect_eval_id}) was already imported into another project."
        )
    return IngestResult(run=run, created=False)


def _link_job(job, run: EvaluationRun) -> None:
    type(job).objects.filter(pk=job.pk).update(run=run)
    job.run = run


_COLUMNS = (
    "run",
    "sample_id",
    "epoch",
    "score",
    "scores",
    "input",
    "target",
    "output",
    "metadata",
    "error",
    "total_tokens",
    "entry_name",
)


def _sample_values(
    run: EvaluationRun, record, scorer: str, *, as_json: bool = False
) -> dict[str, Any]:
    """One SampleResult's column values; `as_json`: scores and metadata as JSON text (COPY)."""
    sample = record.stored
    structure = rows.jsonb_text if as_json else rows.clean_json
    return {
        "run": run.pk,
        "sample_id": rows.clean_text(sample.id)[:200],
        "epoch": sample.epoch,
        "score": rows.primary_value(sample.scores, scorer),
        "scores": structure(sample.scores),
        "input": rows.clean_text(sample.input),
        "target": rows.clean_text(sample.target),
        "output": rows.clean_text(sample.output),
        "metadata": structure(sample.metadata),
        "error": rows.clean_text(sample.error),
        "total_tokens": sample.total_tokens,
        "entry_name": rows.clean_text(record.entry_name)[:300],
    }


_REPEATED_KEY = re.compile(r"=\(\d+, (?P<id>.*), (?P<epoch>-?\d+)\) already exists", re.S)


def _write_samples(run: EvaluationRun, records, scorer: str) -> tuple[int, int]:
    """Write every sample row; returns the number of distinct sample ids and of rows. Streams:
    one sample in memory at a time, and nothing kept per sample (a sample written twice is
    caught by the table's unique constraint, and the ids are counted by the database)."""
    written = 0
    if connection.vendor == "postgresql":
        fields = {f.name: f.column or f.name for f in SampleResult._meta.concrete_fields}
        columns = ", ".join(connection.ops.quote_name(fields[c]) for c in _COLUMNS)
        table = connection.ops.quote_name(SampleResult._meta.db_table)
        try:
            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for record in records:
                        values = _sample_values(run, record, scorer, as_json=True)
                        copy.write_row([values[c] for c in _COLUMNS])
                        written += 1
        except psycopg.errors.UniqueViolation as exc:
            # The transaction is aborted; the caller's atomic block rolls it back.
            match = _REPEATED_KEY.search(exc.diag.message_detail or "")
            which = f"sample '{match['id']}' (epoch {match['epoch']})" if match else "a sample"
            raise LogReadError(f"The log holds {which} twice: it is not a valid log.") from exc
        distinct = SampleResult.objects.filter(run=run).values("sample_id").distinct().count()
        return distinct, written
    # Other databases (the demo's SQLite): rows in batches, repeated samples checked here.
    sample_ids: set[str] = set()
    seen: set[tuple[str, int]] = set()
    batch: list[SampleResult] = []
    for record in records:
        values = _sample_values(run, record, scorer)
        key = (values["sample_id"], values["epoch"])
        if key in seen:
            raise LogReadError(
                f"The log holds sample '{key[0]}' (epoch {key[1]}) twice: it is not a valid log."
            )
        seen.add(key)
        sample_ids.add(values["sample_id"])
        values["run"] = run
        batch.append(SampleResult(**values))
        written += 1
        if len(batch) >= _BATCH:
            SampleResult.objects.bulk_create(batch)
            batch = []
    SampleResult.objects.bulk_create(batch)
    return len(sample_ids), written


def read_log_header(path: str | Path):
    """The log's header (status, task, model, results) without its samples: for a preview before
    an upload is ingested."""
    with open_log(path) as reader:
        return reader.header()


__all__ = ["IngestResult", "LogReadError", "LogRejected", "read_log_header", "run_ingest_log"]
