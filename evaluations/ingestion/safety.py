"""Safety checks for everything an import reads: one place, used by every reader.

A log comes from outside (a partner's upload, a file on disk), so nothing in it is trusted.

ZIP archives (Inspect `.eval` logs, zipped lm-evaluation-harness output folders) are checked
before any member is decompressed, and again while reading:

- the central directory is walked record by record before `zipfile` parses it, so an archive
  claiming or holding more than CONCORD_IMPORT_MAX_ENTRIES entries (or an oversized directory)
  is refused without building one object per entry;
- every name must be relative and stay inside the archive: no `/x`, `\\x`, `C:x`, no `..`
  component, no NUL;
- only regular files and directories: symbolic links and other special entries are refused, as
  are encrypted entries and compression methods other than stored, deflate and Zstandard;
- declared sizes: all members together at most CONCORD_IMPORT_MAX_UNCOMPRESSED_BYTES, a member
  over 1 MiB at most CONCORD_IMPORT_MAX_RATIO times its compressed size, and a member read whole
  into memory (a sample, a header) at most CONCORD_IMPORT_MAX_ENTRY_BYTES, checked before it is
  decompressed (members streamed line by line, e.g. lm-eval samples files, have their lines
  bounded instead; members never read, like a big log's summaries.json, cost nothing);
- while decompressing, in bounded chunks (Zstandard and deflate are never asked for more than
  1 MiB at a time), real bytes are counted: a member producing more than it declared (entries
  can lie about their size) is refused at once, so the sum of real bytes never passes the
  declared total; a member producing less, or failing its CRC, is damaged.

JSON: a document is refused when nested deeper than CONCORD_IMPORT_MAX_JSON_DEPTH, and the part of
it Concord builds in memory (a log header, a results file, one sample) when larger than
CONCORD_IMPORT_MAX_ENTRY_BYTES.

Every refusal is an `UnsafeInput` (a `LogReadError`) whose message says what is wrong.
"""

from __future__ import annotations

import bisect
import io
import itertools
import json
import re
import stat
import struct
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import zstandard
from django.conf import settings

from evaluations.ingestion import json_constants
from evaluations.ingestion.errors import LogReadError, UnsafeInput

ZIP_ZSTANDARD = 93
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", ZIP_ZSTANDARD: "zstd"}
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

RATIO_MIN_BYTES = 1 << 20  # the ratio cap applies to members larger than this
MAX_NAME_BYTES = 1024
MAX_DIRECTORY_BYTES = 64 << 20
SAMPLES_PREFIX = "samples/"  # an Inspect log's sample entries: the bulk of a large archive
READ_CHUNK = 1 << 16  # compressed bytes read at a time
OUT_CHUNK = 1 << 20  # decompressed bytes produced at a time
ZSTD_MAX_WINDOW = 1 << 25  # a frame asking for a larger window is refused, not allocated


@dataclass(frozen=True)
class Limits:
    max_entries: int = 80_000
    max_total_bytes: int = 10 << 30
    max_entry_bytes: int = 100 << 20
    max_ratio: int = 1000
    max_json_depth: int = 100

    @classmethod
    def from_settings(cls) -> Limits:
        default = cls()
        return cls(
            max_entries=getattr(settings, "CONCORD_IMPORT_MAX_ENTRIES", default.max_entries),
            max_total_bytes=getattr(
                settings, "CONCORD_IMPORT_MAX_UNCOMPRESSED_BYTES", default.max_total_bytes
            ),
            max_entry_bytes=getattr(
                settings, "CONCORD_IMPORT_MAX_ENTRY_BYTES", default.max_entry_bytes
            ),
            max_ratio=getattr(settings, "CONCORD_IMPORT_MAX_RATIO", default.max_ratio),
            max_json_depth=getattr(
                settings, "CONCORD_IMPORT_MAX_JSON_DEPTH", default.max_json_depth
            ),
        )


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MiB"


def is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) in ZIP_MAGIC


# --------------------------------------------------------------------------------------------
# ZIP archives
# --------------------------------------------------------------------------------------------


def check_member_name(name: str, label: str) -> None:
    """Refuse names that are absolute or climb out of the archive (`../`), on any platform."""
    if not name or "\x00" in name:
        raise UnsafeInput(f"{label} holds an entry with an empty or NUL-containing name.")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise UnsafeInput(f"{label} holds an entry with an absolute path ('{name[:200]}').")
    if ".." in re.split(r"[\\/]", name):
        raise UnsafeInput(
            f"{label} holds an entry whose name climbs out of the archive ('{name[:200]}')."
        )


