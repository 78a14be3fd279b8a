"""The Inspect hook: report Inspect runs to Concord while they run, then upload their logs.

Installed with the package (entry point group `inspect_ai`), so every `inspect eval` in the
environment loads it; it does nothing at all unless Concord's url, token, project and institute
are configured (environment or concord.toml: see `concord_client.config`).

For each task (one Inspect `eval_id`; an eval set has several), in this order:

1. at task start, report the external run (`POST /api/v1/external-runs/`) with the number of
   samples it will run (dataset samples x epochs, within the limit);
2. after samples, report `samples_done`, at most every PROGRESS_EVERY seconds;
3. at task end, the final status and count, then upload the log (`POST /api/v1/runs/import/`);
   Concord links the external run to the imported run by the eval id.

Concord being down or slow must never fail or slow the evaluation: the hook's methods only queue
work for one background thread, whose requests have short timeouts. A failure logs ONE warning
per task (logger `concord_client`). An upload that could not be sent is retried with backoff; at
the end of the Inspect run the hook waits at most CONCORD_UPLOAD_GRACE_SECONDS (default 10) for
the uploads still going, and writes whatever was not sent to the pending directory for
`concord upload --pending`. A refusal (4xx: e.g. a token that may not write to the project) is
not retried and not left pending: the warning says why.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio.to_thread
from inspect_ai.hooks import Hooks, RunEnd, SampleEnd, TaskEnd, TaskStart, hooks

from concord_client import pending
from concord_client.api import Client, ConcordError, Refused
from concord_client.config import ConfigError, Settings, load

logger = logging.getLogger("concord_client")

PROGRESS_EVERY = 2.0  # seconds between progress reports of one task
RETRY_DELAYS = (2.0, 5.0, 15.0)  # seconds before the upload's 2nd, 3rd and 4th attempts
STATUS = {"success": "succeeded", "error": "failed", "cancelled": "cancelled"}


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def samples_total(spec: Any) -> int:
    """Samples the task will run: dataset samples (within `limit` / `sample_id`) x epochs."""
    count = spec.dataset.samples or 0
    config = spec.config
    limit = config.limit
    if isinstance(limit, int):
        count = min(count, limit)
    elif isinstance(limit, (tuple, list)) and len(limit) == 2:
        count = max(0, min(count, limit[1]) - limit[0])
    if config.sample_id is not None:
        ids = config.sample_id if isinstance(config.sample_id, list) else [config.sample_id]
        count = min(count, len(ids)) if count else len(ids)
    return count * (config.epochs or 1)


class _Worker:
    """One daemon thread running queued calls in due-time order (later: retries)."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, call: Callable[[], None], delay: float = 0.0) -> None:
        with self._wake:
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._order), call))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="concord-hook", daemon=True)
                self._thread.start()
            self._wake.notify()

    def hurry(self) -> None:
        """Make every waiting call due now (at the end of a run, retries do not wait)."""
        with self._wake:
            self._queue = [(0.0, order, call) for _, order, call in self._queue]
            heapq.heapify(self._queue)
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue or self._queue[0][0] > time.monotonic():
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._wake.wait(timeout)
                _, _, call = heapq.heappop(self._queue)
            try:
                call()
            except Exception:  # a bug here must not kill the thread
                logger.exception("concord-client: unexpected error in the Inspect hook")


@dataclass
class _Task:
    """What the hook knows of one task (one eval_id)."""

    eval_id: str
    run_id: str
    task: str
    model: str
    settings: Settings
    client: Client
    uploader: Client
    samples_total: int
    samples_done: int = 0
    external_id: int | None = None
    offline: bool = False  # a request failed to reach Concord: progress is skipped
    report_refused: bool = False
    progress_at: float = 0.0
    progress_queued: bool = False
    ended: bool = False
    log_path: str = ""
    attempts: int = 0
    draining: bool = False
    settled: bool = False  # uploaded, refused, left pending, or nothing to upload
    first_error: str = ""
    warned: bool = False


