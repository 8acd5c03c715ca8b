"""Character classes and text normalisation shared by the parser, the text rules and the renderers.

One place decides what counts as a Han character or CJK punctuation, how soft line breaks between CJK
characters are joined, and which characters XML (and so DOCX) cannot hold.
"""

from __future__ import annotations

import html
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
# CSS Text 3's segment break transformation: a line break next to a wide (CJK) character on either side
# disappears; elsewhere it is a space.
SOFT_BREAK_CJK = re.compile(f"(?<=[{CJK}])[ \\t]*\\n[ \\t]*|[ \\t]*\\n[ \\t]*(?=[{CJK}])")
SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")
# Characters XML 1.0 cannot carry: C0 controls except tab/newline/CR, U+FFFE/U+FFFF, lone surrogates.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def join_soft_breaks(text: str, *, before: str = "", after: str = "") -> str:
    """Join line breaks inside a paragraph: removed next to a CJK character, a space elsewhere. `before` and
    `after` are the characters around `text` when it is a piece of a paragraph (the text after a code span)."""
    if "\n" not in text:
        return text
    context = before[-1:] + text + after[:1]
    joined = SOFT_BREAK.sub(" ", SOFT_BREAK_CJK.sub("", context))
    return joined[len(before[-1:]): len(joined) - len(after[:1])]


def xml_safe(text: str) -> str:
    """Replace characters XML cannot hold (reported as TXT409 by the checker) with U+FFFD-free spaces."""
    return XML_INVALID.sub(" ", text)


def count_han(text: str) -> int:
    return len(HAN_RE.findall(text))


# HTML character references (`&copy;`, `&#8212;`, `&#x3000;`): printed as the character they name, as CommonMark
# does; TXT412 tells the writer where a pasted reference indents or spaces text.
CHARACTER_REFERENCE = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"


def decode_reference(reference: str) -> str | None:
    """The character(s) an HTML character reference names, or None (an unknown name, or a character that cannot
    be printed: it is then printed as written)."""
    value = html.unescape(reference)
    if value == reference or "\ufffd" in value or XML_INVALID.search(value) or "\x7f" in value:
        return None
    return value
