"""JSON's missing numbers: Inspect writes non-finite floats as the bare constants `NaN`,
`Infinity` and `-Infinity` (its "unscored" sentinel is NaN, e.g. a judge that found no grade), as
Python's `json` does, but they are not JSON and ijson refuses them.

`readable(handle)` gives ijson a stream it can parse: when the file holds any of these words at
all (a fast byte search), each constant outside a string is rewritten as a string that cannot
occur in a real log (it starts with a NUL character, which logs stored in PostgreSQL never hold),
and `restore` turns those strings back into the floats Inspect meant, before pydantic sees them.
A log without them is read as it is, at full speed.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any, BinaryIO

_WORDS = (b"NaN", b"Infinity")
_SENTINEL = "\x00"  # what a rewritten constant starts with once ijson decoded it
_VALUES = {
    "\x00NaN": math.nan,
    "\x00Infinity": math.inf,
    "\x00-Infinity": -math.inf,
}
_REWRITE = {
    b"NaN": b'"\\u0000NaN"',
    b"Infinity": b'"\\u0000Infinity"',
    b"-Infinity": b'"\\u0000-Infinity"',
}
# A whole string, or a constant outside one. A string that a chunk cuts is handled by `_Stream`.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')
_STRING_BODY = re.compile(rb'(?:[^"\\]|\\.)*')
_LONGEST = max(len(word) for word in _REWRITE)
_CHUNK = 1 << 16


def has_constants(handle: BinaryIO) -> bool:
    """Does the file hold the word NaN or Infinity anywhere (in a string or not)? Leaves the
    handle at the start."""
    handle.seek(0)
    tail = b""
    try:
        while chunk := handle.read(1 << 20):
            window = tail + chunk
            if any(word in window for word in _WORDS):
                return True
            tail = window[-_LONGEST:]
        return False
    finally:
        handle.seek(0)


class _Stream(io.RawIOBase):
    """`handle`, read with the constants outside strings rewritten (see the module). `tell()`
    answers the position in the underlying file, as size checks expect."""

    def __init__(self, handle: BinaryIO, chunk: int = _CHUNK):
        self._handle = handle
        self._chunk = chunk
        self._pending = b""  # bytes read but not yet rewritten (a cut string or constant)
        self._in_string = False
        self._out = bytearray()
        self._eof = False

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._handle.tell()

    def _rewrite(self, data: bytes, *, final: bool) -> bytes:
        out = bytearray()
        pos = 0
        while True:
            if self._in_string:
                end = _STRING_BODY.match(data, pos).end()  # type: ignore[union-attr]
                if end == len(data):  # the string goes on in the next chunk
                    out += data[pos:]
                    self._pending = b""
                    return bytes(out)
                if data[end : end + 1] != b'"':  # a lone backslash: its pair comes next
                    out += data[pos:end]
                    self._pending = b"" if final else data[end:]
                    if final:
                        out += data[end:]
                    return bytes(out)
                out += data[pos : end + 1]
                pos = end + 1
                self._in_string = False
            match = _TOKENS.search(data, pos)
            quote = data.find(b'"', pos)
            if quote != -1 and (match is None or match.start() > quote):
                # A string starts here that the chunk cuts (a whole one would have matched).
                out += data[pos : quote + 1]
                pos = quote + 1
                self._in_string = True
                continue
            if match is None:
                cut = len(data) if final else max(pos, len(data) - _LONGEST)
                out += data[pos:cut]  # a constant may be cut at the end: keep the last bytes
                self._pending = data[cut:]
                return bytes(out)
            out += data[pos : match.start()]
            token = match.group()
            out += _REWRITE.get(token, token)
            pos = match.end()

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while len(self._out) < len(buffer) and not self._eof:
            chunk = self._handle.read(self._chunk)
            if not chunk:
                self._eof = True
                self._out += self._rewrite(self._pending, final=True)
                self._pending = b""
                break
            self._out += self._rewrite(self._pending + chunk, final=False)
        size = min(len(buffer), len(self._out))
        buffer[:size] = self._out[:size]
        del self._out[:size]
        return size


def readable(handle: BinaryIO, *, chunk: int = _CHUNK) -> tuple[BinaryIO, bool]:
    """A stream ijson can parse for the file (the file itself when it holds no constant), and
    whether values need `restore`."""
    if not has_constants(handle):
        return handle, False
    return _Stream(handle, chunk), True  # type: ignore[return-value]


def rewritten(data: bytes | bytearray) -> bytes:
    """A whole document with its constants rewritten as `readable` does (for `restore`)."""
    return _TOKENS.sub(lambda match: _REWRITE.get(match.group(), match.group()), data)


def restore(value: Any) -> Any:
    """A value built from a rewritten stream, with the constants back as floats."""
    if isinstance(value, str):
        return _VALUES.get(value, value) if value.startswith(_SENTINEL) else value
    if isinstance(value, dict):
        return {k: restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore(v) for v in value]
    return value
