"""Uploads waiting to be sent: one small JSON file per log in the pending directory.

Written by the Inspect hook (and by `concord upload`) when Concord could not be reached; read and
emptied by `concord upload --pending`. An entry holds the log's path, the project and institute to
file it under, the Inspect eval id (if known) and the first error met.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    path: str
    project: str
    institute: str
    eval_id: str = ""
    task: str = ""
    error: str = ""
    created: float = 0.0


def entry_file(directory: Path, log_path: str) -> Path:
    """One entry per log: a name derived from the log's absolute path."""
    key = hashlib.sha256(str(Path(log_path).resolve()).encode()).hexdigest()[:24]
    return directory / f"{key}.json"


def add(directory: Path, entry: Entry) -> Path:
    """Write the entry of a log, atomically (a log already pending keeps its first error)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = entry_file(directory, entry.path)
    before = _read(target)
    if before is not None:  # the log waits since then, with its first error
        entry = Entry(**{**asdict(entry), "created": before.created, "error": before.error})
    if not entry.created:
        entry = Entry(**{**asdict(entry), "created": time.time()})
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pending-", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(entry), handle, indent=1)
    os.replace(tmp, target)
    return target


def entries(directory: Path) -> list[tuple[Path, Entry]]:
    """The entries, oldest first (unreadable files are skipped)."""
    found: list[tuple[Path, Entry]] = []
    if not directory.is_dir():
        return found
    for file in directory.glob("*.json"):
        entry = _read(file)
        if entry is not None:
            found.append((file, entry))
    return sorted(found, key=lambda item: (item[1].created, item[0].name))


def _read(file: Path) -> Entry | None:
    try:
        data = json.loads(file.read_text())
        return Entry(**{k: v for k, v in data.items() if k in Entry.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


def remove(file: Path) -> None:
    file.unlink(missing_ok=True)
