"""python manage.py import_log <path> --project <slug> --institute <code>
                             [--task <slug>] [--system <id or model>] [--guideline-version <id>]
                             [--notes <text>] [--override-mismatch --override-reason <text>]

Imports a log computed elsewhere (an Inspect `.eval` or `.json` log, or lm-evaluation-harness
results: `results_*.json`, or a `.zip` of its output folder) with the same service as the upload
API (`evaluations.services.imports.run_import`): the same checks, the same ingestion, the file
kept in the log storage. Run by an operator, so no role is asked; the audit trail records it as
the system.

Exit status: 0 when the run was imported, or had been before (it says which); 1 when the log is
refused (unreadable, unsafe, incomplete, its task or model matches nothing in Concord, or
--task/--system contradicts the log without --override-mismatch and a reason: the message says
what); 2 when an argument names nothing (no such file, project, institute, task,
system or guideline version).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from evaluations.ingestion import LogReadError
from evaluations.models import AISystem, EvaluationProject, EvaluationTask, GuidelineVersion
from evaluations.services.imports import import_message, run_import
from institutes import audit
from institutes.models import Institute

USAGE, REFUSED = 2, 1


def _usage(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE)


class Command(BaseCommand):
    help = (
        "Import an Inspect log (.eval, .json) or lm-evaluation-harness results "
        "(results_*.json, or a .zip of its output folder) into a project as a run of an institute."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The log file.")
        parser.add_argument("--project", required=True, help="Slug of the project.")
        parser.add_argument(
            "--institute", required=True, help="Code of the participating institute that ran it."
        )
        parser.add_argument(
            "--task", help="Slug of the evaluation task (default: the task named in the log)."
        )
        parser.add_argument(
            "--system",
            help="Id of a system of the project, or its Inspect model name (default: the system "
            "with the log's model).",
        )
        parser.add_argument(
            "--guideline-version", type=int, help="Id of the adopted guideline version followed."
        )
        parser.add_argument("--notes", default="", help="Notes kept with the run.")
        parser.add_argument(
            "--override-mismatch",
            action="store_true",
            help="File the run under --task/--system even though the log's own task name or "
            "model contradicts them (refused otherwise); needs --override-reason.",
        )
        parser.add_argument(
            "--override-reason", default="", help="Why the override: kept and shown on the run."
        )

    def handle(self, *args, path, project, institute, task, system, notes, **options):
        source = Path(path).expanduser()
        if not source.is_file():
            raise _usage(f"There is no file at '{source}'.")
        the_project = EvaluationProject.objects.filter(slug=project).first()
        if the_project is None:
            raise _usage(f"There is no project '{project}'.")
        the_institute = Institute.objects.filter(code=institute).first()
        if the_institute is None:
            raise _usage(f"There is no institute '{institute}'.")
        the_task = None
        if task:
            the_task = EvaluationTask.objects.filter(slug=task, is_active=True).first()
            if the_task is None:
                raise _usage(f"There is no active evaluation task '{task}'.")
        the_system = self._system(the_project, system) if system else None
        version = None
        if options.get("guideline_version") is not None:
            version = GuidelineVersion.objects.filter(pk=options["guideline_version"]).first()
            if version is None:
                raise _usage(f"There is no guideline version {options['guideline_version']}.")
        try:
            with audit.acting_as(actor_kind="system", source="manage.py import_log"):
                result = run_import(
                    path=source,
                    filename=source.name,
                    project=the_project,
                    institute=the_institute,
                    task=the_task,
                    system=the_system,
                    guideline_version=version,
                    notes=notes,
                    override_mismatch=options.get("override_mismatch", False),
                    override_reason=options.get("override_reason") or "",
                )
        except LogReadError as exc:
            raise CommandError(str(exc), returncode=REFUSED) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=REFUSED) from exc
        run = result.run
        if not result.created:
            self.stdout.write(f"{import_message(result)} ({run.inspect_eval_id})")
            return
        figure = (
            f"{run.primary_scorer}/{run.primary_metric} = {run.primary_value:.4g}"
            if run.primary_value is not None
            else "no headline score"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported run {run.pk}: {run.task} on {run.system} for "
                f"{the_institute.code}, {run.sample_count} samples, {figure}, status {run.status}."
            )
        )

    @staticmethod
    def _system(project: EvaluationProject, value: str) -> AISystem:
        systems = AISystem.objects.filter(project_systems__project=project)
        found = list(
            systems.filter(pk=int(value))
            if value.isdigit()
            else systems.filter(inspect_model=value)
        )
        if len(found) == 1:
            return found[0]
        if not found:
            raise _usage(f"Project '{project.slug}' has no system '{value}'.")
        raise _usage(f"Several systems of '{project.slug}' use '{value}': give the id.")
