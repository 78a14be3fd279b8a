"""What each scorer of a run is, for runs ingested before Concord recorded it.

Ingestion records one `RunScorer` per scorer of every new run (`evaluations.ingestion.judges`).
Runs ingested earlier have none: `run_scorers_record` reads the run's stored log again (its
header, then its samples one at a time) and writes the same rows, all or nothing. The
`record_scorers` command runs it over the runs that have none.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from evaluations import logstore
from evaluations.ingestion import judges
from evaluations.ingestion.errors import LogReadError
from evaluations.ingestion.formats import open_log
from evaluations.models import EvaluationRun, RunScorer


def run_scorers_record(*, run: EvaluationRun, replace: bool = False) -> list[RunScorer]:
    """Record the scorers of `run` from its log. A run that has its rows keeps them unless
    `replace`. FileNotFoundError when the log is gone, LogReadError when it cannot be read,
    StorageUnavailable when the storage does not answer; nothing is written then."""
    if not replace and run.scorers.exists():
        return list(run.scorers.all())
    if not run.log_file:
        raise FileNotFoundError(f"Run {run.pk} records no log file.")
    with logstore.local_copy(run.log_file) as path, open_log(Path(path), task=run.task) as reader:
        header = reader.header()
        graders = judges.SampleGraders()
        for _record in graders.watch(reader.samples()):
            pass
        records = judges.scorer_records(header, graders, rules_only=run.log_format != "inspect")
    if not records and run.scores.exists():
        raise LogReadError(f"The log of run {run.pk} names no scorer.")
    with transaction.atomic():
        RunScorer.objects.filter(run=run).delete()
        return RunScorer.objects.bulk_create(RunScorer(run=run, **r) for r in records)
