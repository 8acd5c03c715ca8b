"""What a rule may look at besides the document: configuration, registry, and the run's scope."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..registry import Registry


@dataclass(frozen=True)
class CheckContext:
    config: Config
    registry: Registry
    whole_corpus: bool = True
    """True when every draft of the sources is checked (corpus-wide rules need all of them)."""

    @property
    def project_root(self) -> Path:
        return self.config.root


def memo(doc, name: str, compute):
    """Derived data several rules read (prose segments, section matches …), computed once per document.

    Stored in the document's `__dict__` under `_<name>`; `check` drops these before sending documents between
    processes.
    """
    key = f"_{name}"
    value = doc.__dict__.get(key)
    if value is None:
        value = doc.__dict__[key] = compute(doc)
    return value
