"""Results pages (issues 4 and 6): jobs, runs, samples and reviews, a project's results, runs,
replications, comparisons, exports and the dashboard fragment.

The world: tests.evaluations.results_world (project "results-perm": A leads, B takes part, C does
not). Reading: anonymous -> login, outsider -> 404, participants and programme managers -> 200.
Acting (queue, cancel, retry, review): viewers 403, evaluators, leads and programme managers
redirect (302). POST-only routes answer a GET with 405 once the object is found (404 before).
Embargo cases are in test_results_embargo.py (one entry per route here).
"""

from __future__ import annotations

from django.conf import settings

from evaluations.models import EvaluationJob, ReviewLabel
from tests.evaluations.results_world import build_results_world
from tests.permissions.registry import answers, everyone, register, world_part


@world_part
def results_world(w) -> None:
    rw = build_results_world(
        institute_a=w.institute_a, institute_b=w.institute_b, slug="results-perm"
    )
    failed = EvaluationJob.objects.create(
        project=rw.project,
        task=rw.qa,
        system=rw.target,
        institute=w.institute_a,
        status=EvaluationJob.Status.FAILED,
        error="Worker lost.",
    )
    log_dir = settings.CONCORD_LOG_DIR / "permissions"
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / "run-a.eval").write_bytes(b"PK not really a log")
    rw.run_a.log_file = "permissions/run-a.eval"
    rw.run_a.save(update_fields=["log_file"])
    w.extra.update(
        {
            "rw": rw,
            "failed_job": failed,
            "sample_a": rw.run_a.samples.order_by("id").first(),
            "label": ReviewLabel.objects.get(slug="refusal"),
        }
    )


def read() -> dict:
    return answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200)


def act(ok=302) -> dict:
    return answers(outsider=404, viewer=403, evaluator=ok, lead=ok, pm=ok)


def post_only() -> dict:
    return answers(outsider=404, viewer=405, evaluator=405, lead=405, pm=405)


def project(w) -> dict:
    return {"slug": w.rw.project.slug}


def run_a(w) -> dict:
    return {"run_id": w.rw.run_a.pk}


# --- jobs ---------------------------------------------------------------------------------
register("jobs:detail", kwargs=lambda w: {"job_id": w.rw.running.pk}, get=read())
register(
    "jobs:cancel",
    kwargs=lambda w: {"job_id": w.rw.running.pk},
    get=post_only(),
    post=act(),
)
register(
    "jobs:retry",
    kwargs=lambda w: {"job_id": w.failed_job.pk},
    get=post_only(),
    post=act(),
)
register(
    "jobs:queue",
    kwargs=project,
    get=act(200),
    post=act(),
    data=lambda w: {
        "task": w.rw.qa.pk,
        "system": w.rw.target.pk,
        "institute": w.institute_a.pk,
        "limit": 2,
    },
)

# --- runs and samples ---------------------------------------------------------------------
register("runs:detail", kwargs=run_a, get=read())
register("runs:log", kwargs=run_a, get=read())
register("runs:samples_csv", kwargs=run_a, get=read())
register("runs:samples_json", kwargs=run_a, get=read())
register(
    "runs:sample_detail",
    kwargs=lambda w: {"run_id": w.rw.run_a.pk, "sample_pk": w.sample_a.pk},
    get=read(),
)
register(
    "runs:sample_review",
    kwargs=lambda w: {"run_id": w.rw.run_a.pk, "sample_pk": w.sample_a.pk},
    get=post_only(),
    post=act(),
    data=lambda w: {"label": w.label.pk, "manual_score": "0", "note": "Refused."},
)
# Choosing a cell's headline run: leads of a participating institute and programme managers.
# Unpinning a run that is not pinned is refused with a message (still a redirect).
register(
    "runs:pin",
    kwargs=run_a,
    get=post_only(),
    post=answers(outsider=404, viewer=403, evaluator=403, lead=302, pm=302),
)
register(
    "runs:unpin",
    kwargs=run_a,
    get=post_only(),
    post=answers(outsider=404, viewer=403, evaluator=403, lead=302, pm=302),
)
register(
    "runs:compare",
    get=read(),
    query=lambda w: {"a": w.rw.run_a.pk, "b": w.rw.run_b.pk},
)

# --- a project's results ------------------------------------------------------------------
register("projects:results", kwargs=project, get=read())
register("projects:results_csv", kwargs=project, get=read())
register("projects:results_json", kwargs=project, get=read())
register("projects:runs", kwargs=project, get=read())
register("projects:replications", kwargs=project, get=read())

# --- the dashboard's live panel -----------------------------------------------------------
register("dashboard:jobs", get=everyone(200))
