"""AST5xx: images and links a draft refers to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..diagnostics import diagnostic, rule
from ..i18n import _
from ..model import Diagnostic, Document, Severity
from ..prose import FENCE
from .context import CheckContext


def resolve_asset(doc: Document, src: str, ctx: CheckContext) -> tuple[Path | None, str | None]:
    """The file an image `src` names, or why it may not be used (only files under the sources)."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        return None, _("only images stored beside the drafts may be used, not “{src}”").format(src=src[:80])
    relative = unquote(parts.path)
    if not relative or relative.startswith("/"):
        return None, _("image path “{src}” must be relative to the draft").format(src=src[:80])
    target = (doc.path.parent / relative).resolve()
    sources = ctx.config.sources_dir
    if not target.is_relative_to(sources):
        return None, _("image “{src}” lies outside the sources directory").format(src=src[:80])
    if not target.is_file():
        return None, _("image “{src}” does not exist").format(src=src[:80])
    return target, None


IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)>\s]*)>?(?:\s+[\"'(][^)]*)?\)")


def image_references(doc: Document) -> list[tuple[int, int, str]]:
    """(line, col, src) of every inline image outside code blocks."""
    found = []
    fence = None
    for number, line in enumerate(doc.draft.body.split("\n"), start=doc.draft.body_line):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence) and set(stripped) <= {fence[0]}:
                fence = None
            continue
        if match := FENCE.match(line):
            fence = match.group(1)
            continue
        for match in IMAGE.finditer(line):
            found.append((number, match.start() + 1, match.group(1)))
    return found


@rule("AST501", "unusable-image", Severity.ERROR)
def unusable_image(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Images are relative paths to existing files under the sources directory."""
    for line, col, src in image_references(doc):
        _target, problem = resolve_asset(doc, src, ctx)
        if problem:
            yield diagnostic("AST501", doc.path, (line, col), problem)