_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # a central directory record (zipfile's layout)
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # a local file header
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ZIP64_LIMIT = 0xFFFFFFFF


@dataclass(frozen=True)
class Member:
    """One archive entry, as its directory record describes it."""

    name: str
    header_offset: int
    compress_size: int
    file_size: int
    crc: int
    method: int
    flags: int


def _zip64_sizes(extra: bytes, size: int, csize: int, offset: int) -> tuple[int, int, int]:
    """The 64-bit values of the ZIP64 extra field, for the 32-bit ones set to 0xFFFFFFFF."""
    position = 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, position)
        if tag == 0x0001:
            data, cursor = extra[position + 4 : position + 4 + length], 0
            values = []
            for value in (size, csize, offset):
                if value == _ZIP64_LIMIT:
                    values.append(struct.unpack_from("<Q", data, cursor)[0])
                    cursor += 8
                else:
                    values.append(value)
            return values[0], values[1], values[2]
        position += 4 + length
    return size, csize, offset


class _Directory:
    """The archive's directory, walked record by record and checked as it goes, kept compactly:
    a handful of integers per entry and the names in one byte string (about 80 bytes an entry,
    where zipfile keeps about 650 and a dict of names about 250). Only the few entries outside
    `samples/` get a dict slot; a sample entry is found by searching the names, and the samples
    are walked in directory order (`members`).

    A re-logged sample appends a second member under the same name; the last one wins, as in
    Inspect's reader. Repeated names are found after the walk by sorting the names' hashes (8
    bytes an entry), so no set of names is ever built."""

    def __init__(self, handle: BinaryIO, label: str, limits: Limits):
        self.label, self.limits = label, limits
        self.index: dict[str, int] = {}  # entries outside samples/: a rewritten one, last wins
        self.offsets, self.compressed, self.sizes = array("Q"), array("Q"), array("Q")
        self.crcs, self.methods, self.flags = array("L"), array("H"), array("H")
        # Names, UTF-8, each between NUL bytes (a name holds no NUL): entry i is
        # names[starts[i] : starts[i + 1] - 1].
        self.names = bytearray(b"\0")
        self.starts = array("Q")
        self.superseded: set[int] = set()  # earlier entries of a repeated sample name
        hashes = self._read(handle)
        self.starts.append(len(self.names))
        self._supersede_repeated(hashes)

    def name_at(self, i: int) -> str:
        return self.names[self.starts[i] : self.starts[i + 1] - 1].decode("utf-8")

    def find(self, name: str) -> int | None:
        """The index of the last entry called `name`, or None."""
        i = self.index.get(name)
        if i is not None or not name.startswith(SAMPLES_PREFIX):
            return i
        position = self.names.rfind(b"\0" + name.encode("utf-8") + b"\0")
        if position < 0:
            return None
        return bisect.bisect_left(self.starts, position + 1)

    def _supersede_repeated(self, hashes: array) -> None:
        ordered = sorted(hashes)
        repeated = {a for a, b in itertools.pairwise(ordered) if a == b}
        del ordered
        if not repeated:
            return
        last: dict[str, int] = {}
        for i, value in enumerate(hashes):
            if value in repeated:
                name = self.name_at(i)
                if not name.startswith(SAMPLES_PREFIX):
                    continue  # in the index, which keeps the last
                if name in last:
                    self.superseded.add(last[name])
                last[name] = i

    def _read(self, handle: BinaryIO) -> array:
        label, limits = self.label, self.limits
        try:
            endrec = zipfile._EndRecData(handle)  # type: ignore[attr-defined]  # stable since 2.x
        except OSError:
            endrec = None
        if not endrec:
            raise LogReadError(
                f"{label} is damaged or truncated: it is not a readable ZIP archive "
                "(no end-of-archive record)."
            )
        declared = endrec[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]
        if declared > limits.max_entries:
            raise UnsafeInput(
                f"{label} declares {declared:,} entries; at most {limits.max_entries:,} are "
                "accepted."
            )
        size_cd = endrec[zipfile._ECD_SIZE]  # type: ignore[attr-defined]
        offset_cd = endrec[zipfile._ECD_OFFSET]  # type: ignore[attr-defined]
        if size_cd > MAX_DIRECTORY_BYTES:
            raise UnsafeInput(f"{label} has an oversized directory ({_mib(size_cd)}).")
        # Bytes before the archive (a self-extracting stub, a concatenation) shift every offset.
        concat = endrec[zipfile._ECD_LOCATION] - size_cd - offset_cd  # type: ignore[attr-defined]
        if endrec[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
            concat -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
        if offset_cd + concat < 0 or concat < 0:
            raise LogReadError(f"{label} is damaged: its directory is not where it says.")
        handle.seek(offset_cd + concat)
        count = consumed = total = 0
        hashes = array("q")  # of the names, to find repeated ones without a set of names
        while consumed < size_cd:
            record = handle.read(_CENTRAL.size)
            if len(record) != _CENTRAL.size:
                raise LogReadError(f"{label} is damaged or truncated: its directory is cut short.")
            fields = _CENTRAL.unpack(record)
            if fields[0] != _CENTRAL_SIGNATURE:
                raise LogReadError(f"{label} is damaged: its directory is unreadable.")
            count += 1
            if count > limits.max_entries:
                raise UnsafeInput(
                    f"{label} holds more than {limits.max_entries:,} entries (it declares "
                    f"{declared:,}): refused."
                )
            name_length, extra_length, comment_length = fields[12], fields[13], fields[14]
            if name_length > MAX_NAME_BYTES:
                raise UnsafeInput(
                    f"{label} holds an entry name longer than {MAX_NAME_BYTES} bytes."
                )
            variable = handle.read(name_length + extra_length + comment_length)
            if len(variable) != name_length + extra_length + comment_length:
                raise LogReadError(f"{label} is damaged or truncated: its directory is cut short.")
            consumed += _CENTRAL.size + len(variable)
            flags, method = fields[5], fields[6]
            try:
                name = variable[:name_length].decode("utf-8" if flags & 0x800 else "cp437")
                size, csize, offset = _zip64_sizes(
                    variable[name_length : name_length + extra_length],
                    fields[11],
                    fields[10],
                    fields[18],
                )
            except (UnicodeDecodeError, struct.error) as exc:
                raise LogReadError(f"{label} is damaged: its directory is unreadable.") from exc
            total += self._check(name, fields[2], fields[17], flags, method, size, csize)
            if total > limits.max_total_bytes:
                raise UnsafeInput(
                    f"{label} would expand to more than {_mib(limits.max_total_bytes)}: refused."
                )
            hashes.append(hash(name))
            if not name.startswith(SAMPLES_PREFIX):
                self.index[name] = len(self.offsets)
            self.starts.append(len(self.names))
            self.names += name.encode("utf-8") + b"\0"
            self.offsets.append(offset + concat)
            self.compressed.append(csize)
            self.sizes.append(size)
            self.crcs.append(fields[9])
            self.methods.append(method)
            self.flags.append(flags)
        return hashes

    def _check(self, name, system, attributes, flags, method, size, csize) -> int:
        label = self.label
        check_member_name(name, label)
        kind = stat.S_IFMT(attributes >> 16)
        if system == 3 and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            what = "a symbolic link" if kind == stat.S_IFLNK else "a special file"
            raise UnsafeInput(f"{label} holds {what} ('{name[:200]}'): refused.")
        if flags & 0x1:
            raise UnsafeInput(f"{label} holds an encrypted entry ('{name[:200]}').")
        if method not in _METHODS:
            raise LogReadError(
                f"{label}: entry '{name[:200]}' uses an unsupported compression method "
                f"({method}); stored, deflate and Zstandard are read."
            )
        if name.endswith("/"):
            return 0
        if size > RATIO_MIN_BYTES and size > self.limits.max_ratio * max(csize, 1):
            raise UnsafeInput(
                f"{label}: entry '{name[:200]}' expands {size // max(csize, 1):,} times "
                f"({_mib(csize)} to {_mib(size)}); at most {self.limits.max_ratio:,} times is "
                "accepted (a ZIP bomb?)."
            )
        return size

    def member(self, name: str) -> Member | None:
        i = self.find(name)
        return None if i is None else self.member_at(i, name)

    def member_at(self, i: int, name: str | None = None) -> Member:
        return Member(
            name if name is not None else self.name_at(i),
            self.offsets[i],
            self.compressed[i],
            self.sizes[i],
            self.crcs[i],
            self.methods[i],
            self.flags[i],
        )

    def live(self) -> Iterator[tuple[int, str]]:
        """(index, name) of every entry, in directory order, without the earlier copies of a
        rewritten name."""
        index = self.index
        for i in range(len(self.offsets)):
            if i in self.superseded:
                continue
            name = self.name_at(i)
            if index.get(name, i) != i:
                continue
            yield i, name


class SafeArchive(AbstractContextManager):
    """A ZIP archive whose directory passed every check; members are read through `open` or
    `read`, which decompress in bounded chunks and count real bytes."""

    def __init__(
        self,
        path: Path,
        *,
        label: str | None = None,
        limits: Limits | None = None,
        handle: BinaryIO | None = None,
    ):
        """`handle`: an open seekable binary file of the archive (e.g. a log in object storage,
        read with ranged requests) instead of opening `path`; closed with the archive."""
        self.path = Path(path)
        self.label = label or f"'{self.path.name}'"
        self.limits = limits or Limits.from_settings()
        self._handle = handle if handle is not None else self.path.open("rb")
        self._zstd: zstandard.ZstdDecompressor | None = None
        try:
            self._directory = _Directory(self._handle, self.label, self.limits)
        except BaseException:
            self._handle.close()
            raise

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._handle.close()

    def names(self) -> list[str]:
        """Every entry's name (a rewritten one once): for small archives; a large log's samples
        are walked with `members`."""
        return [name for _, name in self._directory.live()]

    def has(self, name: str) -> bool:
        return self._directory.find(name) is not None

    def members(self, prefix: str, suffix: str = "") -> Iterator[Member]:
        """The entries whose names start with `prefix` and end with `suffix`, in directory
        order, one at a time (a rewritten one once, its last copy)."""
        directory = self._directory
        for i, name in directory.live():
            if name.startswith(prefix) and name.endswith(suffix):
                yield directory.member_at(i, name)

    def info(self, name: str) -> Member:
        member = self._directory.member(name)
        if member is None:
            raise LogReadError(f"{self.label} has no entry '{name}'.")
        return member

    def open(self, name: str) -> MemberStream:
        info = self.info(name)
        return MemberStream(self, info, self._raw(info))

    def read(self, entry: str | Member) -> bytearray:
        """The whole member, in memory: refused before decompressing when it declares more than
        the per-entry limit, and never more than it declares."""
        info = entry if isinstance(entry, Member) else self.info(entry)
        name = info.name
        if info.file_size > self.limits.max_entry_bytes:
            raise UnsafeInput(
                f"{self.label}: entry '{name[:200]}' expands to {_mib(info.file_size)}; at most "
                f"{_mib(self.limits.max_entry_bytes)} per entry is accepted."
            )
        # Read whole here, one member at a time: one decompressor serves every member (a new
        # one per member costs more than decompressing a small one).
        if self._zstd is None:
            self._zstd = zstd_decompressor()
        stream = MemberStream(self, info, self._raw(info), self._zstd)
        buffer = bytearray(info.file_size)
        position = 0
        while chunk := stream.read_chunk():
            buffer[position : position + len(chunk)] = chunk
            position += len(chunk)
        return buffer

    def _raw(self, info: Member) -> _RawMember:
        """The member's compressed bytes, located through its local header (checked against the
        directory: another name there is a forged archive)."""
        handle = self._handle
        handle.seek(info.header_offset)
        header = handle.read(_LOCAL.size)
        if len(header) != _LOCAL.size:
            raise LogReadError(f"{self.label} is truncated: entry '{info.name}' is missing.")
        fields = _LOCAL.unpack(header)
        if fields[0] != _LOCAL_SIGNATURE:
            raise LogReadError(f"{self.label} is damaged: entry '{info.name}' is unreadable.")
        name_length, extra_length = fields[10], fields[11]
        local_name = handle.read(name_length)
        encoding = "utf-8" if info.flags & 0x800 else "cp437"
        if local_name != info.name.encode(encoding):
            raise UnsafeInput(
                f"{self.label} is forged: entry '{info.name}' has another name in its local header."
            )
        start = info.header_offset + _LOCAL.size + name_length + extra_length
        return _RawMember(handle, start, info.compress_size)


class _RawMember:
    """The compressed bytes of one member, read from the archive in bounded chunks."""

    def __init__(self, handle: BinaryIO, start: int, size: int):
        self._handle, self._position, self._left = handle, start, size

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = READ_CHUNK if size is None or size < 0 else min(size, READ_CHUNK)
        self._handle.seek(self._position)
        data = self._handle.read(min(size, self._left))
        self._position += len(data)
        self._left -= len(data)
        if not data:
            self._left = 0
        return data

    def readable(self) -> bool:  # for zstandard's stream_reader
        return True


def zstd_decompressor() -> zstandard.ZstdDecompressor:
    return zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)


