"""Character classes and text normalisation shared by the parser, the text rules and the renderers.

One place decides what counts as a Han character or CJK punctuation, how soft line breaks between CJK
characters are joined, and which characters XML (and so DOCX) cannot hold.
"""

from __future__ import annotations

import re

class LazyPattern:
    """A regular expression compiled on first use. Patterns over the Han ranges take milliseconds each to
    compile, at every process start, though a build that reuses every check result never runs them."""

    def __init__(self, source: str, flags: int = 0):
        self._source, self._flags, self._compiled = source, flags, None

    def __getattr__(self, name: str):
        """Only for names not found on the instance: compile, then keep the attribute (a bound method such as
        `finditer`) on the instance, so that later uses are plain attribute lookups."""
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        value = getattr(self._compiled, name)
        setattr(self, name, value)
        return value


HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
CJK_PUNCT = r"\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018\u2019\u201c\u201d\u2014\u2026\u00b7"
CJK = HAN + CJK_PUNCT
HAN_RE = re.compile(f"[{HAN}]")
SOFT_BREAK_CJK = re.compile(f"(?<=[{CJK}])[ \\t]*\\n[ \\t]*(?=[{CJK}])")
SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")
# Characters XML 1.0 cannot carry: C0 controls except tab/newline/CR, U+FFFE/U+FFFF, lone surrogates.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def join_soft_breaks(text: str) -> str:
    """Join line breaks inside a paragraph: removed between CJK characters, a space elsewhere."""
    if "\n" not in text:
        return text
    return SOFT_BREAK.sub(" ", SOFT_BREAK_CJK.sub("", text))


def xml_safe(text: str) -> str:
    """Replace characters XML cannot hold (reported as TXT409 by the checker) with U+FFFD-free spaces."""
    return XML_INVALID.sub(" ", text)


def count_han(text: str) -> int:
    return len(HAN_RE.findall(text))
