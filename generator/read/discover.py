"""Which files are drafts: `<sources>/<year>/<id>.md`, skipping `_`-prefixed files such as `_volume.md`.
Anything of such a name but a directory is a draft to the checker, which refuses what is not a regular file of
the project (a FIFO, a link to a device or out of the project) with FM118 rather than pass over it silently.

A directory that cannot be listed is an error (exit 2), never an empty year: a build that took it for one would
report no drafts and remove the outputs of drafts that are still there.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator.core.config import Config
from generator.core.errors import ReportgenError
from generator.core.i18n import _


def is_draft_name(path: Path) -> bool:
    return path.suffix == ".md" and not path.name.startswith(("_", "."))


def discover_drafts(paths: list[Path], config: Config) -> list[Path]:
    """Drafts named on the command line (files or directories), or all drafts under the sources."""
    if not paths:
        sources = config.sources_dir
        if not sources.is_dir():
            raise ReportgenError(_("sources directory {path} does not exist").format(path=sources))
        return sorted(path for year in _entries(sources) if year.is_dir() and not year.name.startswith(("_", "."))
                      for path in _entries(year) if is_draft_name(path) and not path.is_dir())
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(_drafts_under(path)))
        elif path.is_file():
            found.append(path)
        else:
            raise ReportgenError(_("no such file or directory: {path}").format(path=path))
    return sorted({path.resolve(): path for path in found}.values(), key=lambda path: str(path))


def _entries(directory: Path) -> list[Path]:
    """The entries of `directory`; one that cannot be read is an error (`Path.glob` would skip it silently)."""
    try:
        with os.scandir(directory) as entries:
            return [directory / entry.name for entry in entries]
    except OSError as error:
        raise ReportgenError(_("cannot read directory {path}: {error}").format(
            path=directory, error=error.strerror or error)) from None


def _drafts_under(directory: Path) -> list[Path]:
    found = []
    for entry in _entries(directory):
        if entry.is_dir() and not entry.is_symlink():
            found.extend(_drafts_under(entry))
        elif is_draft_name(entry) and not entry.is_dir():
            found.append(entry)
    return found
