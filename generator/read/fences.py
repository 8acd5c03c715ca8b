"""Fenced code blocks, recognised once for every reader of a draft's body: the Markdown tree (`parse`'s
`FencedCodeProcessor`, which both renderers read), the outline (`parse.scan_outline`, which the section checks
read) and the prose lines (`prose.lines_outside_code`, which the text rules read), so that a line inside a fence
is code for all three or for none.

As CommonMark has it: an opening fence is three or more backticks or tildes after at most three spaces of
indentation, followed by an optional info string (its first word is the language); the block's content lines
lose up to as many leading spaces as the opening fence had; the closing fence, also indented by at most three
spaces, is at least as long as the opening one, of the same character, with nothing after it but spaces or
tabs. An unclosed fence runs to the end of the body. (A tab indents to column 4: a line starting with one is
indented code, never a fence, as Python-Markdown, which expands tabs, reads it.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPENING = re.compile(r"^(?P<indent>[ ]{0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)[^\n]*$")
CLOSING = re.compile(r"^[ ]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*$")
MARKS = ("```", "~~~")


@dataclass(frozen=True, slots=True)
class Fence:
    """An opening fence: its character, length, indentation and language (the info string's first word)."""

    char: str
    length: int
    indent: int
    language: str

    def closed_by(self, line: str) -> bool:
        """Whether `line` is this fence's closing fence."""
        match = CLOSING.match(line)
        return match is not None and match.group("fence")[0] == self.char and len(match.group("fence")) >= self.length

    def closing(self) -> re.Pattern:
        """The closing fence as a multi-line pattern (to search a block of several lines at once)."""
        return re.compile(rf"^[ ]{{0,3}}{re.escape(self.char)}{{{self.length},}}[ \t]*$", re.M)

    def content(self, line: str) -> str:
        """A content line without the indentation of the opening fence (up to that many leading spaces)."""
        if not self.indent:
            return line
        stripped = line.lstrip(" ")
        return line[min(self.indent, len(line) - len(stripped)):]


def opening_fence(line: str) -> Fence | None:
    """The fence `line` opens, if it is an opening fence."""
    if MARKS[0] not in line and MARKS[1] not in line:  # most lines: one substring test each
        return None
    match = OPENING.match(line)
    if match is None:
        return None
    fence = match.group("fence")
    return Fence(fence[0], len(fence), len(match.group("indent")), match.group("lang"))


class FenceScanner:
    """Line by line through a body: `in_code(line)` tells whether the line belongs to a fenced code block (an
    opening or closing fence, or content), in the order the lines come."""

    __slots__ = ("fence",)

    def __init__(self):
        self.fence: Fence | None = None

    def in_code(self, line: str) -> bool:
        if self.fence is not None:
            if self.fence.closed_by(line):
                self.fence = None
            return True
        self.fence = opening_fence(line)
        return self.fence is not None
