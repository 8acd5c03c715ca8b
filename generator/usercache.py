"""The user's cache directory for facts about files that are slow to establish and never change for given bytes
(a font's cmap, an image that decoded completely). Entries are keyed by content or by path, size and mtime;
a read-only or missing home only means the work is done again."""

from __future__ import annotations

import json
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


def recall(name: str) -> bytes | None:
    """A cache entry kept with `remember`, or None."""
    try:
        return (user_cache_dir() / name).read_bytes()
    except OSError:
        return None


def recall_json(name: str) -> dict:
    """A JSON object kept with `remember_json`, or an empty one."""
    try:
        value = json.loads((user_cache_dir() / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def remember_json(name: str, value: dict) -> None:
    remember(name, json.dumps(value, ensure_ascii=False, sort_keys=True).encode())
