"""The user's cache directory for facts about files that are slow to establish and never change for given bytes
(a font's cmap, an image that decoded completely). Entries are keyed by content or by path, size and mtime;
a read-only or missing home only means the work is done again.

Every entry is written with a header holding the SHA-256 of its name and content, and checked against it when
read: an entry that was truncated, overwritten, written by something else or copied from another entry's name
is discarded (with a `-v` line) and made again, never used.

The cache is pruned (`prune`): every file under it (an entry, a build journal under `journal/`, a compiled
template under `templates-*/`) not used for `MAX_AGE_DAYS` is removed, and then, while the whole is larger than
`MAX_MB`, the least recently used files. A file's last use is the later of its access and modification times;
`recall` marks an entry used (at most once a day: its access time) where the file system does not. Pruning runs
at most once a day (the stamp file `.pruned`), from `remember` when something new is kept, never for a build
journal: a build that changed nothing (replayed from its journal) never prunes. Each file goes by one `unlink`,
so a concurrent reader has the whole entry or none (then it makes it again). Both bounds can be set by
environment variables (`REPORTGEN_CACHE_MAX_AGE_DAYS`, `REPORTGEN_CACHE_MAX_MB`; 0 turns the bound off).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

HEADER = b"reportgen-memo 1 "
MAX_AGE_DAYS = 60      # files not used for this long are removed
MAX_MB = 200           # then the least recently used, until the cache holds at most this much
PRUNE_EVERY_S = 24 * 3600
USE_MARKED_EVERY_S = 24 * 3600  # `recall` marks an entry used when its last use is older than this
STAMP = ".pruned"
_prune_checked = False  # once per process: whether a prune was due


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
        return
    if not name.startswith("journal/"):
        prune_if_due()


def recall(name: str) -> bytes | None:
    """A cache entry kept with `remember`, if it is intact; otherwise None."""
    from .verify import discard

    path = user_cache_dir() / name
    try:
        with open(path, "rb") as handle:
            stored, status = handle.read(), os.fstat(handle.fileno())
    except OSError:
        return None
    now = time.time()
    if now - max(status.st_atime, status.st_mtime) > USE_MARKED_EVERY_S:  # used: kept by `prune` (noatime mounts)
        try:
            os.utime(path, (now, status.st_mtime))
        except OSError:
            pass
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
    this process, then in the cache (read once per process: a miss is computed, not looked for again on disk,
    which cost a read and a check of the whole entry for every new text), and only then computed, and kept (at
    once, or when `keep` is called if `deferred`), merged with what other processes kept since. `name` gives the
    entry's name (with the library's version) when first needed; `schema` is each value's shape."""

    def __init__(self, name, compute, schema, *, deferred: bool = False):
        self.name, self.compute, self.schema, self.deferred = name, compute, schema, deferred
        self.values: dict | None = None
        self.unsaved = False
        self._name: str | None = None

    def _stored(self) -> dict:
        from .verify import Each

        if self._name is None:
            self._name = self.name()
        return recall_json(self._name, Each(self.schema))

    def __call__(self, key: str):
        if self.values is None:
            self.values = self._stored()
        if key not in self.values:
            self.values[key] = self.compute(key)
            self.unsaved = True
            if not self.deferred:
                self.keep()
        return self.values[key]

    def keep(self) -> None:
        """Write what was computed since the last time (a deferred memo: once per document, not per value)."""
        if self.unsaved and self.values is not None:
            self.values = {**self._stored(), **self.values}
            remember_json(self._name, self.values)
            self.unsaved = False


# ---- pruning ----------------------------------------------------------------------------------------------


def _bound(variable: str, default: float) -> float:
    try:
        value = float(os.environ.get(variable, default))
    except ValueError:
        return default
    return value if value >= 0 else default


def prune_if_due() -> None:
    """Prune the cache if it was not pruned for a day (checked once per process: one `stat`)."""
    global _prune_checked
    if _prune_checked:
        return
    _prune_checked = True
    try:
        prune()
    except OSError:
        pass


def prune(*, force: bool = False, now: float | None = None) -> list[Path]:
    """Remove the files of the user cache not used for `MAX_AGE_DAYS`, then the least recently used ones while
    the cache is larger than `MAX_MB`; at most once a day unless `force`. Returns the removed files."""
    root = user_cache_dir()
    now = time.time() if now is None else now
    stamp = root / STAMP
    if not force:
        try:
            if now - stamp.stat().st_mtime < PRUNE_EVERY_S:
                return []
        except FileNotFoundError:
            if not root.is_dir():
                return []
    try:
        stamp.touch()  # first: a concurrent process does not prune too
        os.utime(stamp, (now, now))
    except OSError:
        return []
    max_age = _bound("REPORTGEN_CACHE_MAX_AGE_DAYS", MAX_AGE_DAYS) * 86400
    max_bytes = _bound("REPORTGEN_CACHE_MAX_MB", MAX_MB) * 1024 * 1024
    files, directories = _files(root)
    removed, kept, total = [], [], 0
    for used, size, path in sorted(files):
        if max_age and now - used > max_age:
            if _remove(path):
                removed.append(path)
        else:
            kept.append((used, size, path))
            total += size
    for _used, size, path in kept:  # least recently used first
        if not max_bytes or total <= max_bytes:
            break
        if _remove(path):
            removed.append(path)
            total -= size
    for directory in sorted(directories, key=lambda path: len(path.parts), reverse=True):
        try:  # an emptied directory, if no one made it just now (a writer about to write in it)
            if now - directory.stat().st_mtime > 3600:
                directory.rmdir()
        except OSError:
            pass
    return removed


def _files(root: Path) -> tuple[list[tuple[float, int, Path]], list[Path]]:
    """Every file under `root` but the stamp, as (last used, size, path), and every directory below it."""
    files, directories, pending = [], [], [root]
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    directories.append(Path(entry.path))
                    pending.append(Path(entry.path))
                    continue
                if directory == root and entry.name == STAMP:
                    continue
                status = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            files.append((max(status.st_atime, status.st_mtime), status.st_size, Path(entry.path)))
    return files, directories


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False  # a concurrent prune took it
    except OSError:
        return False
    return True
