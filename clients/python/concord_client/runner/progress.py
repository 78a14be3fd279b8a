"""An Inspect hook that reports a job's progress to its supervisor through a pipe.

Hooks are process-wide singletons: this one is registered whenever the module is imported, and is
enabled only in an evaluation child, where `ProgressHooks.fd` is the write end of the pipe.
Messages are JSON lines far below PIPE_BUF, so each write is atomic.
"""

from __future__ import annotations

from typing import ClassVar

from inspect_ai.hooks import Hooks, SampleEnd, TaskStart, hooks

from concord_client.runner.child import send


def planned_samples(spec) -> int:
    """Samples x epochs that the task will run (the dataset after `limit`)."""
    ids = spec.dataset.sample_ids
    count = len(ids) if ids is not None else spec.dataset.samples or 0
    limit = spec.config.limit
    if isinstance(limit, int):
        count = min(count, limit)
    elif isinstance(limit, list | tuple) and len(limit) == 2:
        count = min(count, max(0, limit[1] - limit[0]))
    return count * (spec.config.epochs or 1)


@hooks(name="concord_progress", description="Reports a Concord job's progress to its worker.")
class ProgressHooks(Hooks):
    fd: ClassVar[int | None] = None
    done: ClassVar[int] = 0

    def enabled(self) -> bool:
        return ProgressHooks.fd is not None

    async def on_task_start(self, data: TaskStart) -> None:
        send(
            ProgressHooks.fd,
            {"event": "start", "eval_id": data.eval_id, "total": planned_samples(data.spec)},
        )

    async def on_sample_end(self, data: SampleEnd) -> None:
        ProgressHooks.done += 1
        send(ProgressHooks.fd, {"event": "sample", "done": ProgressHooks.done})
