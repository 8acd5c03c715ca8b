"""Safe fixes: apply the edits that diagnostics carry, re-check, repeat until nothing is left to fix.

Fixing a file writes it atomically and keeps the original as `<name>.bak` (numbered if one exists), so
nothing is lost; `--diff` shows the change without writing. Running `--fix` twice changes nothing the
second time, because the loop stops only when no fixable diagnostic remains.
"""

from __future__ import annotations

import difflib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from generator.core.atomic import atomic_write
from generator.core.config import Config
from generator.core.model import Diagnostic, Edit
from generator.read.parse import parse
from generator.read.reader import draft_from_text, read_source

from .context import CheckContext
from .engine import apply_severity, check_document

MAX_ROUNDS = 8


@dataclass(frozen=True)
class FixResult:
    path: Path
    original: str
    fixed: str
    applied: int
    has_bom: bool
    had_crlf: bool

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.original.splitlines(keepends=True), self.fixed.splitlines(keepends=True),
            fromfile=f"{self.path} (before)", tofile=f"{self.path} (fixed)"))


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, int]:
    """Apply non-overlapping edits (the first of overlapping ones wins); return text and count applied."""
    chosen: list[Edit] = []
    last_end = -1
    for edit in sorted(edits, key=lambda item: (item.start, item.end)):
        if edit.start < last_end or (edit.start == last_end and chosen and chosen[-1].start == edit.start):
            continue
        chosen.append(edit)
        last_end = max(edit.end, last_end)
    for edit in reversed(chosen):
        text = text[: edit.start] + edit.replacement + text[edit.end:]
    return text, len(chosen)


def _fixable(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [item for item in diagnostics if item.fix]


HTML_LIKE = re.compile(r"<[^<>\n]*>")


def markdown_syntax(doc) -> tuple:
    """What the Markdown of a document means, apart from its prose: the front matter's keys, the tree's elements
    and attributes (heading ids come from heading text), the text of code, and text that looks like HTML (printed
    as written). A safe fix changes none of it."""
    shape: list = [tuple(doc.draft.fields)]
    for tree in (doc.body, *(item for _identifier, item in doc.footnotes)):
        for element in tree.iter():
            attributes = tuple(sorted((name, value) for name, value in element.attrib.items()
                                      if name not in ("id", "alt")))  # ids and alt text come from prose
            code = "".join(element.itertext()) if element.tag in ("code", "pre") else None
            shape.append((element.tag, attributes, code))
            for value in (element.text, element.tail):
                if value and "<" in value:
                    shape.append(tuple(HTML_LIKE.findall(value)))
    return tuple(shape)


def _keeps_syntax(path: Path, text: str, edits: list[Edit], syntax: tuple, ctx: CheckContext) -> bool:
    changed, _count = apply_edits(text, edits)
    return markdown_syntax(parse(draft_from_text(path, changed), ctx.config)) == syntax


def fix_text(path: Path, text: str, ctx: CheckContext) -> tuple[str, int]:
    """Fixed text and the number of diagnostics fixed. Each round's edits are checked against the document's
    Markdown syntax (`markdown_syntax`): a fix that would change what the syntax means is not applied."""
    applied_total = 0
    for _round in range(MAX_ROUNDS):
        doc = parse(draft_from_text(path, text), ctx.config)
        fixable = _fixable(apply_severity(check_document(doc, ctx), ctx.config))
        if not fixable:
            break
        syntax = markdown_syntax(doc)
        edits = [edit for item in fixable for edit in item.fix]
        if not _keeps_syntax(path, text, edits, syntax, ctx):
            # Some fix would change the syntax (or two fixes together would): keep the fixes that are safe each
            # on its own, and apply them together only if that is safe too, else the first of them.
            fixable = [item for item in fixable if _keeps_syntax(path, text, list(item.fix), syntax, ctx)]
            edits = [edit for item in fixable for edit in item.fix]
            if fixable and not _keeps_syntax(path, text, edits, syntax, ctx):
                fixable, edits = fixable[:1], list(fixable[0].fix)
        if not fixable:
            break
        text, applied = apply_edits(text, edits)
        if not applied:
            break
        applied_total += len(fixable) if applied == len(edits) else applied
    return text, applied_total


def fix_file(path: Path, config: Config, ctx: CheckContext) -> FixResult | None:
    """Compute the fixes of one file (nothing is written here)."""
    text, problems, has_bom, had_crlf, _digest = read_source(path, max_bytes=config.check.max_draft_bytes, within=config.root)
    if text is None:
        return None
    fixed, applied = fix_text(path, text, ctx)
    return FixResult(path, text, fixed, applied, has_bom, had_crlf)


def write_fix(result: FixResult) -> Path:
    """Keep the original as a numbered `.bak` beside the draft, then replace the draft atomically."""
    backup = result.path.with_name(result.path.name + ".bak")
    number = 1
    while backup.exists():
        backup = result.path.with_name(f"{result.path.name}.bak.{number}")
        number += 1
    shutil.copy2(result.path, backup)
    text = result.fixed.replace("\n", "\r\n") if result.had_crlf else result.fixed
    data = ("\ufeff" if result.has_bom else "") + text
    atomic_write(result.path, data.encode("utf-8"))
    return backup
