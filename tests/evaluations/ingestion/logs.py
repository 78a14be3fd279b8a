"""Logs for the import tests: real Inspect logs (made with Inspect and a scripted mockllm), and
the broken or hostile files an import must refuse, built from them."""

from __future__ import annotations

import json
import stat
import struct
import zipfile
from pathlib import Path

import zipfile_zstd  # noqa: F401  (Zstandard members, as Inspect writes them)
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log, write_eval_log

from evaluations.runner.offline import ensure_tiktoken_encodings
from tests.evaluations.runner.logs import run_qa

ZSTD = 93
QA_ACCURACY = 0.5  # the scripted model answers qa-02, qa-04, qa-06 right out of 6


def qa_logs(root: Path) -> dict[str, Path]:
    """The knowledge-QA suite on 6 samples, as .eval and as .json, and a run that errored."""
    return {
        "eval": run_qa(root / "eval", limit=6),
        "json": run_qa(root / "json", limit=6, log_format="json"),
        "error": failing_log(root / "error"),
    }


def failing_log(log_dir: Path) -> Path:
    """A run whose solver raises on sample s02: Inspect ends it with status `error`."""
    from tests.evaluations.runner.inspect_tasks import failing_task

    ensure_tiktoken_encodings()
    [log] = inspect_eval(
        failing_task(samples=4), model="mockllm/model", log_dir=str(log_dir), display="none"
    )
    assert log.status == "error", log.status
    return Path(log.location)


def with_status(source: Path, target: Path, status: str) -> Path:
    """A copy of a log with another status (and eval id, so it is a different log)."""
    log = read_eval_log(str(source))
    log.status = status
    log.eval.eval_id = f"{log.eval.eval_id[:20]}-{status}"
    write_eval_log(log, str(target))
    return target


def renamed(source: Path, target: Path, task: str) -> Path:
    """A copy of a log whose task Inspect named `task` (and another eval id): a task Concord
    cannot run, such as `arith` or `inspect_evals/gpqa_diamond`."""
    log = read_eval_log(str(source))
    log.eval.task = task
    log.eval.task_registry_name = task
    suffix = "".join(c if c.isalnum() else "-" for c in task)
    log.eval.eval_id = f"{log.eval.eval_id[:16]}-{suffix}"
    write_eval_log(log, str(target))
    return target


# --- archives ---------------------------------------------------------------------------------


def members(source: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(source) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_archive(target: Path, entries: dict[str, bytes], *, method: int = ZSTD) -> Path:
    with zipfile.ZipFile(target, "w", compression=method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return target


def header_only(source: Path) -> dict[str, bytes]:
    """The members of a real .eval except its samples: a valid header to put hostile samples
    beside (the import reads the header, starts writing rows, and must roll them back)."""
    return {n: d for n, d in members(source).items() if not n.startswith("samples/")}


def zeros_entry(target: Path, source: Path, *, size: int, name="samples/qa-01_epoch_1.json"):
    """A valid header and one member of `size` zero bytes, Zstandard-compressed (a few KB)."""
    with zipfile.ZipFile(target, "w", compression=ZSTD) as archive:
        for member, data in header_only(source).items():
            archive.writestr(member, data)
        chunk = bytes(1 << 20)
        with archive.open(name, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as handle:
            for _ in range(size >> 20):
                handle.write(chunk)
    return target


def _patch(target: Path, name: str, local: int, central: int, fmt: str, value: int) -> Path:
    """Overwrite one field of a member in both its local header and its directory record."""
    data = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo(name)
        position = archive.start_dir
    struct.pack_into(fmt, data, info.header_offset + local, value)
    while True:
        record = struct.unpack_from("<4s4B4HL2L5H2L", data, position)
        record_name = bytes(data[position + 46 : position + 46 + record[12]]).decode()
        if record_name == name:
            struct.pack_into(fmt, data, position + central, value)
            break
        position += zipfile.sizeCentralDir + record[12] + record[13] + record[14]
    target.write_bytes(bytes(data))
    return target


def declare_size(target: Path, name: str, size: int) -> Path:
    """Make a member lie: its local header and directory record declare `size` bytes."""
    return _patch(target, name, 22, 24, "<L", size)


def set_flags(target: Path, name: str, flags: int) -> Path:
    """Set a member's general-purpose flag bits (bit 0: encrypted)."""
    return _patch(target, name, 6, 8, "<H", flags)


def special_entry(target: Path, source: Path, name: str, *, mode: int = 0, flags: int = 0):
    """A valid header plus one entry with the given name, Unix mode bits and flag bits."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in header_only(source).items():
            archive.writestr(member, data)
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = mode << 16
        archive.writestr(info, b"{}")
    return set_flags(target, name, flags) if flags else target


def symlink_entry(target: Path, source: Path) -> Path:
    return special_entry(target, source, "samples/qa-01_epoch_1.json", mode=stat.S_IFLNK | 0o777)


def nested_json(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def deep_json_log(source_json: Path, target: Path, depth: int) -> Path:
    """A real .json log with one sample's metadata nested `depth` levels."""
    log = json.loads(source_json.read_text())
    log["samples"][0]["metadata"] = "__DEEP__"
    target.write_text(json.dumps(log).replace('"__DEEP__"', nested_json(depth), 1))
    return target
