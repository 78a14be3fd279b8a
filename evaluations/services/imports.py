"""Importing a log computed elsewhere: an Inspect log (`.eval`, `.json`) or lm-evaluation-harness
results (`results_*.json`, or a `.zip` of its output folder), uploaded through the API or the
project page, or named on the command line (`import_log`).

`run_import` is the one way in for all three:

1. It refuses, before reading anything, a user who may not add results to the project for the
   institute (403, `institutes.access.can_act_for`), and a guideline version the project has not
   adopted (400).
2. It ingests the file with the one ingestion service (`evaluations.ingestion.run_ingest_log`:
   every format, the safety checks, all or nothing in one transaction). The log's task and model
   are mapped to an existing EvaluationTask and system, or a 400 names what is missing.
3. It keeps the file in the log storage (`evaluations.logstore`: CONCORD_LOG_DIR on disk, or an
   S3-compatible bucket) under `imports/<project>/`, so the run page offers it for download.

An explicit task or system only chooses among the candidates that match the log; one that
contradicts the log's task name or model is refused unless the request confirms it
(`override_mismatch` with a reason), and the run then says so on its page and in the API.

A refused file leaves nothing behind: no row (the ingestion transaction rolls back) and no file
(the stored copy is deleted before the error goes up). The same log imported again returns the
run it made the first time (`created=False`) and stores nothing. Status policy (the ingestion
service's): `success`, `error` and `cancelled` logs are imported with that status on the run;
`started` logs (still running, or killed) are refused.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from evaluations import logstore
from evaluations.ingestion import IngestResult, run_ingest_log
from evaluations.ingestion.formats import log_format
from evaluations.models import AISystem, EvaluationProject, EvaluationRun, EvaluationTask
from evaluations.results.transcripts import log_storage
from evaluations.services.external_runs import external_run_link
from institutes import access
from institutes.models import Institute

IMPORTS_DIR = "imports"


def _safe_name(filename: str, suffix: str) -> str:
    stem = Path(filename).stem
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-")[:80] or "log"
    return f"{stem}{suffix}"


def _stage(source: Path, target: Path, *, disposable: bool) -> None:
    """The file under its own name in a private directory. A disposable source (an upload's
    temporary file) is hard-linked when it can be: no copy of a large upload. Anything else is
    copied, so the stored log never shares its bytes with a file someone may change later."""
    if disposable:
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copyfile(source, target)


def run_import(
    *,
    path: str | Path,
    filename: str,
    project: EvaluationProject,
    institute: Institute,
    uploaded_by=None,
    task: EvaluationTask | None = None,
    system: AISystem | None = None,
    guideline_version=None,
    notes: str = "",
    override_mismatch: bool = False,
    override_reason: str = "",
    disposable: bool = False,
) -> IngestResult:
    """Import the log at `path` (its name as the user gave it: `filename`) into `project` for
    `institute`. `uploaded_by` None means the platform itself (`import_log`): no role is asked.
    `disposable`: `path` is a temporary file the caller deletes (an upload), which may become the
    stored copy without being copied. Raises PermissionDenied, ValidationError (LogRejected among
    them) or LogReadError.

    `task`/`system` only choose among what matches the log's task name / model; a choice that
    contradicts the log is refused (400 naming both) unless `override_mismatch` is set with a
    non-empty `override_reason`, which the run then keeps with the uploader."""
    if override_mismatch and not override_reason.strip():
        raise ValidationError(
            {
                "override_reason": "Say why the run is filed under a task or system that its log "
                "contradicts: an override needs a reason."
            }
        )
    if override_reason.strip() and not override_mismatch:
        raise ValidationError(
            {"override_mismatch": "A reason was given but the override was not asked for."}
        )
    if uploaded_by is not None:
        access.require(
            access.can_act_for(uploaded_by, project, institute),
            f"You cannot add results to '{project.slug}' for {institute.name}: that takes the "
            "evaluator role at a participating institute.",
        )
    if (
        guideline_version is not None
        and not project.adoptions.filter(version=guideline_version).exists()
    ):
        raise ValidationError(
            {"guideline_version": f"Project '{project.slug}' has not adopted this version."}
        )
    suffix = "." + log_format(Path(filename))  # a name Concord cannot read: LogReadError
    storage = log_storage()
    stored: str | None = None
    with tempfile.TemporaryDirectory(prefix="concord-import-") as staging:
        staged = Path(staging) / _safe_name(filename, suffix)
        _stage(Path(path), staged, disposable=disposable)
        name = f"{IMPORTS_DIR}/{project.slug}/{uuid.uuid4().hex}{suffix}"
        try:
            with transaction.atomic():
                result = run_ingest_log(
                    path=staged,
                    project=project,
                    institute=institute,
                    source=EvaluationRun.Source.UPLOAD,
                    task=task,
                    system=system,
                    uploaded_by=uploaded_by,
                    guideline_version=guideline_version,
                    notes=notes,
                    log_file=name,
                    override_reason=override_reason if override_mismatch else "",
                )
                if result.created:
                    # On disk the staged copy is moved into place; a bucket gets it uploaded.
                    stored = logstore.save_file(staged, name, move=True)
                    if stored != name:
                        EvaluationRun.objects.filter(pk=result.run.pk).update(log_file=stored)
                        result.run.log_file = stored
                    # An evaluation reported while it ran (concord-client) now has its run.
                    external_run_link(run=result.run)
        except BaseException:
            if stored is not None:
                storage.delete(stored)
            raise
    return result


def import_message(result: IngestResult) -> str:
    """What the user is told after an import: the page, the API and `import_log` say the same."""
    run = result.run
    if result.created:
        return f"Imported run {run.pk}: {run.sample_count} samples."
    return f"This log was already imported as run {run.pk}; nothing was added."