class ConcordHooks(Hooks):
    def __init__(self) -> None:
        self._worker = _Worker()
        self._tasks: dict[str, _Task] = {}
        self._settled = threading.Condition()
        self._cache: tuple[tuple[Any, ...], Settings | None] | None = None
        atexit.register(self._at_exit)

    # --- configuration ------------------------------------------------------------------------

    def settings(self) -> Settings | None:
        """The configuration when complete, else None (cached per environment and directory)."""
        names = ("CONCORD_URL", "CONCORD_TOKEN", "CONCORD_PROJECT", "CONCORD_INSTITUTE")
        key = (*(os.environ.get(n) for n in (*names, "CONCORD_CONFIG", "CONCORD_PENDING_DIR")),)
        key = (*key, os.getcwd())
        if self._cache is None or self._cache[0] != key:
            try:
                settings: Settings | None = load()
            except ConfigError as exc:
                logger.debug("concord-client: hook disabled: %s", exc)
                settings = None
            self._cache = (key, settings if settings and settings.complete else None)
        return self._cache[1]

    def enabled(self) -> bool:
        return self.settings() is not None

    # --- Inspect's events (only queue work: never wait on the network here) -----------------

    async def on_task_start(self, data: TaskStart) -> None:
        settings = self.settings()
        if settings is None:
            return
        timeout = _float_env("CONCORD_HOOK_TIMEOUT", 5.0)
        task = _Task(
            eval_id=data.eval_id,
            run_id=data.run_id,
            task=data.spec.task,
            model=data.spec.model,
            settings=settings,
            client=Client(settings.url, settings.token, timeout=timeout),
            uploader=Client(settings.url, settings.token, timeout=max(timeout, 30.0)),
            samples_total=samples_total(data.spec),
        )
        self._tasks[data.eval_id] = task
        self._worker.submit(lambda: self._report(task))

    async def on_sample_end(self, data: SampleEnd) -> None:
        task = self._tasks.get(data.eval_id)
        if task is None:
            return
        task.samples_done += 1
        now = time.monotonic()
        if not task.progress_queued and now - task.progress_at >= PROGRESS_EVERY:
            task.progress_at = now
            task.progress_queued = True
            self._worker.submit(lambda: self._progress(task))

    async def on_task_end(self, data: TaskEnd) -> None:
        task = self._tasks.get(data.eval_id)
        if task is None or task.ended:
            return
        self._end(task, data.log.status, data.log.location, _error_text(data.log))

    async def on_run_end(self, data: RunEnd) -> None:
        mine = [t for t in self._tasks.values() if t.run_id == data.run_id]
        if not mine:
            return
        logs = {log.eval.eval_id: log for log in data.logs}
        for task in mine:
            if task.ended:
                continue
            log = logs.get(task.eval_id)
            if log is not None:
                self._end(task, log.status, log.location, _error_text(log))
            else:
                cancelled = isinstance(
                    data.exception, (KeyboardInterrupt, anyio.get_cancelled_exc_class())
                )
                error = repr(data.exception) if data.exception else "the run ended early"
                self._end(task, "cancelled" if cancelled else "error", "", error)
        grace = _float_env("CONCORD_UPLOAD_GRACE_SECONDS", 10.0)
        await anyio.to_thread.run_sync(self._drain, mine, grace)

    # --- background work ----------------------------------------------------------------------

    def _end(self, task: _Task, status: str, location: str, error: str) -> None:
        task.ended = True
        task.log_path = location or ""
        final = STATUS.get(status, "failed")
        self._worker.submit(lambda: self._finish(task, final, error))

    def _report(self, task: _Task) -> None:
        try:
            answer = task.client.external_run_report(
                project=task.settings.project,
                institute=task.settings.institute,
                eval_id=task.eval_id,
                run_id=task.run_id,
                task=task.task,
                model=task.model,
                samples_total=task.samples_total,
                host=socket.gethostname()[:255],
                inspect_version=_inspect_version(),
            )
        except ConcordError as exc:
            self._unreachable(task, exc)
        except Refused as exc:
            task.report_refused = True
            self._warn(
                task,
                f"Concord refused to record the run of {task.task} ({exc.http_status}: "
                f"{exc.message}); its progress is not reported, and nothing is retried or "
                "left pending.",
            )
        else:
            task.external_id = answer.get("id") if isinstance(answer, dict) else None
            task.offline = False

    def _progress(self, task: _Task) -> None:
        task.progress_queued = False
        if task.external_id is None or task.offline or task.ended:
            return
        try:
            task.client.external_run_progress(task.external_id, samples_done=task.samples_done)
        except ConcordError as exc:
            self._unreachable(task, exc)
        except Refused as exc:
            self._warn(task, f"Concord refused the progress of {task.task}: {exc.message}")

    def _finish(self, task: _Task, status: str, error: str) -> None:
        if task.external_id is None and not task.report_refused:
            self._report(task)  # Concord may be back; the report is idempotent
        if task.external_id is not None:
            try:
                task.client.external_run_progress(
                    task.external_id,
                    samples_done=task.samples_done,
                    status=status,
                    error=error[:10_000] or None,
                )
            except ConcordError as exc:
                self._unreachable(task, exc)
            except Refused as exc:
                self._warn(task, f"Concord refused the outcome of {task.task}: {exc.message}")
        if task.log_path:
            self._upload(task)
        else:
            self._settle(task)

    def _upload(self, task: _Task) -> None:
        if task.settled:
            return
        path = Path(task.log_path.removeprefix("file://"))
        if not path.is_file():
            if "://" in task.log_path:
                self._warn(
                    task, f"The log {task.log_path} is not a local file: upload it yourself."
                )
                self._settle(task)
                return
            self._retry(task, f"the log {path} is not written yet")
            return
        task.attempts += 1
        try:
            result = task.uploader.upload(
                path, project=task.settings.project, institute=task.settings.institute
            )
        except ConcordError as exc:
            self._unreachable(task, exc)
            self._retry(task, exc.message)
            return
        if result.ok:
            verb = "imported as" if result.status == "imported" else "already imported as"
            logger.info("concord-client: %s: %s run %s", path, verb, result.run_id)
        else:
            self._warn(
                task,
                f"Concord refused the log {path} of {task.task} ({result.http_status}: "
                f"{result.message}); it is not retried or left pending.",
            )
        self._settle(task)

    def _retry(self, task: _Task, error: str) -> None:
        task.first_error = task.first_error or error
        if task.draining or task.attempts > len(RETRY_DELAYS):
            self._leave_pending(task)
            return
        delay = RETRY_DELAYS[max(0, task.attempts - 1)]
        self._worker.submit(lambda: self._upload(task), delay)

    def _leave_pending(self, task: _Task) -> None:
        if task.settled:
            return
        path = str(Path(task.log_path.removeprefix("file://")).resolve())
        try:
            pending.add(
                task.settings.pending_dir,
                pending.Entry(
                    path=path,
                    project=task.settings.project,
                    institute=task.settings.institute,
                    eval_id=task.eval_id,
                    error=task.first_error,
                ),
            )
        except OSError as exc:
            logger.warning("concord-client: cannot keep %s pending: %s", path, exc)
        else:
            self._warn(
                task,
                f"The log {path} was not sent to Concord ({task.first_error}); it is kept "
                f"pending in {task.settings.pending_dir}: run `concord upload --pending`.",
            )
        self._settle(task)

    def _settle(self, task: _Task) -> None:
        with self._settled:
            task.settled = True
            self._settled.notify_all()

    def _drain(self, tasks: list[_Task], grace: float) -> None:
        """Wait at most `grace` seconds for the tasks' uploads; keep the rest pending."""
        for task in tasks:
            task.draining = True
        self._worker.hurry()
        deadline = time.monotonic() + grace
        with self._settled:
            while not all(t.settled for t in tasks):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._settled.wait(left)
        for task in tasks:
            if not task.settled and task.log_path:
                task.first_error = task.first_error or f"not sent within {grace:g} s"
                self._leave_pending(task)
            self._tasks.pop(task.eval_id, None)

    def _at_exit(self) -> None:
        """The process ends without a run end (e.g. interrupted): keep the logs pending."""
        for task in list(self._tasks.values()):
            if task.log_path and not task.settled:
                task.first_error = task.first_error or "the process ended before the upload"
                self._leave_pending(task)

    # --- warnings -----------------------------------------------------------------------------

    def _unreachable(self, task: _Task, exc: ConcordError) -> None:
        task.offline = True
        task.first_error = task.first_error or exc.message
        self._warn(
            task,
            f"{exc.message}; the evaluation goes on. The log of {task.task} is uploaded in the "
            f"background; if it cannot be sent before the process ends it is kept pending in "
            f"{task.settings.pending_dir}: run `concord upload --pending`.",
        )

    def _warn(self, task: _Task, message: str) -> None:
        """One warning per task; anything after it is logged at info level."""
        if task.warned:
            logger.info("concord-client: %s", message)
            return
        task.warned = True
        logger.warning("concord-client: %s", message)


def _error_text(log: Any) -> str:
    error = getattr(log, "error", None)
    return str(getattr(error, "message", "") or "") if error else ""


def _inspect_version() -> str:
    try:
        return metadata.version("inspect_ai")
    except metadata.PackageNotFoundError:
        return ""


@hooks(name="concord", description="Reports runs to Concord and uploads their logs")
def concord_hooks() -> type[ConcordHooks]:
    return ConcordHooks
