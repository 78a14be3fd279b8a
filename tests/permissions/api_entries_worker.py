"""The worker API (/api/v1/worker/): for worker pools' credentials only. The six kinds of user
hold user tokens, which it refuses: 403 for a valid token (whatever the method and the job), 401
without credentials (and for a revoked token, as everywhere). What pool credentials may do, and
that they open nothing else, is tested in tests/evaluations/pools/test_worker_api.py."""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_everyone, api_register

REFUSED = api_everyone(403)


def job(w) -> dict:
    return {"pk": w.pool_job.pk}


api_register("worker-claim", post=REFUSED, data=lambda w: {"wait": 0})
api_register("worker-job-heartbeat", kwargs=job, post=REFUSED, data=lambda w: {"attempt": 1})
api_register("worker-job-log", kwargs=job, put=REFUSED, data=lambda w: {})
api_register(
    "worker-job-finish",
    kwargs=job,
    post=REFUSED,
    data=lambda w: {"attempt": 1, "status": "crashed"},
)


# Managing pools (/api/v1/worker-pools/): an institute's pools exist for its leads and programme
# managers only (404 for anyone else); making one takes the lead role somewhere (403 below it),
# and naming an institute one does not lead reads as "no such institute" (400).
LEADS_OF_A = {"anonymous": 401, "outsider": 404, "viewer": 404, "evaluator": 404}


def pool(w) -> dict:
    return {"pk": w.pool.pk}


api_register(
    "worker-pool-list",
    get=api_everyone(200),
    post=api_answers(outsider=400, viewer=403, evaluator=403, lead=201, pm=201),
    data=lambda w: {"institute": w.institute_a.code, "name": "matrix-api-pool"},
)
api_register("worker-pool-detail", kwargs=pool, get={**LEADS_OF_A, "lead": 200, "pm": 200})
api_register("worker-pool-revoke", kwargs=pool, post={**LEADS_OF_A, "lead": 200, "pm": 200})
api_register("worker-pool-make-default", kwargs=pool, post={**LEADS_OF_A, "lead": 200, "pm": 200})
# A project's choice of pool per participating institute: seen by its participants, made by its
# leads.
api_register(
    "project-worker-pools",
    kwargs=lambda w: {"slug": w.project.slug},
    get=api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200),
    post=api_answers(outsider=404, viewer=403, evaluator=403, lead=200, pm=200),
    data=lambda w: {"institute": w.institute_a.code, "pool": w.pool.pk},
)
