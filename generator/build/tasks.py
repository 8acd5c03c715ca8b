"""The work a build hands to its worker processes: typed, frozen and self-contained (the drafts, `_volume.md` and
registry as the build read and checked them; nothing is read again), so that a task gives the same bytes
wherever it runs (`worker.run_task` runs one), and what they deliver."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.model import Diagnostic, Draft

if TYPE_CHECKING:
    from generator.read.registry import Registry


@dataclass(frozen=True)
class ReportTask:
    """Render one checked draft to the given formats."""

    draft: Draft
    formats: tuple[str, ...]
    units: Path | None = None          # where laid-out units are kept (`store.units_dir`), None for nowhere
    environment: str = ""              # the rendering environment's key (`keys.environment_key`)
    assets: tuple[Path, ...] = ()      # the images the draft references (sent with it to a Dask worker)
    shadow: Path | None = None         # on a Dask worker: where the build's files lie (`store.shadowed`)
    key: str = ""                      # the report's key (`keys.report_key`): its Word segment is kept by it


@dataclass(frozen=True)
class VolumeTask:
    """Make one year's volume in one format. The PDF task lays out what is not in the unit cache yet (it may start
    while the reports in `waiting_for` are still being laid out: it waits for their units); the Word task needs
    only the reports' page counts, which `page_counts` gives when the previous build knows them."""

    year: str
    drafts: tuple[Draft, ...]
    kind: str                                       # "pdf" or "docx"
    include_drafts: bool
    units: Path | None
    environment: str
    source: Draft | None                            # `_volume.md` as read, or None when the year has none
    registry: Registry | None
    page_counts: dict[str, int] | None = None       # report id -> pages, for a Word volume made without layout
    waiting_for: frozenset[str] = frozenset()       # paths of the reports still being laid out
    unit_keys: dict[str, str] = field(default_factory=dict)  # report path -> the key of its laid-out unit
    segment_keys: dict[str, str] = field(default_factory=dict)  # report path -> the key of its Word segment


@dataclass
class ReportOutput:
    path: Path
    pdf: bytes | None = None
    docx: bytes | None = None
    pages: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    cache_used: set[str] = field(default_factory=set)  # keys of the units its outputs came from


@dataclass(frozen=True)
class KeptFile:
    """A volume file a task wrote to a temporary file beside the units (`worker.keep_file`), for the build to
    move into place: megabytes that do not pass through the result pipe nor stay in the build's memory."""

    path: Path
    size: int
    sha256: str


@dataclass
class VolumeOutput:
    pdf: bytes | KeptFile | None = None
    docx: bytes | KeptFile | None = None
    pages: int = 0
    starts: list[tuple[str, str, int]] = field(default_factory=list)  # (id, title, printed start page)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    cache_used: set[str] = field(default_factory=set)                 # keys of the units it came from
    missing: str | None = None  # a report whose unit it waited for and that ended without one (no volume made)
    member_diagnostics: dict[str, tuple[Diagnostic, ...]] = field(default_factory=dict)  # from the reports' units
