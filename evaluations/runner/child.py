"""What runs inside the evaluation child process: one Inspect `eval()`, nothing else.

The child never touches the database (it inherited no connection: the supervisor closes them
before forking). It reports progress and its outcome through the pipe, and always leaves with
`os._exit`, so none of the Celery worker's code runs in it after the fork.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from typing import Any, NoReturn

from evaluations.runner.progress import ProgressHooks, send

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: if the supervising process dies (worker killed), the kernel kills this child too,
    so no evaluation runs on unsupervised. Elsewhere the heartbeat reaper still re-queues."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _reset_signals() -> None:
    # Celery pool processes ignore SIGINT and trap SIGTERM/SIGUSR1; an evaluation wants the
    # defaults, with SIGINT raising KeyboardInterrupt so that Inspect cancels cleanly (its asyncio
    # runner turns it into task cancellation and writes a `cancelled` log).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def run_eval(spec: dict[str, Any], fd: int) -> NoReturn:
    """Build the task, run it, report how it ended, exit. `spec` holds plain values only."""
    code = 1
    try:
        _reset_signals()
        _die_with_parent()
        ProgressHooks.fd, ProgressHooks.done = fd, 0

        from inspect_ai import eval as inspect_eval

        import evaluations.suites.demo_model  # noqa: F401  (registers the concord-demo models)
        from evaluations.runner.offline import ensure_tiktoken_encodings
        from evaluations.runner.refs import load_task

        ensure_tiktoken_encodings()
        task = load_task(spec["ref"], spec.get("task_args"))
        logs = inspect_eval(task, **spec["eval_kwargs"])
        if logs:
            log = logs[0]
            send(
                fd,
                {
                    "event": "finished",
                    "status": log.status,
                    "location": log.location,
                    "error": log.error.message if log.error else "",
                },
            )
        else:  # Inspect returns no log when the run was interrupted before it finished
            send(fd, {"event": "finished", "status": "cancelled", "location": "", "error": ""})
        code = 0
    except KeyboardInterrupt:
        send(fd, {"event": "finished", "status": "cancelled", "location": "", "error": ""})
        code = 0
    except BaseException as exc:
        message = str(exc) or exc.__class__.__name__
        if hasattr(exc, "messages"):  # a Django ValidationError from load_task
            message = " ".join(exc.messages)
        send(fd, {"event": "crashed", "message": f"{exc.__class__.__name__}: {message}"[:2000]})
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # nothing left to report to
                stream.flush()
        os._exit(code)
