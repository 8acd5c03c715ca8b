"""The user cache is pruned (issue 15): by age and size, least recently used first, at most once a day, never by
a build replayed from its journal, and never so that a reader sees part of an entry."""

from __future__ import annotations

import os
import threading
import time

import pytest

from generator.core import usercache
from generator.core.usercache import STAMP, prune, recall, remember, user_cache_dir

DAY = 86400


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("REPORTGEN_CACHE_MAX_AGE_DAYS", raising=False)
    monkeypatch.delenv("REPORTGEN_CACHE_MAX_MB", raising=False)
    monkeypatch.setattr(usercache, "_prune_checked", False)
    return tmp_path / "reportgen"


def _entry(name: str, *, days_ago: float, size: int = 10) -> os.PathLike:
    remember(name, b"x" * size)
    path = user_cache_dir() / name
    moment = time.time() - days_ago * DAY
    os.utime(path, (moment, moment))
    return path


def test_entries_not_used_for_60_days_go_recent_ones_stay(cache):
    old = _entry("cmap-old.bin", days_ago=61)
    old_journal = _entry("journal/0123.json", days_ago=90)  # journals are entries too
    recent = _entry("cmap-recent.bin", days_ago=59)
    fresh_journal = _entry("journal/4567.json", days_ago=1)
    template = cache / "templates-3.1-abc" / "__jinja2_x.cache"
    template.parent.mkdir()
    template.write_bytes(b"compiled")
    os.utime(template, (time.time() - 100 * DAY,) * 2)
    removed = prune(force=True)
    assert sorted(removed) == sorted([old, old_journal, template])
    assert not old.exists() and not old_journal.exists() and not template.exists()
    assert recall("cmap-recent.bin") == b"x" * 10 and recall("journal/4567.json") == b"x" * 10
    assert recent.exists() and fresh_journal.exists()
    assert not template.parent.exists() or time.time() - template.parent.stat().st_mtime < 3600  # emptied dir


def test_a_read_entry_counts_as_used(cache):
    entry = _entry("cmap-read.bin", days_ago=61)
    assert recall("cmap-read.bin") == b"x" * 10  # marks it used (its access time), whatever the mount options
    assert time.time() - entry.stat().st_atime < 60
    assert prune(force=True) == [] and entry.exists()


def test_the_cache_is_kept_under_its_size_least_recently_used_first(cache, monkeypatch):
    monkeypatch.setenv("REPORTGEN_CACHE_MAX_MB", "1")
    megabyte = 1024 * 1024
    oldest = _entry("big-1.bin", days_ago=10, size=megabyte // 2)
    older = _entry("big-2.bin", days_ago=5, size=megabyte // 2)
    newer = _entry("big-3.bin", days_ago=2, size=megabyte // 2)
    newest = _entry("small.bin", days_ago=0, size=1000)
    removed = prune(force=True)
    assert removed == [oldest, older]
    assert newer.exists() and newest.exists()
    total = sum(path.stat().st_size for path in cache.rglob("*") if path.is_file() and path.name != STAMP)
    assert total <= megabyte


def test_bounds_from_the_environment_and_off(cache, monkeypatch):
    entry = _entry("cmap-a.bin", days_ago=20)
    monkeypatch.setenv("REPORTGEN_CACHE_MAX_AGE_DAYS", "10")
    assert prune(force=True) == [entry]
    entry = _entry("cmap-b.bin", days_ago=400)
    monkeypatch.setenv("REPORTGEN_CACHE_MAX_AGE_DAYS", "0")  # off
    monkeypatch.setenv("REPORTGEN_CACHE_MAX_MB", "nonsense")  # the default
    assert prune(force=True) == [] and entry.exists()


def test_pruned_at_most_once_a_day_and_not_for_a_journal(cache):
    remember("seed.bin", b"")  # the first `remember` of this process prunes (the cache has no stamp yet)
    assert (cache / STAMP).exists()
    old = _entry("cmap-old.bin", days_ago=61)
    assert prune() == [] and old.exists()  # pruned less than a day ago
    os.utime(cache / STAMP, (time.time() - 2 * DAY,) * 2)
    usercache._prune_checked = False
    remember("journal/abc.json", b"{}")  # a build replayed from its journal never prunes
    assert old.exists()
    remember("catalog.mo", b"new")  # something new kept: due, so pruned
    assert not old.exists()
    assert time.time() - (cache / STAMP).stat().st_mtime < 60
    usercache._prune_checked = True  # once per process: later `remember`s do not even look at the stamp
    os.utime(cache / STAMP, (time.time() - 2 * DAY,) * 2)
    old = _entry("cmap-old2.bin", days_ago=61)
    remember("catalog2.mo", b"new")
    assert old.exists()


def test_a_missing_cache_is_not_made_by_pruning(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "none"))
    assert prune() == [] and not (tmp_path / "none").exists()


def test_a_concurrent_reader_sees_whole_entries_or_none(cache, monkeypatch):
    monkeypatch.setattr(usercache, "USE_MARKED_EVERY_S", float("inf"))  # reading does not save them here
    size = 256 * 1024
    names = [f"memo-{index}.bin" for index in range(150)]
    for index, name in enumerate(names):
        remember(name, bytes([index % 251]) * size)
        moment = time.time() - 100 * DAY
        os.utime(user_cache_dir() / name, (moment, moment))
    seen, problems, stop = [], [], threading.Event()

    def read():
        while not stop.is_set():
            for index, name in enumerate(names):
                data = recall(name)  # whole and sealed, or None: never part of one
                if data is None:
                    continue
                if data != bytes([index % 251]) * size:
                    problems.append(name)
                seen.append(name)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        time.sleep(0.05)
        removed = prune(force=True)
    finally:
        stop.set()
        reader.join()
    assert removed and seen  # (entries read meanwhile may be kept: the kernel marks them used, `relatime`)
    assert problems == []
    gone = {path.name for path in removed}
    for index, name in enumerate(names):
        assert recall(name) == (None if name in gone else bytes([index % 251]) * size)
