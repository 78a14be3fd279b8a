"""API routes for tasks, jobs, runs and run samples. The world is the page matrix's
(project `frontier` led by A with B as partner, target system under an open window); this module
adds, on first use, a queued job, a failed job and a run with two samples, all of institute A.

Reading: anonymous 401, outsider 404 (jobs and runs of a project they do not see), participants
and programme managers 200. Writing: 403 below the evaluator role, 404 for outsiders on objects
they cannot see; a job named by a project the outsider cannot see is invalid input (400).
"""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_everyone, api_register


def _jobs_world(w) -> dict:
    """Objects of this area, made once per world (outside the per-request rollback)."""
    if "jobs_world" not in w.extra:
        from evaluations.models import EvaluationJob, EvaluationTask, RunScore, SampleResult
        from evaluations.services.tasks import task_builtin_upsert
        from tests.evaluations.factories import JobFactory, RunFactory

        task_builtin_upsert()
        task = EvaluationTask.objects.get(slug="concord-knowledge-qa")
        common = {
            "project": w.project,
            "task": task,
            "system": w.target,
            "institute": w.institute_a,
            "requested_by": w.users["evaluator"],
        }
        queued = JobFactory(**common)
        failed = JobFactory(**common, status=EvaluationJob.Status.FAILED, error="lost")
        run = RunFactory(**{k: v for k, v in common.items() if k != "requested_by"}, scored=True)
        RunScore.objects.create(run=run, scorer="pattern", metric="accuracy", value=0.5)
        sample = SampleResult.objects.create(run=run, sample_id="qa-01", score=1.0)
        SampleResult.objects.create(run=run, sample_id="qa-02", score=0.0)
        w.extra["jobs_world"] = {
            "task": task,
            "queued": queued,
            "failed": failed,
            "run": run,
            "sample": sample,
        }
    return w.extra["jobs_world"]


def read() -> dict:
    return api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200)


def act(ok: int = 200) -> dict:
    return api_answers(outsider=404, viewer=403, evaluator=ok, lead=ok, pm=ok)


# --- tasks ---------------------------------------------------------------------------------
api_register(
    "task-list",
    get=api_everyone(200),
    # Without a project, a global task: programme managers only (a lead registers a task of
    # their project: tests/evaluations/api/test_tasks.py).
    post=api_answers(outsider=403, viewer=403, evaluator=403, lead=403, pm=201),
    data=lambda w: {
        "name": "Matrix task",
        "inspect_ref": "evaluations.suites.knowledge_qa:concord_knowledge_qa",
    },
)
api_register(
    "task-detail",
    kwargs=lambda w: {"slug": _jobs_world(w)["task"].slug},
    get=api_everyone(200),
)

# --- jobs ----------------------------------------------------------------------------------
api_register(
    "job-list",
    get=api_everyone(200),
    post=api_answers(outsider=400, viewer=403, evaluator=201, lead=201, pm=201),
    # dan (evaluator at the partner institute B) does not act for A, which the data names.
    partner={"POST": 403},
    data=lambda w: {
        "project": w.project.slug,
        "task": _jobs_world(w)["task"].slug,
        "system": w.target.pk,
        "institute": w.institute_a.code,
        "params": {"limit": 2},
    },
)
api_register("job-detail", kwargs=lambda w: {"pk": _jobs_world(w)["queued"].pk}, get=read())
# A's jobs: cancelled or retried by A's evaluators and the project's leads, not by B's evaluators.
api_register(
    "job-cancel",
    kwargs=lambda w: {"pk": _jobs_world(w)["queued"].pk},
    post=act(),
    partner={"POST": 403},
)
api_register(
    "job-retry",
    kwargs=lambda w: {"pk": _jobs_world(w)["failed"].pk},
    post=act(201),
    partner={"POST": 403},
)

# --- runs ----------------------------------------------------------------------------------
api_register("run-list", get=api_everyone(200))
api_register("run-detail", kwargs=lambda w: {"pk": _jobs_world(w)["run"].pk}, get=read())
api_register("run-sample-list", kwargs=lambda w: {"run_id": _jobs_world(w)["run"].pk}, get=read())
api_register(
    "run-sample-detail",
    kwargs=lambda w: {"run_id": _jobs_world(w)["run"].pk, "pk": _jobs_world(w)["sample"].pk},
    get=read(),
)