class _Inflater:
    """Decompress `raw` to at most `size` bytes per call (b"" at the end). `zstd`: a
    decompressor to reuse (one member at a time), instead of a new one."""

    def __init__(
        self, method: int, raw: _RawMember, zstd: zstandard.ZstdDecompressor | None = None
    ):
        self._method = method
        self._raw = raw
        if method == zipfile.ZIP_DEFLATED:
            self._zlib = zlib.decompressobj(-15)
        elif method == ZIP_ZSTANDARD:
            self._zstd = (zstd or zstd_decompressor()).stream_reader(
                raw,  # type: ignore[arg-type]  # any object with read() will do
                read_size=READ_CHUNK,
                read_across_frames=True,
                closefd=False,
            )

    def read(self, size: int) -> bytes:
        if self._method == zipfile.ZIP_STORED:
            return self._raw.read(size)
        if self._method == ZIP_ZSTANDARD:
            return self._zstd.read(size)
        while not self._zlib.eof:
            data = self._zlib.unconsumed_tail or self._raw.read(READ_CHUNK)
            if not data:
                return self._zlib.flush()
            out = self._zlib.decompress(data, size)
            if out:
                return out
        return b""


class MemberStream(io.RawIOBase):
    """One member, decompressed in chunks of at most 1 MiB, with its real size counted against
    the declared one and its CRC checked at the end."""

    def __init__(
        self,
        archive: SafeArchive,
        info: Member,
        raw: _RawMember,
        zstd: zstandard.ZstdDecompressor | None = None,
    ):
        super().__init__()
        self._label = f"{archive.label}: entry '{info.name}'"
        self._info = info
        self._inflater = _Inflater(info.method, raw, zstd)
        self._produced = 0
        self._crc = 0
        self._pending = b""
        self._consumed = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._consumed

    def read_chunk(self) -> bytes:
        """The next decompressed bytes (b"" at the end, after the size and CRC checks)."""
        if self._done:
            return b""
        try:
            data = self._inflater.read(OUT_CHUNK)
        except (zlib.error, zstandard.ZstdError, EOFError, OSError) as exc:
            raise LogReadError(f"{self._label} is damaged ({exc}).") from exc
        if not data:
            self._done = True
            if self._produced != self._info.file_size:
                raise LogReadError(
                    f"{self._label} is damaged or truncated: it holds {self._produced:,} of "
                    f"its {self._info.file_size:,} bytes."
                )
            if self._crc != self._info.crc:
                raise LogReadError(f"{self._label} is damaged: it fails its CRC check.")
            return b""
        self._produced += len(data)
        if self._produced > self._info.file_size:
            raise UnsafeInput(
                f"{self._label} holds more data than the {self._info.file_size:,} bytes it "
                "declares: the archive is forged (a ZIP bomb?)."
            )
        self._crc = zlib.crc32(data, self._crc)
        return data

    def readinto(self, buffer) -> int:
        if not self._pending:
            self._pending = self.read_chunk()
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self._consumed += size
        return size


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------

