"""The user's cache directory for facts about files that are slow to establish and never change for given bytes
(a font's cmap, an image that decoded completely). Entries are keyed by content or by path, size and mtime;
a read-only or missing home only means the work is done again.

Every entry is written with a header holding the SHA-256 of its name and content, and checked against it when
read: an entry that was truncated, overwritten, written by something else or copied from another entry's name
is discarded (with a `-v` line) and made again, never used.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

HEADER = b"reportgen-memo 1 "


def user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reportgen"


def _seal(name: str, data: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8", "surrogateescape") + b"\0" + data).hexdigest().encode()


def remember(name: str, data: bytes = b"") -> None:
    """Write a cache entry atomically; failures are ignored."""
    target = user_cache_dir() / name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.reportgen-{os.getpid()}.tmp")
        temporary.write_bytes(HEADER + _seal(name, data) + b"\n" + data)
        os.replace(temporary, target)
    except OSError:
        pass


def recall(name: str) -> bytes | None:
    """A cache entry kept with `remember`, if it is intact; otherwise None."""
    from .verify import discard

    path = user_cache_dir() / name
    try:
        stored = path.read_bytes()
    except OSError:
        return None
    seal, _newline, data = stored[len(HEADER):].partition(b"\n")
    if not stored.startswith(HEADER) or seal != _seal(name, data):
        discard(path, "not the entry its name says")
        return None
    return data


def recall_json(name: str, schema=dict):
    """A JSON value kept with `remember_json`, if it is intact and has the shape `schema` (`cache.conforms`);
    otherwise an empty object."""
    from .verify import conforms, discard

    data = recall(name)
    if data is None:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    if not conforms(value, schema):
        discard(user_cache_dir() / name, "not of the expected form")
        return {}
    return value


def remember_json(name: str, value: dict) -> None:
    remember(name, json.dumps(value, ensure_ascii=False, sort_keys=True).encode())


class Memo:
    """The results of a pure function of text, kept in the user cache (one JSON object) so that the library
    behind it is loaded only for an argument never seen before (pypinyin's dictionaries, jieba's): looked up in
    this process, then in the cache (read once per process), and only then computed, and kept (at once, or when
    `keep` is called if `deferred`). `name` gives the entry's name (with the library's version) when first
    needed; `schema` is each value's shape."""

    def __init__(self, name, compute, schema, *, deferred: bool = False):
        self.name, self.compute, self.schema, self.deferred = name, compute, schema, deferred
        self.values: dict | None = None
        self.unsaved = False

    def __call__(self, key: str):
        if self.values is None or key not in self.values:
            from .verify import Each

            self.values = {**recall_json(self.name(), Each(self.schema)), **(self.values or {})}
        if key not in self.values:
            self.values[key] = self.compute(key)
            self.unsaved = True
            if not self.deferred:
                self.keep()
        return self.values[key]

    def keep(self) -> None:
        """Write what was computed since the last time (a deferred memo: once per document, not per value)."""
        if self.unsaved and self.values is not None:
            remember_json(self.name(), self.values)
            self.unsaved = False
