"""Layout through WeasyPrint, with a fetcher that serves only project files and with WeasyPrint's warnings
turned into diagnostics. The result is a unit (`render/units.py`): a PDF with placeholder font programs that
`render/assemble.py` finishes.

The fetcher resolves every URL to a real path and serves it only when it lies under the sources or the
templates directory; every other scheme (http, data, ftp …) and path is refused and reported (AST502).
After rendering, the embedded fonts are compared with the configured ones: a glyph that Pango took from a
font not configured (a silent fallback) is an error (RND602), never a quiet substitution.
"""

from __future__ import annotations

import gc
import hashlib
import io
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pikepdf
import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

from generator.core.config import Config
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _
from generator.core.model import Diagnostic

from .fontprograms import PlaceholderFont, deferred_programs, placeholder_fonts

MAX_RESOURCE_BYTES = 25 * 1024 * 1024
_FONT_CONFIGURATION = None  # one per process: its Pango font map keeps the fonts it opened (see `_fonts`)


def _fonts():
    """WeasyPrint's font configuration, shared by every layout of this process. A new one per document (as
    WeasyPrint makes by default) opens and measures every font again: a tenth of each report's layout time.
    reportgen declares no @font-face, so nothing a document adds can reach the next one."""
    global _FONT_CONFIGURATION
    if _FONT_CONFIGURATION is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONT_CONFIGURATION = FontConfiguration()
    return _FONT_CONFIGURATION


@dataclass
class SafeFetcher(URLFetcher):
    """Serve `file:` URLs under the allowed roots only; remember every refusal."""

    roots: tuple[Path, ...] = ()
    project: Path | None = None  # the real directory behind `PROJECT_URL` (see `base_uri`)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        super().__init__(timeout=1, allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=False)

    def __hash__(self):
        return id(self)

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return self._refuse(url, _("only files of the project may be used"))
        path = Path(unquote(parts.path))
        if self.project is not None and path.is_relative_to(PROJECT_URL):
            path = self.project / path.relative_to(PROJECT_URL)
            url = path.as_uri()  # what a message about it names
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return self._refuse(url, _("file not found"))
        if not any(real.is_relative_to(root) for root in self.roots) or not real.is_file():
            return self._refuse(url, _("outside the sources and templates"))
        with real.open("rb") as handle:
            data = handle.read(MAX_RESOURCE_BYTES + 1)
        if len(data) > MAX_RESOURCE_BYTES:
            return self._refuse(url, _("larger than {limit} bytes").format(limit=MAX_RESOURCE_BYTES))
        content_type = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
        return URLFetcherResponse(real.as_uri(), data, {"Content-Type": content_type})

    def _refuse(self, url: str, reason: str):
        self.refused.append((url[:200], reason))
        raise ValueError(f"refused: {reason}")


# WeasyPrint names an image after its URL (`/i<md5 of the URL>` in every page that draws it): so that no output
# depends on where the project lies, documents are laid out with a base URL under this fixed path, which the
# fetcher maps back to the project's real directory.
PROJECT_URL = Path("/reportgen-project")


def base_uri(base_url: Path, project: Path) -> str:
    """The URL documents based at `base_url` are laid out with: project-relative under `PROJECT_URL` when it lies
    in the project (the real file URL otherwise)."""
    real, root = base_url.resolve(), project.resolve()
    if real.is_relative_to(root):
        return (PROJECT_URL / real.relative_to(root)).as_uri().rstrip("/") + "/"
    return real.as_uri() + "/"


class _CapturedWarnings(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@dataclass(frozen=True)
class PdfResult:
    data: bytes
    pages: int
    diagnostics: tuple[Diagnostic, ...]
    anchor_pages: dict[str, int] = field(default_factory=dict)  # anchor id -> 0-based physical page
    fonts: tuple[PlaceholderFont, ...] = ()  # fonts whose programs are still placeholders (`fontprograms.py`)


def _font_key(name: str) -> str:
    """“ABCDEF+Noto-Serif-CJK-SC-Bold” -> “notoserifcjkscbold” (subset tag removed, separators dropped)."""
    return re.sub(r"[^a-z0-9]", "", name.split("+", 1)[-1].lower())


def configured_font_keys(config: Config) -> set[str]:
    families = {family for families in config.brand.font_families().values() for family in families}
    return {re.sub(r"[^a-z0-9]", "", family.lower()) for family in families}


def embedded_fonts(pdf: pikepdf.Pdf) -> set[str]:
    """The names of the fonts the pages of `pdf` use (subset tags included)."""
    names = set()
    for page in pdf.pages:
        resources = page.obj.get("/Resources") or {}
        fonts = resources.get("/Font") or {}
        for font in fonts.values():
            base = font.get("/BaseFont")
            if base:
                names.add(str(base).lstrip("/"))
    return names


def render_pdf(html: str, *, base_url: Path, config: Config, source: Path, identifier: str) -> PdfResult:
    """Lay out `html` and write the PDF; problems are returned as diagnostics about `source`."""
    fetcher = SafeFetcher(roots=(config.sources_dir, config.templates_dir), project=config.root.resolve())
    captured = _CapturedWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(captured)
    try:
        with deferred_programs():
            document = weasyprint.HTML(string=html, base_url=base_uri(base_url, config.root),
                                       url_fetcher=fetcher).render(font_config=_fonts())
            anchor_pages: dict[str, int] = {}
            for index, page in enumerate(document.pages):
                for anchor in page.anchors:
                    anchor_pages.setdefault(anchor, index)
            data = document.write_pdf(pdf_identifier=hashlib.sha256(identifier.encode()).hexdigest()[:32].encode(),
                                      pdf_variant=config.brand.pdf_variant)
    finally:
        logger.removeHandler(captured)
        # A laid-out document is a web of reference cycles holding hundreds of megabytes: free it now, not at
        # the collector's next whim, so that a worker's memory stays flat from one report to the next. What
        # survives is long-lived (modules, templates, font caches): freezing it keeps every later collection,
        # this one and the collector's own during the next layout, from walking it again (70 ms -> 10 ms each).
        document = None
        gc.collect()
        gc.freeze()
    diagnostics = [diagnostic("AST502", source, (1, 1), _("resource “{url}” was refused: {reason}").format(
        url=url, reason=reason)) for url, reason in fetcher.refused]
    diagnostics += [diagnostic("RND603", source, (1, 1), message) for message in captured.messages
                    if not message.startswith("Failed to load") or not fetcher.refused]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        fonts, pages, placeholders = embedded_fonts(pdf), len(pdf.pages), placeholder_fonts(pdf)
    allowed = configured_font_keys(config)
    for name in sorted(fonts):
        if not any(_font_key(name).startswith(key) for key in allowed):
            diagnostics.append(diagnostic("RND602", source, (1, 1), _(
                "some characters were drawn with “{font}”, which is not a configured font; "
                "run `reportgen check` to find them").format(font=name.split("+", 1)[-1])))
    return PdfResult(data=data, pages=pages, diagnostics=tuple(diagnostics), anchor_pages=anchor_pages,
                     fonts=placeholders)
