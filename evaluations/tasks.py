"""Celery tasks of this app: thin, they take ids and call the runner and services.

Queues: `run_job` goes to `evals` (routed in settings.CELERY_TASK_ROUTES; a job may name another
queue, e.g. `evals-gpu`), `ingest_pool_log` (a worker pool's uploaded log) to `ingest`, the
periodic reaper and reconciler to `default`.
"""

from __future__ import annotations

from celery import shared_task, signals

from evaluations.logstore import StorageUnavailable


@signals.worker_init.connect
def _preload_inspect(**kwargs) -> None:
    """In the worker's main process, before the pool forks: import Inspect (seconds, cold)
    once, place the offline tiktoken files, and run one tiny evaluation so that what the first
    `eval()` imports lazily (seconds more) is loaded too: pool processes and the evaluation
    children they fork start warm (`evaluations.runner.warmup`)."""
    from evaluations.runner import supervisor  # noqa: F401  (imports inspect_ai)
    from evaluations.runner.offline import ensure_tiktoken_encodings
    from evaluations.runner.warmup import warm_up_inspect

    ensure_tiktoken_encodings()
    warm_up_inspect()


# Not acks_late: a lost worker is detected by the heartbeat reaper, which re-queues from the
# database; the claim is a conditional UPDATE, so a redelivered message could not run twice anyway.
@shared_task(name="evaluations.run_job", ignore_result=True)
def run_job(job_id: int) -> str:
    from evaluations.runner.supervisor import run_job as run

    return run(int(job_id))


# A log storage that does not answer for a moment (a bucket restarting): tried again a few
# times, seconds apart, within the reaper's patience (CONCORD_JOB_STALE_SECONDS).
@shared_task(
    name="evaluations.ingest_pool_log",
    ignore_result=True,
    autoretry_for=(StorageUnavailable, OSError),
    dont_autoretry_for=(FileNotFoundError,),
    retry_backoff=5,
    retry_backoff_max=30,
    max_retries=3,
)
def ingest_pool_log(job_id: int, attempt: int, status: str, error: str, eval_id: str) -> str:
    """Ingest the log an institute's worker pool uploaded for a job (queue `ingest`)."""
    from evaluations.services.pool_jobs import pool_job_ingest

    return pool_job_ingest(
        job_id=int(job_id), attempt=int(attempt), status=status, error=error, eval_id=eval_id
    )


# The periodic sweeps stop within their beat interval (30 s and 120 s by default), so a slow
# database cannot pile runs up: the soft limit raises inside the task, the hard one ends its
# process. Both are safe to cut short: a sweep writes in a transaction that then rolls back (its
# rows are locked with SKIP LOCKED), and the next run finds the same jobs again.
@shared_task(name="evaluations.reap_jobs", ignore_result=True, soft_time_limit=25, time_limit=30)
def reap_jobs() -> dict[str, int]:
    from evaluations.services.jobs import jobs_reap

    return jobs_reap()


@shared_task(
    name="evaluations.reconcile_jobs", ignore_result=True, soft_time_limit=100, time_limit=120
)
def reconcile_jobs() -> int:
    from evaluations.services.jobs import jobs_reconcile

    return jobs_reconcile()
