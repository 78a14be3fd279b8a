"""`concord worker`: run Concord's evaluation jobs on this machine, for an institute's worker pool.

The worker holds two things: Concord's address (`CONCORD_URL` or `--url`) and the pool's
credential (`CONCORD_WORKER_TOKEN`). It never sees a database or a broker. Its loop:

1. claim: `POST worker/claim/` long-polls for a job of the pool (204: none came; try again).
   Network errors and 5xx back off with jitter and try again: a worker never exits on a
   transient error. A refused credential (401/403) stops it (exit 1).
2. run: the job's Inspect evaluation runs in the supervised child shared with Concord's own
   workers (`concord_client.runner`). The model's key is read here, from the environment
   variable the job names (`api_key_env`); it is never sent anywhere. Every heartbeat interval
   the worker reports progress (`POST worker/jobs/<id>/heartbeat/`): `cancel: true` stops the
   child (SIGINT, SIGKILL after the grace) and the job ends `cancelled`; 409 means the attempt is
   no longer ours (the reaper re-queued it): the child is killed and nothing is uploaded or
   finished.
3. upload: `PUT worker/jobs/<id>/log/?attempt=N`, the `.eval` file as the body, retried with
   backoff on network errors and 5xx (idempotent by eval id: a retry after a cut stores it once).
   Heartbeats go on meanwhile, so a long upload does not look like a silent worker.
4. finish: `POST worker/jobs/<id>/finish/` with the status; Concord ingests the log. Retried like
   the upload (idempotent by attempt).

SIGTERM or SIGINT: the current evaluation is stopped (reported `cancelled`) and the job is
finished cleanly before the worker exits; when idle, it exits at once. Any number of workers may
serve one pool. One line per step on stderr.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from concord_client.api import Client, ConcordError, Refused, error_message
from concord_client.runner import supervisor as runner

logger = logging.getLogger("concord.worker")

TOKEN_ENV = "CONCORD_WORKER_TOKEN"  # noqa: S105 (the variable's name, not a secret)
PRELOAD_ENV = "CONCORD_WORKER_PRELOAD"
BACKOFF_CAP_ENV = "CONCORD_WORKER_BACKOFF_CAP"  # the longest wait between retries, in seconds
OK, REFUSED, USAGE = 0, 1, 2


def default_log_dir() -> Path:
    return Path.home() / ".local" / "share" / "concord" / "worker"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class CredentialRefused(Exception):
    """Concord refused the pool credential (401/403): no retry will help."""


class Lost(Exception):
    """The job is no longer this attempt's (409/404): abandon it."""


@dataclass(frozen=True)
class Answer:
    status: int
    data: Any


