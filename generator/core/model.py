"""Typed data passed between pipeline stages: drafts, documents and diagnostics.

Every value here is immutable once built, so stages can hand them to worker processes and caches without
defensive copies.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from xml.etree import ElementTree


class Severity(enum.IntEnum):
    """How much a diagnostic matters; ordered so that `max()` gives the worst."""

    INFO = 10
    WARNING = 20
    ERROR = 30

    @property
    def label(self) -> str:
        return self.name.lower()


def fails(diagnostics, *, strict: bool) -> bool:
    """Whether diagnostics make a run fail: any error, or with `strict` any warning too."""
    worst = Severity.WARNING if strict else Severity.ERROR
    return any(item.severity >= worst for item in diagnostics)


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column in a source file."""

    line: int
    col: int = 1


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `text[start:end]` of a whole source file with `replacement` (offsets in characters)."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about one place of one file."""

    path: Path
    line: int
    col: int
    code: str
    name: str
    severity: Severity
    message: str
    fix: tuple[Edit, ...] = ()

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.path), self.line, self.col, self.code)

    def to_json(self) -> dict:
        """A plain dictionary, as the build's caches keep diagnostics (`from_json` reads it back)."""
        return {"path": str(self.path), "line": self.line, "col": self.col, "code": self.code, "name": self.name,
                "severity": int(self.severity), "message": self.message,
                "fix": [[edit.start, edit.end, edit.replacement] for edit in self.fix]}

    def to_record(self, root: Path) -> dict:
        """The manifest's form: the path relative to the project `root` (links followed) where it lies in it."""
        return {"path": relative_to_project(self.path, root), "line": self.line, "column": self.col,
                "code": self.code, "name": self.name, "severity": self.severity.label, "message": self.message}

    @classmethod
    def from_json(cls, item: dict) -> "Diagnostic":
        return cls(Path(item["path"]), item["line"], item["col"], item["code"], item["name"],
                   Severity(item["severity"]), item["message"], tuple(Edit(*edit) for edit in item["fix"]))


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A front-matter value with where it was written.

    `value` is the raw YAML shape: `str` for scalars (never coerced by YAML), `list` for sequences,
    `dict` for mappings. `items` holds the positions of sequence items.
    """

    key: str
    value: Any
    key_pos: Position
    value_pos: Position
    items: tuple[Position, ...] = ()


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft as read from disk: front matter with positions, body text, and where the body starts."""

    path: Path
    report_id: str
    year_dir: str
    text: str
    fields: dict[str, FieldValue]
    body: str
    body_line: int
    read_problems: tuple[Diagnostic, ...] = ()
    front_matter_parsed: bool = True
    has_bom: bool = False
    had_crlf: bool = False
    digest: str = ""  # SHA-256 of the bytes read (`reader.read_source`): what was checked is what is rendered


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of the body with its position in the source file."""

    level: int
    text: str
    line: int
    col: int = 1


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """Front matter after type conversion; fields that failed conversion are `None`."""

    title: str | None = None
    short_title: str | None = None
    year: int | None = None
    theme: str | None = None
    company: str | None = None
    counselors: tuple[str, ...] = ()
    status: str | None = None
    submitted: dt.date | None = None
    summary: str | None = None
    keywords: tuple[str, ...] = ()
    volume_order: int | None = None
    extra: tuple[tuple[str, str], ...] = ()


class TreeSource(Protocol):
    """Builds (or reads back) the element tree and footnotes of a Markdown body."""

    def tree(self, body: str) -> tuple[ElementTree.Element, Sequence[tuple[str, ElementTree.Element]]]: ...


@dataclass(frozen=True)
class Document:
    """A parsed draft: typed metadata, the outline, and (built on first use) the Markdown element tree
    that both renderers read. Checking needs no tree, so `check` never pays for building one."""

    draft: Draft
    meta: ReportMeta
    outline: tuple[Heading, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    trees: TreeSource | None = field(default=None, compare=False, repr=False)
    """What builds the element tree from the body: the parser that made this Document (`read/parse.py`)."""

    @cached_property
    def _tree(self) -> tuple[ElementTree.Element, tuple[tuple[str, ElementTree.Element], ...]]:
        if self.trees is None:
            raise ValueError(f"{self.draft.path}: a Document made without a parser has no tree")
        body, footnotes = self.trees.tree(self.draft.body)
        return body, tuple(footnotes)

    @property
    def body(self) -> ElementTree.Element:
        return self._tree[0]

    def forget_tree(self) -> None:
        """Drop the element tree (built again if asked for): a volume's task that renders hundreds of documents
        one after the other need not keep every tree."""
        self.__dict__.pop("_tree", None)

    @property
    def footnotes(self) -> tuple[tuple[str, ElementTree.Element], ...]:
        """(id, `li` element) for each footnote, in order of first reference."""
        return self._tree[1]

    @property
    def path(self) -> Path:
        return self.draft.path

    @property
    def report_id(self) -> str:
        return self.draft.report_id


def relative_to_project(path: Path, root: Path) -> str:
    """`path` relative to the project's `root` when it lies in it (links followed: `os.path.realpath`, which,
    unlike `Path.resolve`, does not raise on a link loop), else as given."""
    try:
        return str(Path(os.path.realpath(path)).relative_to(os.path.realpath(root)))
    except ValueError:
        return str(path)
