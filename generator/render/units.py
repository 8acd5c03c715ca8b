"""Laid-out units: every WeasyPrint layout reportgen does, cached by content.

A unit is a PDF laid out without page numbers (nor, for a report, its running header: see `assemble.py`) and
with placeholder font programs (`fontprograms.py`). Each report is laid out once, as one unit, and that unit
serves both the report's own PDF and its part of the volume; the volume's front and back matter are units too.
Units are cached in `<output>/.cache/<year>/units/` by a hash of their HTML (which holds everything that affects
the layout) and the rendering environment, so a report that is rebuilt for any reason other than its content,
and a volume whose reports did not change, lay nothing out again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html as html_module
import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ..atomic import atomic_write
from ..cache import rendering_marker, sha256_file
from ..config import Config
from ..model import Diagnostic, Document
from ..verify import DIAGNOSTIC, Each, discard, read_json
from .assemble import Unit, finish_report
from .fontprograms import PlaceholderFont
from .html import FURNITURE_ANCHOR, ReportView, render_report_html, report_view

if TYPE_CHECKING:
    from .pdf import PdfResult


FONT_RECORD = {"descriptor": [int], "key": str, "file": str, "index": int, "fingerprint": str, "postscript": str,
               "glyphs": [int]}
UNIT_RECORD = {"key": str, "anchors": Each(int), "pages": int, "furniture": bool, "sha256": str,
               "diagnostics": [DIAGNOSTIC], "fonts": [FONT_RECORD]}
_REFERENCE = re.compile(r'\bsrc="([^"]+)"|url\(\s*[\'"]?([^\'")]+)')


def _referenced_files(html: str, base_url: Path) -> list[Path]:
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


class UnitCache:
    """Units by content key, in the cache directory. A worker writes a unit as soon as it is laid out (atomically;
    the JSON last), so that a task running beside it can use it at once; the build prunes what no output used."""

    def __init__(self, directory: Path | None, environment: str):
        self.directory = directory
        self.environment = environment
        self.used: set[str] = set()

    def key(self, html: str, base_url: Path, roots: tuple[Path, ...]) -> str:
        """The HTML, and the content of every file under `roots` it refers to (a chart replaced under the same
        name changes the key), in this environment. Files elsewhere are never read: the fetcher refuses them."""
        digest = hashlib.sha256("\0".join((self.environment, str(base_url.resolve()), html)).encode())
        for path in _referenced_files(html, base_url):
            readable = path.is_file() and any(path.is_relative_to(root.resolve()) for root in roots)
            digest.update(f"\0{path}\0{sha256_file(path) if readable else 'not read'}".encode())
        return digest.hexdigest()[:32]

    def get(self, key: str) -> Unit | None:
        unit = self._read(key)
        if unit is not None:
            self.used.add(key)
        return unit

    def _read(self, key: str) -> Unit | None:
        """A unit, verified: its record of the expected form and naming this key, its PDF of the recorded
        SHA-256. Anything else (torn, garbage, of another format, swapped with another unit) is laid out again."""
        if self.directory is None:
            return None
        path = self.directory / f"{key}.json"
        meta = read_json(path, UNIT_RECORD)
        if meta is None:
            return None
        if meta["key"] != key:
            discard(path, "the record of another unit")
            return None
        try:
            data = (self.directory / f"{key}.pdf").read_bytes()
        except OSError:
            discard(path, "its PDF is missing")
            return None
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            discard(path, "its PDF is not the one laid out")
            return None
        try:
            problems = tuple(Diagnostic.from_json(item) for item in meta["diagnostics"])
            fonts = tuple(PlaceholderFont.from_json(item) for item in meta["fonts"])
        except (ValueError, TypeError):
            discard(path, "not of the expected form")
            return None
        return Unit(data, meta["anchors"], meta["pages"], furniture=meta["furniture"], diagnostics=problems,
                    fonts=fonts)

    def put(self, key: str, unit: Unit) -> None:
        self.used.add(key)
        meta = {"key": key, "anchors": unit.anchors, "pages": unit.pages, "furniture": unit.furniture,
                "sha256": hashlib.sha256(unit.data).hexdigest(),
                "diagnostics": [item.to_json() for item in unit.diagnostics],
                "fonts": [font.to_json() for font in unit.fonts]}
        if self.directory is not None:
            atomic_write(self.directory / f"{key}.pdf", unit.data)
            atomic_write(self.directory / f"{key}.json", json.dumps(meta, sort_keys=True, ensure_ascii=False).encode())

    def get_program(self, key: str) -> bytes | None:
        """A finished font program (`fontprograms.embed_programs`), kept beside the units that used it."""
        if self.directory is None:
            return None
        path = self.directory / f"{key}.font"
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if not data.startswith(key.encode()):
            discard(path, "not the font program it names")
            return None
        self.used.add(key)
        return data[len(key):]

    def put_program(self, key: str, data: bytes) -> None:
        self.used.add(key)
        if self.directory is not None:
            atomic_write(self.directory / f"{key}.font", key.encode() + data)  # its key inside: a swap shows

    def wait_for(self, key: str, seconds: float, marker: Path) -> Unit | None:
        """The unit another task is laying out now, once it is written; None as soon as that task has ended
        without it (its `marker` is gone) or after `seconds`."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            unit = self.get(key)
            # A short grace: the other task may have been handed out but not have made its marker yet.
            if unit is not None or (not marker.exists() and time.monotonic() - started > 0.5):
                return unit
            time.sleep(0.02)
        return None


