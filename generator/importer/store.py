"""Writing an imported draft: its images into `assets/` and the draft itself, each created exclusively (a
temporary file linked to its name, which fails if the name exists), so an existing draft or image is never
overwritten and a reader never sees half a file. Then `check`, as `reportgen check` would run it."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import generator

from ._messages import _
from .convert import ImportedDraft, convert_docx
from .errors import ImportRefused
from .sniff import read_docx

MAX_DOCX_BYTES = 64 * 1024 * 1024


@dataclass
class ImportResult:
    """The draft written (`path`, its `text`), the images written, and every diagnostic: the importer's and
    `check`'s, sorted by line."""

    path: Path
    text: str
    images: list[Path] = field(default_factory=list)
    diagnostics: list = field(default_factory=list)


def create_exclusively(path: Path, data: bytes) -> bool:
    """Write `path` only if it does not exist (atomically: a complete file or none). False if it existed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(handle, 0o644)   # as the build and `check --fix` make new files (mkstemp makes them private)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(temporary)


def write_images(assets: Path, images: dict[str, bytes]) -> list[Path]:
    """Write each image into `assets` unless the same bytes are there already under its name; an image of that
    name with other bytes is never overwritten (`ImportRefused`). Returns the files written."""
    written = []
    for name, data in images.items():
        target = assets / name
        if target.name != name or name.startswith("."):
            raise ImportRefused(_("{path} exists already with other content; it is never overwritten").format(
                path=target))
        if create_exclusively(target, data):
            written.append(target)
        elif target.read_bytes() != data:
            for image in written:
                image.unlink(missing_ok=True)
            raise ImportRefused(_("{path} exists already with other content; it is never overwritten").format(
                path=target))
    return written


def write_imported(draft: ImportedDraft) -> list[Path]:
    """Write the draft's images (an image with the same name and bytes is shared) and then the draft, never
    overwriting; raises `ImportRefused` if the draft exists. Returns the image paths written."""
    if draft.path.exists():
        raise ImportRefused(_("{path} exists already; it is never overwritten: give another id with --id").format(
            path=draft.path))
    written = write_images(draft.path.parent / "assets", draft.images)
    if not create_exclusively(draft.path, draft.text.encode("utf-8")):
        for image in written:
            image.unlink(missing_ok=True)
        raise ImportRefused(_("{path} exists already; it is never overwritten: give another id with --id").format(
            path=draft.path))
    return written


def safe_fix(draft: ImportedDraft, config, registry) -> ImportedDraft:
    """The draft with `check --fix`'s safe fixes applied, and an IMP710 note of how many (nothing silent)."""
    fixable = [item for item in generator.check_text(draft.text, path=draft.path, config=config, registry=registry)
               if item.fix]
    if not fixable:
        return draft
    fixed = generator.fix_text(draft.text, path=draft.path, config=config, registry=registry)
    codes = sorted({item.code for item in fixable})
    note = generator.diagnostic("IMP710", draft.path, _("{file}: {count} safe fix(es) of `check --fix` were applied "
                                                        "({codes})").format(file=draft.source_name,
                                                                            count=len(fixable), codes=", ".join(codes)))
    return ImportedDraft(draft.path, fixed, draft.images, [note, *draft.diagnostics], draft.source_name)


WARM_UP_DRAFT = "---\ntitle: 标题\n---\n\n## 一、课题背景\n\n正文，“引文”。\n"


def _warm_checker(config, registry, directory: Path) -> None:
    """Check a tiny draft, so that the checker's first-use costs (its rules, parser and tables) are paid while
    pandoc reads the document on the other core, not after it."""
    generator.check_text(WARM_UP_DRAFT, path=directory / "_warm-up.md", config=config, registry=registry)


def import_docx(source: Path, *, config, year: int, report_id: str | None = None, out: Path | None = None,
                fix: bool = False, registry=None) -> ImportResult:
    """`reportgen import`: read and convert `source`, write `<id>.md` and its images (never overwriting; without
    `report_id`, the next free id of the directory), and check it. With `fix`, the safe fixes of
    `check --fix` are applied first (reported as IMP710)."""
    if not 1000 <= year <= 9999:
        raise ImportRefused(_("the year must have four digits, found {year}").format(year=year))
    registry = registry if registry is not None else generator.load_registry(config.registry_path)
    data = read_docx(source, max_bytes=MAX_DOCX_BYTES)
    directory = out if out is not None else config.sources_dir / str(year)
    for _attempt in range(3):
        draft = convert_docx(data, name=str(source), config=config, year=year, report_id=report_id,
                             directory=directory, registry=registry,
                             while_pandoc_runs=lambda: _warm_checker(config, registry, directory))
        if fix:
            draft = safe_fix(draft, config, registry)
        try:
            images = write_imported(draft)
            break
        except ImportRefused:
            if report_id is not None or not draft.path.exists():
                raise  # the id was asked for: an error, never another name
    else:
        raise ImportRefused(_("could not find a free report id in {path}").format(path=directory))
    checked = generator.check_text(draft.text, path=draft.path, config=config, registry=registry)
    diagnostics = sorted([*draft.diagnostics, *checked], key=lambda item: item.sort_key)
    return ImportResult(draft.path, draft.text, images, diagnostics)