_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_SIZE_CHECK_EVERY = 4096  # events between two checks of the bytes consumed


def too_deep(label: str, limits: Limits) -> UnsafeInput:
    return UnsafeInput(f"{label} is nested more than {limits.max_json_depth} levels deep: refused.")


def json_object(
    handle,
    *,
    label: str,
    limits: Limits,
    skip: frozenset[str] = frozenset(),
    item_prefix: str | None = None,
) -> dict[str, Any]:
    """A JSON object read from a binary file with ijson, every top-level key built except those
    in `skip` (parsed all the same, so damage anywhere is found). Refuses nesting deeper than the
    limit, built keys larger than `max_entry_bytes` in total, and, when `item_prefix` is given
    (e.g. "samples.item"), any such item larger than that."""
    result: dict[str, Any] = {}
    key: str | None = None
    builder: ijson.ObjectBuilder | None = None
    depth = 0
    built = 0  # bytes of finished built keys
    mark = 0  # where the key being built started
    item_start: int | None = None
    events = 0
    limit = limits.max_entry_bytes

    # Inspect writes non-finite floats as NaN/Infinity, which JSON lacks (json_constants).
    stream, rewritten = json_constants.readable(handle)

    def finish_key() -> None:
        nonlocal built, builder
        if builder is not None and key is not None:
            result[key] = json_constants.restore(builder.value) if rewritten else builder.value
            built += handle.tell() - mark
            builder = None

    try:
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if event in _OPEN:
                depth += 1
                if depth > limits.max_json_depth:
                    raise too_deep(label, limits)
                if item_prefix is not None and prefix == item_prefix:
                    item_start = handle.tell()
            elif event in _CLOSE:
                depth -= 1
                if item_prefix is not None and prefix == item_prefix and item_start is not None:
                    if handle.tell() - item_start > limit:
                        raise UnsafeInput(
                            f"{label} holds an item under '{item_prefix}' larger than "
                            f"{_mib(limit)}: refused."
                        )
                    item_start = None
            if prefix == "":
                if event == "map_key":
                    finish_key()
                    key = value
                    builder = None if value in skip else ijson.ObjectBuilder()
                    mark = handle.tell()
                elif event == "end_map":
                    finish_key()
                elif event != "start_map":
                    raise LogReadError(f"{label} is JSON but not an object.")
                continue
            if builder is not None:
                builder.event(event, value)
                events += 1
                if events % _SIZE_CHECK_EVERY == 0 and built + handle.tell() - mark > limit:
                    raise UnsafeInput(
                        f"{label} holds more than {_mib(limit)} outside its samples: refused."
                    )
    except LogReadError:
        raise
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise LogReadError(
            f"{label} is damaged or truncated: not valid JSON ({exc or exc.__class__.__name__})."
        ) from exc
    if built > limit:
        raise UnsafeInput(f"{label} holds more than {_mib(limit)} outside its samples: refused.")
    return result


