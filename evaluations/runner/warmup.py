"""Warm Inspect up in the worker's main process, before the pool forks.

The first `eval()` in a process spends seconds importing what Inspect loads lazily (the OpenAI SDK's
types, model providers, the scorers' and log writers' modules), far more than the next
evaluation in the same process takes (figures in benchmarks/README.md). Every job runs in a
freshly forked child (see the package docstring), so without this each job paid that cost
again. One tiny evaluation here (the mock model, one sample, a throwaway log folder) leaves those
modules imported in the main process; pool processes and the evaluation children they fork
inherit them.

It runs nothing of a job's, leaves no thread behind, and a failure only costs the speed-up: it is
logged and the worker starts anyway.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time

logger = logging.getLogger(__name__)


def warm_up_inspect() -> float | None:
    """Run one mock evaluation in this process; returns its seconds, or None when it failed."""
    started = time.monotonic()
    try:
        from inspect_ai import Task
        from inspect_ai import eval as inspect_eval
        from inspect_ai.dataset import Sample
        from inspect_ai.scorer import match

        with tempfile.TemporaryDirectory(prefix="concord-warmup-") as log_dir:
            logs = inspect_eval(
                Task(dataset=[Sample(input="warm-up", target="warm-up")], scorer=match()),
                model="mockllm/model",
                log_dir=log_dir,
                display="none",
            )
        _wait_for_stray_threads(timeout=5.0)
        if not logs or logs[0].status != "success":
            logger.warning("Inspect warm-up did not succeed: %s", logs[0].error if logs else "")
            return None
    except Exception:
        logger.warning("Inspect warm-up failed; each job will import Inspect anew", exc_info=True)
        return None
    return time.monotonic() - started


def _wait_for_stray_threads(*, timeout: float) -> None:
    """A thread alive at fork time leaves its locks copied mid-use in the child: give the
    evaluation's last threads (they end shortly after `eval()` returns) time to finish."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
