"""What runs inside the evaluation child process: one Inspect `eval()`, nothing else.

The child talks to nobody but its supervisor: it reports progress and its outcome through the
pipe, and always leaves with `os._exit`, so none of the worker's code (Celery's, Django's, the
`concord worker` loop) runs in it after the fork.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

_PR_SET_PDEATHSIG = 1


def send(fd: int | None, message: dict[str, Any]) -> None:
    """One JSON line to the supervisor (far below PIPE_BUF, so each write is atomic)."""
    if fd is None:
        return
    # OSError: the supervisor is gone; the child dies with it (PR_SET_PDEATHSIG)
    with contextlib.suppress(OSError):
        os.write(fd, (json.dumps(message) + "\n").encode())


def _die_with_parent() -> None:
    """Linux: if the supervising process dies (worker killed), the kernel kills this child too,
    so no evaluation runs on unsupervised. Elsewhere the heartbeat reaper still re-queues."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _reset_signals() -> None:
    # Celery pool processes ignore SIGINT and trap SIGTERM/SIGUSR1, `concord worker` traps
    # SIGINT/SIGTERM; an evaluation wants the defaults, with SIGINT raising KeyboardInterrupt so
    # that Inspect cancels cleanly (its asyncio runner turns it into task cancellation and writes
    # a `cancelled` log).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def _error_text(exc: BaseException) -> str:
    message = str(exc) or exc.__class__.__name__
    messages = getattr(exc, "messages", None)  # e.g. a Django ValidationError from a task
    if isinstance(messages, list) and messages:
        message = " ".join(str(m) for m in messages)
    return f"{exc.__class__.__name__}: {message}"[:2000]


def run_eval(spec: dict[str, Any], fd: int, preload: Sequence[str] = ()) -> NoReturn:
    """Import the `preload` modules, build the task, run it, report how it ended, exit.
    `spec` holds plain values only: `ref`, `task_args`, `eval_kwargs`."""
    code = 1
    try:
        _reset_signals()
        _die_with_parent()
        from concord_client.runner.progress import ProgressHooks

        ProgressHooks.fd, ProgressHooks.done = fd, 0

        from inspect_ai import eval as inspect_eval

        from concord_client.runner.offline import ensure_tiktoken_encodings
        from concord_client.runner.refs import load_task

        for module in preload:
            importlib.import_module(module)
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
                    "eval_id": log.eval.eval_id,
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
        send(fd, {"event": "crashed", "message": _error_text(exc)})
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # nothing left to report to
                stream.flush()
        os._exit(code)