class UnitNotDelivered(Exception):
    """The task that was laying out a unit ended without it (its report failed, or was stopped at its limit)."""

    def __init__(self, source: Path):
        super().__init__(str(source))
        self.source = source


def render_unit(html: str, *, cache: UnitCache, config: Config, base_url: Path, source: Path,
                identifier: str, wait: float = 0) -> Unit:
    """The unit for `html`: from the cache, or laid out now (its diagnostics are kept with it). With `wait`,
    a worker is rendering `source` at this moment: wait up to `wait` seconds for its unit, and raise
    `UnitNotDelivered` if it ends without it. What failed as a report is never laid out again here: the build
    decides what to do without it."""
    key = cache.key(html, base_url, (config.sources_dir, config.templates_dir))
    cached = cache.get(key)
    if cached is None and wait and cache.directory is not None:
        cached = cache.wait_for(key, wait, rendering_marker(cache.directory, source))
        if cached is None:
            raise UnitNotDelivered(source)
    if cached is not None:
        return cached
    from .pdf import render_pdf  # WeasyPrint: imported only where a layout is needed (the Word volume needs none)

    result = render_pdf(html, base_url=base_url, config=config, source=source, identifier=identifier)
    anchors = dict(result.anchor_pages)
    furniture = anchors.pop(FURNITURE_ANCHOR, None)  # a report's last page: its running header (see assemble.py)
    unit = Unit(result.data, anchors, result.pages if furniture is None else furniture,
                furniture=furniture is not None, diagnostics=tuple(result.diagnostics), fonts=result.fonts)
    cache.put(key, unit)
    return unit


def report_unit(doc: Document, view: ReportView, config: Config, *, cache: UnitCache,
                timestamp: dt.datetime, wait: float = 0) -> Unit:
    """A report laid out once: its own PDF and its volume part both come from this unit."""
    html = render_report_html(doc, config, generated=timestamp.date(), view=view)
    return render_unit(html, cache=cache, config=config, base_url=doc.path.parent, source=doc.path,
                       identifier=f"{doc.draft.year_dir}/{doc.report_id}", wait=wait)


def report_pdf(doc: Document, config: Config, *, timestamp: dt.datetime, view: ReportView | None = None,
               cache: UnitCache | None = None) -> PdfResult:
    """A report's own PDF: its unit (laid out now or cached) with the page numbers 1…n stamped on."""
    cache = cache or UnitCache(None, "")
    unit = report_unit(doc, view or report_view(doc, config), config, cache=cache, timestamp=timestamp)
    from .pdf import PdfResult

    return PdfResult(data=finish_report(unit, config), pages=unit.pages, diagnostics=unit.diagnostics,
                     anchor_pages=unit.anchors)
