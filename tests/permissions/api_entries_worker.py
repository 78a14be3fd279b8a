"""The worker API (/api/v1/worker/): for worker pools' credentials only. The six kinds of user
hold user tokens, which it refuses: 403 for a valid token (whatever the method and the job), 401
without credentials (and for a revoked token, as everywhere). What pool credentials may do, and
that they open nothing else, is tested in tests/evaluations/pools/test_worker_api.py."""

from __future__ import annotations

from tests.permissions.registry import api_everyone, api_register

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
