"""The job runner: how a Celery worker runs one evaluation job with Inspect.

Inspect runs in a child process that the worker supervises. The fork, the child and the
supervise loop are shared with institutes' own machines (`concord worker`) and live in the
client package: `concord_client.runner` (its docstring gives the decision and why: cancellation
and memory). What stays here is Concord's side: `supervisor.py` claims the job, builds the spec,
passes a check-in that writes the job row (heartbeat, progress, cancel flag, fenced by the
attempt) and records the outcome; `refs.py` validates task references for forms and the API;
`warmup.py` imports Inspect in the worker's main process before the pool forks, so each forked
child starts warm (`evaluations.tasks`; figures in benchmarks/README.md).
"""
