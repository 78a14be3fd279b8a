"""`concord`: upload Inspect logs to Concord from the command line.

    concord upload LOG... [--project SLUG] [--institute CODE] [--task SLUG] [--notes TEXT]
    concord upload --pending [--list]
    concord pending
    concord worker [--url URL] [--once] [--max-jobs N] [--log-dir DIR] [--wait S] [--preload MOD]
    concord --version

One line per file on stdout (`<file>: imported as run N`, `<file>: already imported as run N`,
`<file>: refused: <why>`); a progress bar on stderr for large files when stderr is a terminal.
Exit codes: 0 every file imported or already imported, 1 a file was refused, 2 a usage or
configuration error, 3 Concord could not be reached (the files not sent are left pending, for
`concord upload --pending`).

`concord worker` runs an institute's pool jobs on this machine (`concord_client.worker`; needs
`concord-client[worker]`): exit 0 when it stopped (signal, `--once`, `--max-jobs`), 1 when
Concord refused its credential, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from concord_client import __version__, pending
from concord_client.api import Client, ConcordError, UploadResult
from concord_client.config import ConfigError, Settings, load

OK, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3
BAR_MIN_BYTES = 1 << 20  # smaller files go too fast for a bar


class ProgressBar:
    """`name [#####.....]  42%  3.1/7.4 MB` redrawn on a terminal, at most ten times a second."""

    def __init__(self, name: str, stream: TextIO) -> None:
        self.name = name
        self.stream = stream
        self.last = 0.0
        self.drawn = False

    def __call__(self, sent: int, total: int) -> None:
        now = time.monotonic()
        if sent < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * sent // total if total else width
        bar = "#" * filled + "." * (width - filled)
        percent = 100 * sent // total if total else 100
        self.stream.write(
            f"\r{self.name} [{bar}] {percent:3d}%  {sent / 1e6:.1f}/{total / 1e6:.1f} MB"
        )
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def line(name: str, result: UploadResult) -> str:
    if result.status == "imported":
        return f"{name}: imported as run {result.run_id}"
    if result.status == "existing":
        return f"{name}: already imported as run {result.run_id}"
    return f"{name}: refused: {result.message}"


def _send(client: Client, path: Path, *, project: str, institute: str, task: str, notes: str):
    bar = None
    if sys.stderr.isatty() and path.is_file() and path.stat().st_size >= BAR_MIN_BYTES:
        bar = ProgressBar(str(path), sys.stderr)
    try:
        return client.upload(
            path, project=project, institute=institute, task=task or None, notes=notes, progress=bar
        )
    finally:
        if bar:
            bar.close()


def upload_files(args: argparse.Namespace, settings: Settings) -> int:
    project = args.project or settings.project
    institute = args.institute or settings.institute
    settings.require("url", "token")
    if not project or not institute:
        missing = " and ".join(
            name
            for name, value in (("--project", project), ("--institute", institute))
            if not value
        )
        raise ConfigError(f"Give {missing} (or set them in the environment or concord.toml).")
    client = Client(settings.url, settings.token, timeout=args.timeout)
    code = OK
    unreachable: str | None = None
    for name in args.logs:
        path = Path(name)
        if unreachable is None:
            try:
                result = _send(
                    client,
                    path,
                    project=project,
                    institute=institute,
                    task=args.task,
                    notes=args.notes,
                )
            except ConcordError as exc:
                unreachable = exc.message
            else:
                print(line(name, result), flush=True)
                if not result.ok:
                    code = REFUSED
                continue
        entry = pending.Entry(
            path=str(path.resolve()),
            project=project,
            institute=institute,
            task=args.task or "",
            error=unreachable,
        )
        pending.add(settings.pending_dir, entry)
        print(f"{name}: not sent: {unreachable} (left pending)", flush=True)
    if unreachable is not None:
        print("Run `concord upload --pending` when Concord is back.", file=sys.stderr)
        return UNREACHABLE
    return code


def upload_pending(args: argparse.Namespace, settings: Settings) -> int:
    waiting = pending.entries(settings.pending_dir)
    if args.list:
        return list_pending(settings)
    if not waiting:
        print("Nothing pending.")
        return OK
    settings.require("url", "token")
    client = Client(settings.url, settings.token, timeout=args.timeout)
    code = OK
    for file, entry in waiting:
        path = Path(entry.path)
        if not path.is_file():
            print(f"{entry.path}: refused: the file no longer exists", flush=True)
            pending.remove(file)
            code = REFUSED
            continue
        try:
            result = _send(
                client,
                path,
                project=entry.project,
                institute=entry.institute,
                task=entry.task,
                notes="",
            )
        except ConcordError as exc:
            print(f"{entry.path}: not sent: {exc.message} (still pending)", flush=True)
            return UNREACHABLE
        print(line(entry.path, result), flush=True)
        pending.remove(file)  # imported, already there, or refused for good
        if not result.ok:
            code = REFUSED
    return code


def list_pending(settings: Settings) -> int:
    waiting = pending.entries(settings.pending_dir)
    if not waiting:
        print("Nothing pending.")
    for _, entry in waiting:
        print(f"{entry.path}: project {entry.project}, institute {entry.institute}")
        if entry.error:
            print(f"    first error: {entry.error}")
    return OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="concord", description="Concord's client for partner tools.")
    top.add_argument("--version", action="version", version=f"concord-client {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")

    upload = commands.add_parser("upload", help="upload Inspect logs (or the pending ones)")
    upload.add_argument("logs", nargs="*", metavar="LOG", help=".eval or .json log files")
    upload.add_argument("--project", help="project slug (default: CONCORD_PROJECT)")
    upload.add_argument("--institute", help="institute code (default: CONCORD_INSTITUTE)")
    upload.add_argument("--task", default="", help="task slug (default: from the log)")
    upload.add_argument("--notes", default="", help="notes kept on the run")
    upload.add_argument(
        "--pending", action="store_true", help="upload what the Inspect hook left pending"
    )
    upload.add_argument("--list", action="store_true", help="with --pending: only list them")
    upload.add_argument("--timeout", type=float, default=300.0, help="seconds (default 300)")

    commands.add_parser("pending", help="list the uploads left pending")

    worker = commands.add_parser(
        "worker",
        help="run an institute's pool jobs on this machine (credential in CONCORD_WORKER_TOKEN)",
    )
    worker.add_argument("--url", default="", help="Concord's address (default: CONCORD_URL)")
    worker.add_argument("--once", action="store_true", help="take one job, then exit")
    worker.add_argument("--max-jobs", type=int, default=None, metavar="N", help="exit after N jobs")
    worker.add_argument(
        "--log-dir",
        default="",
        metavar="DIR",
        help="where the evaluations' logs are written (default ~/.local/share/concord/worker)",
    )
    worker.add_argument(
        "--wait", type=float, default=20.0, metavar="S", help="seconds to long-poll for a job"
    )
    worker.add_argument(
        "--preload",
        action="append",
        metavar="MODULE",
        help="module to import before each evaluation, e.g. one registering model providers "
        "(repeatable; default: CONCORD_WORKER_PRELOAD, comma-separated)",
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    try:
        settings = load()
        if args.command == "pending":
            return list_pending(settings)
        if args.command == "worker":
            from concord_client import worker

            return worker.main(args, settings.url)
        if args.command == "upload":
            if args.pending:
                if args.logs:
                    top.error("give either LOG files or --pending, not both")
                return upload_pending(args, settings)
            if args.list:
                top.error("--list goes with --pending")
            if not args.logs:
                top.error("give LOG files to upload, or --pending")
            return upload_files(args, settings)
        top.print_help(sys.stderr)
        return USAGE
    except ConfigError as exc:
        print(f"concord: {exc}", file=sys.stderr)
        return USAGE
    except ValueError as exc:  # e.g. CONCORD_URL that is not an address
        print(f"concord: {exc}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
