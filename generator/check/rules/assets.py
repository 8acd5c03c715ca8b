"""AST5xx: images and links a draft refers to."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import PIL  # its version only: PIL.Image is imported when an image is actually decoded

from generator.check.context import CheckContext, memo
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _, current_language
from generator.core.model import Diagnostic, Document
from generator.core.usercache import recall, remember

from ..registry import rule
from .limits import body_lines


def resolve_asset(doc: Document, src: str, ctx: CheckContext) -> tuple[Path | None, str | None]:
    """The file an image `src` names, or why it may not be used (only files under the sources)."""
    target, problem = _named_file(doc, src, ctx)
    if target is not None and not target.is_file():
        return None, _("image “{src}” does not exist").format(src=src[:80])
    return target, problem


def _named_file(doc: Document, src: str, ctx: CheckContext) -> tuple[Path | None, str | None]:
    """The path under the sources an image `src` names, whether a file is there or not."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        return None, _("only images stored beside the drafts may be used, not “{src}”").format(src=src[:80])
    relative = unquote(parts.path)
    if not relative or relative.startswith("/"):
        return None, _("image path “{src}” must be relative to the draft").format(src=src[:80])
    target = Path(os.path.realpath(doc.path.parent / relative))  # (a link loop does not raise here)
    sources = ctx.config.sources_dir
    if not target.is_relative_to(sources):
        return None, _("image “{src}” lies outside the sources directory").format(src=src[:80])
    return target, None


IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)>\s]*)>?(?:\s+[\"'(][^)]*)?\)")


def image_references(doc: Document) -> list[tuple[int, int, str]]:
    """(line, col, src) of every inline image outside code blocks."""
    return memo(doc, "image_references", lambda d: [
        (number, match.start() + 1, match.group(1)) for number, line in body_lines(d) for match in IMAGE.finditer(line)])


def named_files(doc: Document, ctx: CheckContext) -> list[Path]:
    """Every path under the sources a draft's images name, a file there or not: what its checks depend on (a
    missing image that appears, or one that goes, changes what they find)."""
    targets = (_named_file(doc, src, ctx)[0] for _line, _col, src in image_references(doc))
    return sorted({target for target in targets if target})


def asset_files(doc: Document, ctx: CheckContext) -> list[Path]:
    """The image files a draft references and may use (part of its content hashes)."""
    targets = (resolve_asset(doc, src, ctx)[0] for _line, _col, src in image_references(doc))
    return [target for target in targets if target]


@rule("AST501")
def unusable_image(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Images are relative paths to existing files under the sources directory."""
    for line, col, src in image_references(doc):
        _target, problem = resolve_asset(doc, src, ctx)
        if problem:
            yield diagnostic("AST501", doc.path, (line, col), problem)


MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_FORMATS = {"PNG", "JPEG", "GIF"}


def verify_image(path: Path) -> str | None:
    """Why an image file cannot be used (corrupt, truncated, unknown format, too large), or None."""
    stat = path.stat()
    return _verify_image(path, stat.st_size, stat.st_mtime_ns, current_language())


@lru_cache(maxsize=1024)
def _verify_image(path: Path, _size: int, _mtime: int, _language: str) -> str | None:
    # Keyed by size and modification time: drafts sharing an image decode it once per process; and by the
    # language, since the answer is a message (a server answers each request in its user's language).
    if path.suffix.lower() in (".svg", ".svgz"):
        # Refused for PDF and DOCX alike: Word cannot show SVG everywhere, and SVG can reference other files.
        return _("image format {kind} is not supported; use PNG, JPEG or GIF").format(kind="SVG")
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        return _("image is {size} bytes, more than {limit}").format(size=size, limit=MAX_IMAGE_BYTES)
    marker = _decoded_marker(path)
    if marker is not None and recall(marker) is not None:
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            kind = image.format
            width, height = image.size
            if kind not in IMAGE_FORMATS:
                return _("image format {kind} is not supported; use PNG, JPEG or GIF").format(kind=kind)
            if width * height > MAX_IMAGE_PIXELS:
                return _("image has {width}x{height} pixels, more than {limit}").format(
                    width=width, height=height, limit=MAX_IMAGE_PIXELS)
            image.verify()
        with Image.open(path) as image:
            image.load()  # verify() does not decode; a truncated file fails only here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _("image is too large to decode safely")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        return _("image cannot be read ({error}); use PNG, JPEG or GIF").format(error=type(error).__name__)
    if marker is not None:
        remember(marker)
    return None


def _decoded_marker(path: Path) -> str | None:
    """Names the fact “these bytes decoded completely within the limits” (decoding every chart of a corpus
    is most of a no-change build's checking time)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    limits = f"{PIL.__version__}:{MAX_IMAGE_BYTES}:{MAX_IMAGE_PIXELS}:{sorted(IMAGE_FORMATS)}".encode()
    return "images/" + hashlib.sha256(limits + b"\0" + data).hexdigest()


@rule("AST503")
def invalid_image(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Images are PNG, JPEG or GIF files that decode completely, within size limits (SVG is refused)."""
    for line, col, src in image_references(doc):
        target, problem = resolve_asset(doc, src, ctx)
        if target is not None and problem is None:
            reason = verify_image(target)
            if reason:
                yield diagnostic("AST503", doc.path, (line, col), _("image “{src}”: {reason}").format(
                    src=src[:80], reason=reason))


RAW_HTML = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?|!--|!\[|\?)[^<>]*>?")


@rule("AST504")
def raw_html(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Raw HTML is not passed through: it is printed literally."""
    from .text import _segments_matching

    text = doc.draft.text
    for segment in _segments_matching(doc, RAW_HTML):
        for match in RAW_HTML.finditer(segment.text):
            if match.group(0).startswith(("<http", "<mailto")):
                continue
            if _escaped(segment.text, match.start()):
                continue  # `\<title>`: the writer asked for the text itself, and Markdown prints it so
            # The source, not the prose segment: masking hides URLs (`<img src="http://…">`) from text rules.
            html = text[segment.offset + match.start():segment.offset + match.end()]
            yield diagnostic("AST504", doc.path, (segment.line, segment.col + match.start()), _(
                "raw HTML “{html}” is not interpreted; it will be printed as text").format(html=html[:80]))


def _escaped(text: str, index: int) -> bool:
    """Whether the character at `index` follows an odd number of backslashes (a Markdown escape)."""
    backslashes = len(text[:index]) - len(text[:index].rstrip("\\"))
    return backslashes % 2 == 1
