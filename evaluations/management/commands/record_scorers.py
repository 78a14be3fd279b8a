"""python manage.py record_scorers [--project <slug>] [--run <id> ...] [--replace]

Records what each scorer of a run is (a judge with its grader model, or a rule) for runs
ingested before Concord recorded it at ingestion: it reads each run's stored log again
(`evaluations.services.scorers.run_scorers_record`, the same rules as ingestion). By default only
the runs without scorer rows are read; `--replace` reads the named runs again.

Exit status: 0 when every run read was recorded; 1 when a log could not be read (gone, damaged,
or the storage does not answer: each one is named, the others are still recorded); 2 when an
argument names nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from evaluations.ingestion.errors import LogReadError
from evaluations.logstore import StorageUnavailable
from evaluations.models import EvaluationProject, EvaluationRun
from evaluations.services.scorers import run_scorers_record


class Command(BaseCommand):
    help = "Record the scorers (judges and their grader models, or rules) of runs, from their logs."

    def add_arguments(self, parser):
        parser.add_argument("--project", help="Slug of a project: only its runs.")
        parser.add_argument("--run", type=int, action="append", help="Id of a run (repeatable).")
        parser.add_argument(
            "--replace", action="store_true", help="Read runs that already have scorer rows too."
        )

    def handle(self, *args, project=None, run=None, replace=False, **options):
        runs = EvaluationRun.objects.order_by("pk")
        if project:
            if not EvaluationProject.objects.filter(slug=project).exists():
                raise CommandError(f"No project '{project}'.", returncode=2)
            runs = runs.filter(project__slug=project)
        if run:
            missing = set(run) - set(runs.filter(pk__in=run).values_list("pk", flat=True))
            if missing:
                raise CommandError(
                    f"No run {', '.join(map(str, sorted(missing)))}"
                    + (f" in project '{project}'." if project else "."),
                    returncode=2,
                )
            runs = runs.filter(pk__in=run)
        if not replace:
            runs = runs.filter(scorers__isnull=True)
        recorded = failed = 0
        for item in runs.select_related("task").distinct():
            try:
                rows = run_scorers_record(run=item, replace=replace)
            except (FileNotFoundError, LogReadError, StorageUnavailable) as exc:
                failed += 1
                self.stderr.write(f"Run {item.pk}: not recorded: {exc}")
                continue
            recorded += 1
            judges = [
                f"{r.name} (judge: {r.grader_model or 'model unknown'})" for r in rows if r.judge
            ]
            self.stdout.write(
                f"Run {item.pk}: {len(rows)} scorer{'s' if len(rows) != 1 else ''}"
                + (f"; {', '.join(judges)}" if judges else "; no judge")
            )
        self.stdout.write(f"{recorded} run(s) recorded, {failed} not.")
        if failed:
            raise CommandError(f"{failed} run(s) could not be read.", returncode=1)
