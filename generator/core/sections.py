"""Matching the body's headings to the configured required sections.

Titles are compared after stripping Chinese and Arabic numbering (一、 （一） 1. （1） 第一章) and spaces,
against each section's title and aliases. Used by the SEC rules and by the volume's outline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import Heading

if TYPE_CHECKING:
    from .config import SectionSpec

CN_DIGITS = "一二三四五六七八九十百零〇"
NUMBERING = re.compile(
    rf"^\s*(?:"
    rf"第[{CN_DIGITS}\d]+(?:章|节|部分|篇)\s*[、.．:：]?"
    rf"|[（(][{CN_DIGITS}\d]+[)）]\s*[、.．]?"
    rf"|[{CN_DIGITS}]+\s*[、.．]"
    rf"|\d+(?:\.\d+)*\s*[、.．]"
    rf"|\d+(?:\.\d+)*(?=\s)"
    rf")\s*"
)


def strip_numbering(title: str) -> str:
    return NUMBERING.sub("", title, count=1).strip()


def normalise_title(title: str) -> str:
    return re.sub(r"\s+", "", strip_numbering(title))


@dataclass(frozen=True)
class SectionMatch:
    heading: Heading
    spec_index: int | None


def match_headings(outline: tuple[Heading, ...], specs: list[SectionSpec]) -> list[SectionMatch]:
    """Each heading with the index of the required section it names (None for other headings)."""
    names: dict[str, int] = {}
    for index, spec in enumerate(specs):
        for name in (spec.title, *spec.aliases):
            names.setdefault(normalise_title(name), index)
    return [SectionMatch(heading, names.get(normalise_title(heading.text))) for heading in outline]
