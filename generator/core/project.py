"""Where the project is: the nearest `reportgen.toml` (kept apart from `config.py`, which needs pydantic, so that
a build can find its journal without loading the configuration)."""

from __future__ import annotations

from pathlib import Path

CONFIG_NAME = "reportgen.toml"


def find_config(start: Path) -> Path | None:
    """The nearest `reportgen.toml` in `start` or its parents (as ruff finds its configuration). Anything of that
    name counts, so that one that is not a readable file (a directory, a broken link) is reported, not passed
    over for the defaults."""
    start = start.resolve()
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return None
