"""Fork the evaluation child and supervise it until it exits.

`supervise(spec, check_in=...)` is the whole loop: it forks the child (`child.run_eval`), reads
its progress from the pipe, calls `check_in(done, total)` every `check_every` seconds, stops the
child on `"cancel"` or at the time limit (SIGINT, then SIGKILL after the grace period), kills it
on `"lost"` (the job is no longer this attempt's), and returns an `Outcome`. The callback is the
caller's: it writes a job row (Concord's Celery worker) or calls the worker API (`concord
worker`). Imports nothing of Inspect or Django.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

CheckIn = Callable[[int, int], "str | None"]  # (done, total) -> "cancel" | "lost" | None
CANCEL, LOST = "cancel", "lost"


@dataclass
class Outcome:
    owned: bool = True  # False: the job was taken from this attempt (check_in answered "lost")
    stop: str = ""  # "cancel" | "time_limit" when the supervisor stopped the child
    killed: bool = False  # the child had to be SIGKILLed
    exit_status: int | None = None
    message: dict[str, Any] = field(default_factory=dict)  # the child's last word
    done: int = 0
    total: int = 0

    @property
    def status(self) -> str | None:
        """The log's status as the child reported it (success | error | cancelled), or None."""
        return self.message.get("status") if self.message.get("event") == "finished" else None


def fork_child(
    spec: dict[str, Any],
    *,
    preload: Sequence[str] = (),
    before_fork: Callable[[], None] | None = None,
) -> tuple[int, int]:
    """Start the child; returns (pid, the read end of its pipe, non-blocking)."""
    read_fd, write_fd = os.pipe()
    if before_fork is not None:  # e.g. close database connections the child must not share
        before_fork()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (runs in the child; covered by the worker tests)
        os.close(read_fd)
        from concord_client.runner.child import run_eval

        run_eval(spec, write_fd, preload)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    return pid, read_fd


def read_messages(fd: int, buffer: bytearray) -> list[dict[str, Any]]:
    try:
        while chunk := os.read(fd, 65536):
            buffer.extend(chunk)
    except BlockingIOError:
        pass
    messages = []
    while b"\n" in buffer:
        line, _, rest = bytes(buffer).partition(b"\n")
        buffer[:] = rest
        try:
            messages.append(json.loads(line))
        except ValueError:
            logger.warning("unreadable message from evaluation child: %r", line[:200])
    return messages


def _take(outcome: Outcome, message: dict[str, Any]) -> None:
    event = message.get("event")
    if event == "start":
        outcome.total = int(message.get("total") or 0)
    elif event == "sample":
        outcome.done = int(message.get("done") or 0)
    else:
        outcome.message = message


def supervise(
    spec: dict[str, Any],
    *,
    check_in: CheckIn,
    check_every: float = 1.0,
    time_limit: float = 6 * 3600.0,
    grace: float = 5.0,
    preload: Sequence[str] = (),
    before_fork: Callable[[], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    label: str = "job",
) -> Outcome:
    """Run the child until it exits; meanwhile hand its progress to `check_in`, and stop it on
    cancel, at the time limit, or when `should_stop()` turns true (the worker is shutting down:
    reported as a cancel). An exception from `check_in` is logged and the evaluation goes on
    (the next check-in tries again)."""
    outcome = Outcome()
    pid, fd = fork_child(spec, preload=preload, before_fork=before_fork)
    buffer = bytearray()
    started = time.monotonic()
    last_check = 0.0
    stop_sent_at: float | None = None
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.25)
            for message in read_messages(fd, buffer) if ready else []:
                _take(outcome, message)
            waited_pid, status = os.waitpid(pid, os.WNOHANG)
            if waited_pid:
                outcome.exit_status = status
                for message in read_messages(fd, buffer):
                    _take(outcome, message)
                return outcome

            now = time.monotonic()
            if outcome.owned and now - last_check >= check_every:
                last_check = now
                try:
                    answer = check_in(min(outcome.done, outcome.total), outcome.total)
                except Exception:
                    logger.warning(
                        "%s: check-in failed; the evaluation goes on", label, exc_info=True
                    )
                    answer = None
                if answer == LOST:
                    outcome.owned = False
                    logger.warning("%s: no longer ours; stopping the evaluation", label)
                    kill(pid)
                    continue
                if answer == CANCEL and not outcome.stop:
                    outcome.stop = "cancel"
            if not outcome.stop and should_stop is not None and should_stop():
                outcome.stop = "cancel"
            if not outcome.stop and now - started >= time_limit:
                outcome.stop = "time_limit"
            if outcome.stop and stop_sent_at is None:
                logger.info("%s: stopping the evaluation (%s)", label, outcome.stop)
                signal_child(pid, signal.SIGINT)
                stop_sent_at = now
            elif stop_sent_at is not None and now - stop_sent_at >= grace and not outcome.killed:
                logger.warning("%s: evaluation did not stop within %ss; killing", label, grace)
                kill(pid)
                outcome.killed = True
    finally:
        os.close(fd)
        if outcome.exit_status is None:  # leaving on an exception: the child must not outlive us
            kill(pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def signal_child(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def kill(pid: int) -> None:
    signal_child(pid, signal.SIGKILL)


def describe_exit(status: int | None) -> str:
    """A sentence for a child that ended without reporting a result."""
    if status is None:
        return "The evaluation process ended without reporting."
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        name = (
            signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else signum
        )
        return (
            f"The evaluation process was killed by {name} before it finished "
            "(out of memory, or stopped by the system)."
        )
    return f"The evaluation process exited with status {os.WEXITSTATUS(status)} without a result."