class WorkerApi:
    """The worker routes of Concord's API (`/api/v1/worker/`), as status + JSON."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        self.client = Client(url, token, timeout=timeout)
        self.name = worker_name()

    @property
    def url(self) -> str:
        return self.client.url

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        chunks: Iterator[bytes] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Answer:
        extra = {"X-Concord-Worker": self.name, **(headers or {})}
        if body is not None:
            data = json.dumps(body).encode()
            extra.update({"Content-Type": "application/json", "Content-Length": str(len(data))})
            chunks = iter([data])
        client = self.client
        if timeout is not None:
            client = Client(client.url, client.token, timeout=timeout)
        status, raw = client._send(
            method, client._target(path, params), client._headers(extra), chunks
        )
        if status in (401, 403):
            message, _, _ = error_message(status, raw)
            raise CredentialRefused(f"Concord refused the worker credential ({status}): {message}")
        if status >= 500 or status in (408, 429):
            message, _, _ = error_message(status, raw)
            raise ConcordError(message, http_status=status)
        answer = None
        if raw:
            with contextlib.suppress(ValueError):
                answer = json.loads(raw)
        return Answer(status, answer)

    def claim(self, wait: float) -> dict[str, Any] | None:
        answer = self._call("POST", "worker/claim/", body={"wait": wait}, timeout=wait + 30)
        if answer.status == 204:
            return None
        if answer.status == 200 and isinstance(answer.data, dict):
            return answer.data["job"]
        raise ConcordError(f"unexpected answer to a claim: HTTP {answer.status}")

    def heartbeat(self, job_id: int, attempt: int, done: int, total: int) -> bool:
        """True when someone cancelled the job; `Lost` when it is not ours any more."""
        answer = self._call(
            "POST",
            f"worker/jobs/{job_id}/heartbeat/",
            body={"attempt": attempt, "progress_done": done, "progress_total": total},
        )
        if answer.status in (404, 409):
            raise Lost(f"heartbeat answered {answer.status}")
        if answer.status != 200:
            raise ConcordError(f"unexpected answer to a heartbeat: HTTP {answer.status}")
        return bool(isinstance(answer.data, dict) and answer.data.get("cancel"))

    def upload(self, job_id: int, attempt: int, path: Path, eval_id: str) -> int:
        size = path.stat().st_size

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as handle:
                while block := handle.read(256 * 1024):
                    yield block

        answer = self._call(
            "PUT",
            f"worker/jobs/{job_id}/log/",
            params={"attempt": attempt},
            chunks=chunks(),
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(size),
                "X-Concord-Eval-Id": eval_id,
            },
            timeout=max(self.client.timeout, 300.0),
        )
        if answer.status in (404, 409):
            raise Lost(f"log upload answered {answer.status}")
        if answer.status not in (200, 201):
            raise Refused(
                error_message(answer.status, json.dumps(answer.data or {}).encode())[0],
                http_status=answer.status,
            )
        return answer.status

    def finish(self, job_id: int, body: dict[str, Any]) -> int:
        answer = self._call("POST", f"worker/jobs/{job_id}/finish/", body=body)
        if answer.status in (404, 409):
            raise Lost(f"finish answered {answer.status}")
        if answer.status not in (200, 202):
            raise Refused(f"finish answered HTTP {answer.status}", http_status=answer.status)
        return answer.status


@dataclass
class Backoff:
    """Exponential delays with jitter: `base`, 2x, 4x... up to `cap`, each times 0.5-1."""

    base: float = 1.0
    cap: float = 60.0
    failures: int = 0

    def next(self) -> float:
        delay = min(self.cap, self.base * (2**self.failures))
        self.failures += 1
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not security)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class Options:
    url: str
    token: str
    log_dir: Path = field(default_factory=default_log_dir)
    wait: float = 20.0
    once: bool = False
    max_jobs: int | None = None
    preload: Sequence[str] = ()
    timeout: float = 30.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    keep_logs: bool = True


@dataclass
class Result:
    """How one job ended on this worker (for the log line and the tests)."""

    job_id: int
    status: str  # success | error | cancelled | crashed | abandoned
    error: str = ""
    uploaded: bool = False
    finished: bool = False


class Worker:
    def __init__(self, options: Options, *, api: WorkerApi | None = None) -> None:
        self.options = options
        self.api = api or WorkerApi(options.url, options.token, timeout=options.timeout)
        self.stopping = threading.Event()
        self.idle = False
        self.jobs = 0

    # --- the loop --------------------------------------------------------------------------

    def run(self) -> int:
        logger.info("worker %s serving %s (logs in %s)", self.api.name, self.api.url, self.log_root)
        while not self.stopping.is_set():
            if self.options.max_jobs is not None and self.jobs >= self.options.max_jobs:
                break
            try:
                job = self.claim()
            except CredentialRefused as exc:
                logger.error("%s; stopping", exc)
                return REFUSED
            if job is None:
                continue
            self.jobs += 1
            try:
                self.run_job(job)
            except CredentialRefused as exc:  # revoked while the job ran: Concord fails it
                logger.error("job %s: %s; stopping", job["id"], exc)
                return REFUSED
            if self.options.once:
                break
        logger.info("worker %s stopped after %s job(s)", self.api.name, self.jobs)
        return OK

    @property
    def log_root(self) -> Path:
        return Path(self.options.log_dir).expanduser()

    def stop(self) -> None:
        self.stopping.set()

    def sleep(self, seconds: float) -> None:
        self.stopping.wait(seconds)

    def claim(self) -> dict[str, Any] | None:
        """One long-poll; None when no job came (or on a transient error, after backing off)."""
        backoff = Backoff(self.options.backoff_base, self.options.backoff_cap)
        while not self.stopping.is_set():
            self.idle = True
            try:
                job = self.api.claim(self.options.wait)
            except ConcordError as exc:
                delay = backoff.next()
                logger.warning("claim failed: %s; trying again in %.1f s", exc.message, delay)
                self.sleep(delay)
                continue
            finally:
                self.idle = False
            if job is not None:
                logger.info("claimed job %s (attempt %s)", job["id"], job["attempt"])
            return job
        return None

    # --- one job -------------------------------------------------------------------------------

    def run_job(self, job: dict[str, Any]) -> Result:
        job_id, attempt = int(job["id"]), int(job["attempt"])
        log_dir = self.log_root / "jobs" / str(job_id) / f"attempt-{attempt}"
        try:
            spec = self.spec(job, log_dir)
        except ValueError as exc:
            logger.error("job %s: %s", job_id, exc)
            return self.finish(job, Result(job_id, "crashed", str(exc)))
        log_dir.mkdir(parents=True, exist_ok=True)
        logger.info("job %s: running %s on %s", job_id, spec["ref"], spec["eval_kwargs"]["model"])
        beat = HeartbeatState(self.api, job_id, attempt)
        outcome = runner.supervise(
            spec,
            check_in=beat.check_in,
            check_every=float(job.get("heartbeat_seconds") or 5.0),
            time_limit=float(job.get("time_limit_seconds") or 6 * 3600),
            grace=float(job.get("cancel_grace_seconds") or 5.0),
            preload=self.options.preload,
            should_stop=self.stopping.is_set,
            label=f"job {job_id}",
        )
        if not outcome.owned:
            logger.warning("job %s: attempt %s is no longer ours; abandoned", job_id, attempt)
            return Result(job_id, "abandoned")
        result = self.judge(job, outcome, log_dir)
        logger.info(
            "job %s: evaluation ended %s%s",
            job_id,
            result.status,
            f" ({result.error})" if result.error else "",
        )
        log_path = _log_file(log_dir, outcome.message.get("location", ""))
        eval_id = str(outcome.message.get("eval_id") or "")
        every = float(job.get("heartbeat_seconds") or 5.0)
        progress = (min(outcome.done, outcome.total), outcome.total)
        with KeepAlive(self.api, job_id, attempt, every, progress):
            if result.status in ("success", "error") and log_path is not None:
                try:
                    self.upload(job, log_path, eval_id or _eval_id(log_path))
                    result.uploaded = True
                except Lost:
                    logger.warning(
                        "job %s: attempt %s is no longer ours; abandoned", job_id, attempt
                    )
                    return Result(job_id, "abandoned")
                except Refused as exc:
                    result = Result(job_id, "crashed", f"Concord refused the log: {exc.message}")
                except _GaveUp as exc:
                    logger.error("job %s: %s; left to the reaper", job_id, exc)
                    return Result(job_id, "abandoned", str(exc))
            result = self.finish(job, result, eval_id=eval_id or None, outcome=outcome)
        if result.finished and not self.options.keep_logs:
            shutil.rmtree(log_dir, ignore_errors=True)
        return result

    def spec(self, job: dict[str, Any], log_dir: Path) -> dict[str, Any]:
        """The server's spec, with this machine's log folder and model key."""
        spec = dict(job["spec"])
        eval_kwargs = dict(spec.get("eval_kwargs") or {})
        model_args = dict(eval_kwargs.get("model_args") or {})
        key_env = spec.get("api_key_env") or ""
        if key_env:
            key = os.environ.get(key_env)
            if not key:
                raise ValueError(
                    f"This worker has no environment variable {key_env}, which should hold the "
                    "model's API key. Set it in the environment of `concord worker`."
                )
            model_args["api_key"] = key
        eval_kwargs.update(model_args=model_args, log_dir=str(log_dir))
        eval_kwargs.setdefault("log_format", "eval")
        eval_kwargs.setdefault("display", "none")
        return {
            "ref": spec["ref"],
            "task_args": spec.get("task_args") or {},
            "eval_kwargs": eval_kwargs,
        }

    def judge(self, job: dict[str, Any], outcome: runner.Outcome, log_dir: Path) -> Result:
        """What to report for how the child ended (the rules of Concord's own workers)."""
        job_id = int(job["id"])
        status = outcome.status
        log_path = _log_file(log_dir, outcome.message.get("location", ""))
        if status in ("success", "error") and log_path is not None:
            return Result(job_id, status, outcome.message.get("error", ""))
        if outcome.stop == "cancel":
            return Result(job_id, "cancelled")
        if outcome.stop == "time_limit":
            limit = float(job.get("time_limit_seconds") or 0)
            return Result(job_id, "crashed", f"Stopped at the job's time limit ({limit:.0f} s).")
        if status == "cancelled":
            return Result(job_id, "cancelled", "The evaluation was interrupted.")
        if outcome.message.get("event") == "crashed":
            return Result(job_id, "crashed", outcome.message.get("message", ""))
        return Result(job_id, "crashed", runner.describe_exit(outcome.exit_status))

    def upload(self, job: dict[str, Any], path: Path, eval_id: str) -> None:
        job_id, attempt = int(job["id"]), int(job["attempt"])
        size = path.stat().st_size
        status = self._retrying(
            f"job {job_id}: log upload",
            lambda: self.api.upload(job_id, attempt, path, eval_id),
        )
        logger.info(
            "job %s: log uploaded (%s bytes, %s)",
            job_id,
            size,
            "stored" if status == 201 else "already stored",
        )

    def finish(
        self,
        job: dict[str, Any],
        result: Result,
        *,
        eval_id: str | None = None,
        outcome: runner.Outcome | None = None,
    ) -> Result:
        job_id, attempt = int(job["id"]), int(job["attempt"])
        body = {
            "attempt": attempt,
            "status": result.status,
            "error": result.error,
            "eval_id": eval_id if result.uploaded else None,
            "exit": _exit_text(outcome),
        }
        try:
            self._retrying(f"job {job_id}: finish", lambda: self.api.finish(job_id, body))
        except Lost:
            logger.warning("job %s: attempt %s is no longer ours; not finished", job_id, attempt)
            result.status = "abandoned"
            return result
        except (_GaveUp, Refused) as exc:
            logger.error("job %s: could not finish: %s; left to the reaper", job_id, exc)
            return result
        result.finished = True
        logger.info("job %s: finished %s", job_id, result.status)
        return result

    def _retrying(self, what: str, call: Callable[[], Any]) -> Any:
        """`call()` until it answers; network errors and 5xx back off and try again. After a
        stop was asked, a few more tries only (then the reaper takes the job)."""
        backoff = Backoff(self.options.backoff_base, self.options.backoff_cap)
        tries_after_stop = 5
        while True:
            try:
                return call()
            except ConcordError as exc:
                if self.stopping.is_set():
                    tries_after_stop -= 1
                    if tries_after_stop <= 0:
                        raise _GaveUp(f"{what} failed: {exc.message}") from exc
                delay = backoff.next()
                logger.warning("%s failed: %s; trying again in %.1f s", what, exc.message, delay)
                time.sleep(delay)


class _GaveUp(Exception):
    pass


class HeartbeatState:
    """The `check_in` of a pool job: the heartbeat API, turned into the runner's answers."""

    def __init__(self, api: WorkerApi, job_id: int, attempt: int) -> None:
        self.api, self.job_id, self.attempt = api, job_id, attempt
        self.failing = False

    def check_in(self, done: int, total: int) -> str | None:
        try:
            cancel = self.api.heartbeat(self.job_id, self.attempt, done, total)
        except Lost:
            return runner.LOST
        except CredentialRefused as exc:  # the pool's credential was revoked: stop at once
            logger.error("job %s: %s", self.job_id, exc)
            return runner.LOST
        except ConcordError as exc:
            # Keep the evaluation going: if Concord stays away, its reaper re-queues the job and
            # the next heartbeat that gets through answers 409.
            if not self.failing:
                logger.warning(
                    "job %s: heartbeat failed: %s; evaluation goes on", self.job_id, exc.message
                )
            self.failing = True
            return None
        if self.failing:
            logger.info("job %s: heartbeat reaches Concord again", self.job_id)
            self.failing = False
        if cancel:
            logger.info("job %s: cancelled in Concord; stopping the evaluation", self.job_id)
            return runner.CANCEL
        return None


class KeepAlive:
    """Heartbeats from a thread while the log uploads and the job finishes, so that a long
    upload (or one retried through a network cut) does not look like a silent worker."""

    def __init__(
        self, api: WorkerApi, job_id: int, attempt: int, every: float, progress: tuple[int, int]
    ) -> None:
        self.api, self.job_id, self.attempt = api, job_id, attempt
        self.every = every
        self.progress = progress
        self.done = threading.Event()
        self.thread = threading.Thread(
            target=self._beat, name=f"concord-keepalive-{job_id}", daemon=True
        )

    def _beat(self) -> None:
        while not self.done.wait(self.every):
            # Lost shows at the upload or the finish, which answer 409 too.
            with contextlib.suppress(Lost, ConcordError, CredentialRefused):
                self.api.heartbeat(self.job_id, self.attempt, *self.progress)

    def __enter__(self) -> KeepAlive:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(timeout=self.every + 5)


def _log_file(log_dir: Path, location: str) -> Path | None:
    if location and Path(location).is_file():
        return Path(location)
    found = sorted(log_dir.glob("*.eval")) + sorted(log_dir.glob("*.json"))
    return found[-1] if found else None


def _eval_id(path: Path) -> str:
    """The eval id from a log's header (when the child could not say it)."""
    try:
        from inspect_ai.log import read_eval_log

        return str(read_eval_log(str(path), header_only=True).eval.eval_id)
    except Exception:
        return ""


def _exit_text(outcome: runner.Outcome | None) -> str:
    if outcome is None:
        return "not started"
    if outcome.exit_status is None:
        return "unknown"
    status = outcome.exit_status
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit {os.WEXITSTATUS(status)}"


def install_signal_handlers(worker: Worker) -> None:
    """SIGTERM/SIGINT: stop the current evaluation and finish its job, then exit; when idle
    (waiting for a job), exit at once."""

    def handle(signum: int, frame: object) -> None:
        if not worker.stopping.is_set():
            logger.info("%s received: stopping", signal.Signals(signum).name)
        worker.stop()
        if worker.idle:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s concord worker: %(message)s"))
    for name in ("concord.worker", "concord_client.runner.supervisor"):
        log = logging.getLogger(name)
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def preload_from_env(value: str | None = None) -> tuple[str, ...]:
    value = os.environ.get(PRELOAD_ENV, "") if value is None else value
    return tuple(name.strip() for name in value.split(",") if name.strip())


def main(args: Any, url: str) -> int:
    """`concord worker` (the parsed arguments, and Concord's address from the configuration)."""
    url = args.url or url
    token = os.environ.get(TOKEN_ENV, "")
    missing = [
        name for name, value in (("--url or CONCORD_URL", url), (TOKEN_ENV, token)) if not value
    ]
    if missing:
        raise ValueError(f"concord worker needs {' and '.join(missing)}.")
    if args.max_jobs is not None and args.max_jobs < 1:
        raise ValueError("--max-jobs must be at least 1.")
    configure_logging()
    cap = float(os.environ.get(BACKOFF_CAP_ENV) or 60.0)
    options = Options(
        url=url,
        backoff_base=min(1.0, cap),
        backoff_cap=cap,
        token=token,
        log_dir=Path(args.log_dir).expanduser() if args.log_dir else default_log_dir(),
        wait=args.wait,
        once=args.once,
        max_jobs=args.max_jobs,
        preload=tuple(args.preload or ()) or preload_from_env(),
    )
    worker = Worker(options)
    install_signal_handlers(worker)
    try:
        return worker.run()
    except KeyboardInterrupt:  # stopped while waiting for a job
        logger.info("worker %s stopped", worker.api.name)
        return OK
