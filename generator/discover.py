"""Which files are drafts: `<sources>/<year>/<id>.md`, skipping `_`-prefixed files such as `_volume.md`."""

from __future__ import annotations

from pathlib import Path

from .config import Config
from .errors import ReportgenError
from .i18n import _


def is_draft_name(path: Path) -> bool:
    return path.suffix == ".md" and not path.name.startswith(("_", "."))


def discover_drafts(paths: list[Path], config: Config) -> list[Path]:
    """Drafts named on the command line (files or directories), or all drafts under the sources."""
    if not paths:
        sources = config.sources_dir
        if not sources.is_dir():
            raise ReportgenError(_("sources directory {path} does not exist").format(path=sources))
        return sorted(path for year in sources.iterdir() if year.is_dir() and not year.name.startswith(("_", "."))
                      for path in year.glob("*.md") if is_draft_name(path))
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(item for item in path.rglob("*.md") if is_draft_name(item)))
        elif path.is_file():
            found.append(path)
        else:
            raise ReportgenError(_("no such file or directory: {path}").format(path=path))
    return sorted({path.resolve(): path for path in found}.values(), key=lambda path: str(path))
