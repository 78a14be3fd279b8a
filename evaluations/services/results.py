"""Writes for a project's results: a lead pins the run that stands for a results cell (project,
task, system), or unpins it so the rule chooses again (`evaluations.results.representative`).

Who may: a lead of a participating institute, or a programme manager (`access.can_manage`).
Which run: a successful run of the project; it stands for its own task and system. Pinning
another run of the same cell replaces the pin. Both writes are audited by the table's trigger.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from evaluations.models import EvaluationRun, PinnedRun
from institutes import access


def _require_lead(user, run: EvaluationRun) -> None:
    access.require(
        access.can_manage(user, run.project),
        "Only a lead of a participating institute or a programme manager chooses a cell's run.",
    )


@transaction.atomic
def run_pin(*, user, run: EvaluationRun) -> PinnedRun:
    """Make `run` the headline of its cell (project, task, system), whoever pinned before."""
    _require_lead(user, run)
    if run.status != EvaluationRun.Status.SUCCESS:
        raise ValidationError(
            f"Run {run.pk} did not succeed ({run.get_status_display()}): only a successful run "
            "can stand for a results cell."
        )
    pin, _created = PinnedRun.objects.select_for_update().update_or_create(
        project=run.project,
        task_id=run.task_id,
        system_id=run.system_id,
        defaults={"run": run, "pinned_by": user, "pinned_at": timezone.now()},
    )
    return pin


@transaction.atomic
def run_unpin(*, user, run: EvaluationRun) -> None:
    """Remove the pin of `run`'s cell if it pins `run`: the cell's run is chosen by the rule
    again (the latest complete successful run)."""
    _require_lead(user, run)
    deleted, _ = PinnedRun.objects.filter(run=run).delete()
    if not deleted:
        raise ValidationError(f"Run {run.pk} is not pinned.")
