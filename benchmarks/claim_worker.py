"""A Celery app for benchmark 4 (dispatch), started as `celery -A benchmarks.claim_worker worker`.

It registers two tasks only, on the benchmark Redis db:
- `evaluations.run_job` (the product's task name, so the product's `job_queue` reaches it): the
  product's claim (`evaluations.runner.supervisor.claim`, the conditional UPDATE that sets
  `started_at`), then the job is closed as failed with a note instead of forking an evaluation.
  This measures dispatch (POST -> commit -> broker -> worker -> claim) without the run itself.
- `bench.noop`: returns the time it started, through a Redis result backend: the round trip of an
  empty task on the same broker, measured in the same run.
"""

from __future__ import annotations

import os
import time

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.bench_settings")

app = Celery("concord-bench")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.result_backend = os.environ["REDIS_URL"]
app.conf.task_ignore_result = False


@app.task(name="evaluations.run_job", ignore_result=True)
def run_job(job_id: int) -> None:
    from django.utils import timezone

    from evaluations.models import EvaluationJob
    from evaluations.runner.supervisor import claim

    job = claim(int(job_id))
    if job is not None:
        EvaluationJob.objects.filter(pk=job.pk).update(
            status="failed", finished_at=timezone.now(), error="benchmark: claimed, not run"
        )


@app.task(name="bench.noop", ignore_result=False)
def noop() -> float:
    return time.time()
