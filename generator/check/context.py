"""What a rule may look at besides the document: configuration, registry, and the run's scope."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path

from generator.core.config import Config
from generator.read.registry import Registry


@dataclass(frozen=True)
class CheckContext:
    config: Config
    registry: Registry
    whole_corpus: bool = True
    """True when every draft of the sources is checked (corpus-wide rules need all of them)."""

    @property
    def project_root(self) -> Path:
        return self.config.root


_MEMOS: dict[int, dict[str, object]] = {}


def memo(doc, name: str, compute):
    """Derived data several rules read (prose segments, section matches …), computed once per document.

    Kept beside the document, never in it (a Document stays as parsed, and is sent between processes as such):
    by its identity while it lives, until `forget` (the checker calls it when the document's rules have run)."""
    entry = _MEMOS.get(id(doc))
    if entry is None:
        entry = _MEMOS[id(doc)] = {}
        weakref.finalize(doc, _MEMOS.pop, id(doc), None)  # an identity is reused only after its object is gone
    if name not in entry:
        entry[name] = compute(doc)
    return entry[name]


def forget(doc) -> None:
    """Drop the derived data of `doc` (its rules have run)."""
    _MEMOS.pop(id(doc), None)
