"""Safe fixes: apply the edits that diagnostics carry, re-check, repeat until nothing is left to fix.

Fixing a file writes it atomically and keeps the original as `<name>.bak` (numbered if one exists), so
nothing is lost; `--diff` shows the change without writing. Running `--fix` twice changes nothing the
second time, because the loop stops only when no fixable diagnostic remains.
"""

from __future__ import annotations

import difflib
import shutil
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_write
from .check import apply_severity, check_document
from .config import Config
from .model import Diagnostic, Edit
from .parse import parse
from .reader import draft_from_text, read_source
from .rules.context import CheckContext

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


def fix_text(path: Path, text: str, ctx: CheckContext) -> tuple[str, int]:
    """Fixed text and the number of diagnostics fixed."""
    applied_total = 0
    for _round in range(MAX_ROUNDS):
        doc = parse(draft_from_text(path, text), ctx.config)
        fixable = _fixable(apply_severity(check_document(doc, ctx), ctx.config))
        if not fixable:
            break
        edits = [edit for item in fixable for edit in item.fix]
        text, applied = apply_edits(text, edits)
        if not applied:
            break
        applied_total += len(fixable) if applied == len(edits) else applied
    return text, applied_total


def fix_file(path: Path, config: Config, ctx: CheckContext) -> FixResult | None:
    """Compute the fixes of one file (nothing is written here)."""
    text, problems, has_bom, had_crlf, _digest = read_source(path, max_bytes=config.check.max_draft_bytes)
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
