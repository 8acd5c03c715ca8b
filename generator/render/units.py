"""Laid-out units: every WeasyPrint layout reportgen does, cached by content.

A unit is a PDF laid out without page numbers (nor, for a report, its running header: see `assemble.py`) and
with placeholder font programs (`fontprograms.py`). Each report is laid out once, as one unit, and that unit
serves both the report's own PDF and its part of the volume; the volume's front and back matter are units too.
Units are kept by the store they are given (`UnitStore`): the build's keeps them in its cache
(`build/store.py: UnitCache`) by a hash of their HTML (which holds everything that affects the layout) and the
rendering environment, so a report that is rebuilt for any reason other than its content, and a volume whose
reports did not change, lay nothing out again; `NoUnitStore` keeps nothing (one report rendered on its own).
"""

from __future__ import annotations

import datetime as dt
import html as html_module
import re
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from generator.core.config import Config
from generator.core.model import Document

from .assemble import Unit, finish_report
from .html import FURNITURE_ANCHOR, ReportView, render_report_html, report_view

if TYPE_CHECKING:
    from .pdf import PdfResult
    from .segments import Segment


_REFERENCE = re.compile(r'\bsrc="([^"]+)"|url\(\s*[\'"]?([^\'")]+)')


def referenced_files(html: str, base_url: Path) -> list[Path]:
    """Local files an HTML document refers to (`src` attributes and CSS `url()`), resolved as the fetcher
    resolves them; other schemes are not files and are left to the fetcher to refuse."""
    found = set()
    for match in _REFERENCE.finditer(html_module.unescape(html)):
        reference = (match.group(1) or match.group(2)).strip()
        parts = urlsplit(reference)
        if parts.scheme == "file":
            found.add(Path(unquote(parts.path)).resolve())
        elif not parts.scheme and parts.path:
            found.add((base_url / unquote(parts.path)).resolve())
    return sorted(found)


class UnitStore(Protocol):
    """Where laid-out units (and finished font programs, `fontprograms.embed_programs`) are kept by content key."""

    directory: Path | None

    def key(self, html: str, base_url: Path, roots: tuple[Path, ...]) -> str: ...
    def get(self, key: str) -> Unit | None: ...
    def put(self, key: str, unit: Unit) -> None: ...
    def get_program(self, key: str) -> bytes | None: ...
    def put_program(self, key: str, data: bytes) -> None: ...
    def wait_for(self, key: str, seconds: float, source: Path) -> Unit | None: ...
    def get_segment(self, key: str) -> tuple[Segment, bytes] | None: ...
    def put_segment(self, key: str, segment: Segment, data: bytes) -> None: ...


class NoUnitStore:
    """Keeps nothing: every unit is laid out afresh (a report rendered on its own, the library's `Renderer`)."""

    directory = None

    def __init__(self):
        self.used: set[str] = set()
        self.segments: dict[str, tuple[Segment, bytes]] = {}  # for the one volume being made

    def key(self, html: str, base_url: Path, roots: tuple[Path, ...]) -> str:
        return ""

    def get(self, key: str) -> Unit | None:
        return None

    def put(self, key: str, unit: Unit) -> None:
        pass

    def get_program(self, key: str) -> bytes | None:
        return None

    def put_program(self, key: str, data: bytes) -> None:
        pass

    def wait_for(self, key: str, seconds: float, source: Path) -> Unit | None:
        return None

    def get_segment(self, key: str) -> tuple[Segment, bytes] | None:
        return self.segments.get(key)

    def put_segment(self, key: str, segment: Segment, data: bytes) -> None:
        self.segments[key] = (segment, data)


class UnitNotDelivered(Exception):
    """The task that was laying out a unit ended without it (its report failed, or was stopped at its limit)."""

    def __init__(self, source: Path):
        super().__init__(str(source))
        self.source = source


def render_unit(html: str, *, cache: UnitStore, config: Config, base_url: Path, source: Path,
                identifier: str, wait: float = 0) -> Unit:
    """The unit for `html`: from the cache, or laid out now (its diagnostics are kept with it). With `wait`,
    a worker is rendering `source` at this moment: wait up to `wait` seconds for its unit, and raise
    `UnitNotDelivered` if it ends without it. What failed as a report is never laid out again here: the build
    decides what to do without it."""
    key = cache.key(html, base_url, (config.sources_dir, config.templates_dir))
    cached = cache.get(key)
    if cached is None and wait and cache.directory is not None:
        cached = cache.wait_for(key, wait, source)
        if cached is None:
            raise UnitNotDelivered(source)
    if cached is not None:
        cached.key = key
        return cached
    from .pdf import render_pdf  # WeasyPrint: imported only where a layout is needed (the Word volume needs none)

    result = render_pdf(html, base_url=base_url, config=config, source=source, identifier=identifier)
    anchors = dict(result.anchor_pages)
    furniture = anchors.pop(FURNITURE_ANCHOR, None)  # a report's last page: its running header (see assemble.py)
    unit = Unit(result.data, anchors, result.pages if furniture is None else furniture,
                furniture=furniture is not None, diagnostics=tuple(result.diagnostics), fonts=result.fonts, key=key)
    cache.put(key, unit)
    return unit


def report_unit(doc: Document, view: ReportView, config: Config, *, cache: UnitStore,
                timestamp: dt.datetime, wait: float = 0) -> Unit:
    """A report laid out once: its own PDF and its volume part both come from this unit."""
    html = render_report_html(doc, config, generated=timestamp.date(), view=view)
    return render_unit(html, cache=cache, config=config, base_url=doc.path.parent, source=doc.path,
                       identifier=f"{doc.draft.year_dir}/{doc.report_id}", wait=wait)


def report_pdf(doc: Document, config: Config, *, timestamp: dt.datetime, view: ReportView | None = None,
               cache: UnitStore | None = None) -> PdfResult:
    """A report's own PDF: its unit (laid out now or cached) with the page numbers 1…n stamped on."""
    cache = cache or NoUnitStore()
    unit = report_unit(doc, view or report_view(doc, config), config, cache=cache, timestamp=timestamp)
    from .pdf import PdfResult

    return PdfResult(data=finish_report(unit, config), pages=unit.pages, diagnostics=unit.diagnostics,
                     anchor_pages=unit.anchors)
