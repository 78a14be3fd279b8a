"""The job runner: how a Celery worker runs one evaluation job with Inspect.

Decision: **Inspect runs in a child process that the Celery task supervises** (`supervisor.py`
forks it; `child.py` is what runs inside), not in the Celery worker process itself.

Why (the two forces are cancellation and memory):

- Cancellation. A child can always be stopped: SIGINT makes Inspect cancel cleanly and write a
  `cancelled` log promptly, and if it does not exit within the grace period
  SIGKILL ends it, whatever it was blocked on (a hung model call, a tool in C code). The
  in-process alternatives depend on Inspect noticing: hooks only run between events, cannot
  cancel by raising (Inspect swallows hook exceptions), and `inspect_ai._control.cancel` is a
  private API; Celery's `revoke(terminate=True)` kills the whole pool process and loses the
  task's bookkeeping. The supervisor stays responsive and owns the job row throughout: it
  writes the heartbeat and progress, polls `cancel_requested`, enforces the job's soft and hard
  time limits, and records the outcome even when the evaluation crashed or was killed.
- Memory. An evaluation's memory (datasets, transcripts, provider clients) is returned to the
  system when the child exits; Celery pool processes otherwise grow from job to job and do not
  give the memory back. Only one `eval()` may run per process anyway.

Cost: one fork per job to start the child (`fork`, not `spawn`: the Celery parent already
imported Inspect and ran one tiny evaluation so that its lazy imports are done, see
`evaluations.tasks` and `warmup.py`), which is small next to any real evaluation (figures in
benchmarks/README.md). The child does not touch the database: it reports progress to the
supervisor through a pipe (`progress.py`), and the supervisor writes it.
"""
