"""The page of an external run: /external-runs/<id>/ (an evaluation institute A runs on its own
machines and reports to Concord). Visible to whoever sees the project: anonymous -> login,
outsider -> 404, participants and programme managers -> 200."""

from __future__ import annotations

from tests.permissions.registry import answers, register, world_part


@world_part
def external_run(w):
    """Institute A's external run in the world's project, made once per world (a world part, so
    the admin's change pages have a row to name too)."""
    if "external_run" not in w.extra:
        from evaluations.models import ExternalRun

        w.extra["external_run"] = ExternalRun.objects.create(
            project=w.project,
            institute=w.institute_a,
            reported_by=w.users["evaluator"],
            eval_id="matrix-external-eval",
            task_name="arith",
            model="mockllm/model",
            samples_total=10,
        )
    return w.extra["external_run"]


register(
    "external_runs:detail",
    kwargs=lambda w: {"external_run_id": external_run(w).pk},
    get=answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200),
)
