"""The user's cache directory for facts about files that are slow to establish and never change for given bytes
(a font's cmap, an image that decoded completely). Entries are keyed by content or by path, size and mtime;
a read-only or missing home only means the work is done again."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reportgen"


def remember(name: str, data: bytes = b"") -> None:
    """Write a cache entry atomically; failures are ignored."""
    target = user_cache_dir() / name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)
    except OSError:
        pass