def check_value_sizes(handle, *, label: str, limits: Limits) -> None:
    """Refuse a JSON file holding a single value (a string, in practice) longer than
    `max_entry_bytes` before a parser buffers it whole: a run of that many bytes without a quote.
    One pass at the speed of `bytes.find`; the handle is rewound."""
    limit = limits.max_entry_bytes
    inner = re.compile(rb'[^"]{%d}' % (limit + 1)) if limit < OUT_CHUNK else None
    run = 0  # bytes since the last quote
    while chunk := handle.read(OUT_CHUNK):
        first = chunk.find(b'"')
        if first < 0:
            run += len(chunk)
        else:
            longest = run + first
            if inner is not None and inner.search(chunk):
                longest = limit + 1
            run = len(chunk) - 1 - chunk.rfind(b'"')
            if longest > limit:
                run = longest
        if run > limit:
            raise UnsafeInput(f"{label} holds a single value longer than {_mib(limit)}.")
    handle.seek(0)


def check_depth(value: Any, *, label: str, limits: Limits) -> None:
    """Refuse an already-parsed JSON value nested deeper than the limit (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limits.max_json_depth:
            raise too_deep(label, limits)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def json_lines(stream, *, label: str, limits: Limits) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-empty line of a JSON Lines file, each line at most
    `max_entry_bytes` and within the depth limit."""
    reader = (
        io.BufferedReader(stream, buffer_size=READ_CHUNK)
        if isinstance(stream, io.RawIOBase)
        else stream
    )
    number = 0
    while True:
        line = reader.readline(limits.max_entry_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > limits.max_entry_bytes:
            raise UnsafeInput(
                f"{label}: line {number} is longer than {_mib(limits.max_entry_bytes)}."
            )
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except RecursionError as exc:
            raise too_deep(f"{label}: line {number}", limits) from exc
        except ValueError as exc:
            raise LogReadError(f"{label}: line {number} is not valid JSON ({exc}).") from exc
        check_depth(value, label=f"{label}: line {number}", limits=limits)
        yield number, value
