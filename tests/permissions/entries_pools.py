"""Worker-pool pages: an institute's pools page (`/institutes/<code>/pools/`) exists only for the
institute's leads and programme managers (everyone else: 404, whatever the method); creating a
pool answers 200 with the page that shows its credential once; the buttons redirect. A project's
choice of pool for an institute is a project setup page: its leads (and programme managers)
only; members of the project who do not lead it get 403, outsiders 404.

The world adds a pool of institute A (`w.pool`, A's default) with a queued job (`w.pool_job`):
the worker API's entries (api_entries_worker.py) and the admin's checks use them."""

from __future__ import annotations

from evaluations.models import EvaluationJob
from evaluations.services.pools import pool_create
from tests.evaluations.factories import TaskFactory
from tests.permissions.registry import answers, register, world_part


@world_part
def pools_world(w) -> None:
    pool, raw = pool_create(
        institute=w.institute_a, name="a-pool", by=w.users["lead"], is_default=False
    )
    # Written directly: nothing goes to the broker from the matrix's world.
    job = EvaluationJob.objects.create(
        project=w.project,
        task=TaskFactory(slug="pool-matrix-task"),
        system=w.target,
        institute=w.institute_a,
        requested_by=w.users["evaluator"],
        pool=pool,
    )
    # B's pool, with no job (a row that can be deleted: the audit checks delete one).
    pool_b, _ = pool_create(institute=w.institute_b, name="b-pool", by=w.users["pm"])
    w.extra.update({"pool": pool, "pool_raw": raw, "pool_job": job, "pool_b": pool_b})


def leads_of_a(ok) -> dict:
    return answers(outsider=404, viewer=404, evaluator=404, lead=ok, pm=ok)


def institute(w) -> dict:
    return {"code": w.institute_a.code}


def pool(w) -> dict:
    return {"code": w.institute_a.code, "pk": w.pool.pk}


register(
    "pools:list",
    kwargs=institute,
    get=leads_of_a(200),
    post=leads_of_a(200),
    data=lambda w: {"name": "matrix-pool", "description": "", "is_default": ""},
)
register("pools:default", kwargs=pool, get=leads_of_a(405), post=leads_of_a(302))
register("pools:revoke", kwargs=pool, get=leads_of_a(405), post=leads_of_a(302))
register(
    "projects:participation_pool",
    kwargs=lambda w: {"slug": w.project.slug, "institute_id": w.institute_a.pk},
    get=answers(outsider=404, viewer=403, evaluator=403, lead=200, pm=200),
    post=answers(outsider=404, viewer=403, evaluator=403, lead=302, pm=302),
    data=lambda w: {"pool": w.pool.pk},
)
