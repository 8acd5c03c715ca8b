"""Where the prose of a draft is: segments of source text that text rules may inspect and fix.

Code (fenced blocks, inline spans), link and image targets, URLs, footnote markers and Markdown syntax are
masked with a private-use character so that no rule matches or edits them; front matter contributes only
the values of its printable text fields. Each segment knows its absolute offset in the draft's text, so
diagnostics get exact line:col and fixes exact edits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from generator.core.model import Draft
from generator.core.textnorm import CHARACTER_REFERENCE

from .fences import FenceScanner

MASK = "\ue000"
PRINTED_FIELDS = ("title", "summary")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s")
# `{width=50%}`, `{#id .class}`: pandoc's and Python-Markdown's attribute lists (TXT413 reports them).
ATTRIBUTE = r"(?:[#.][\w-]+|[\w-]+=(?:\"[^\"\n]*\"|[^\s}]*))"
ATTRIBUTE_LIST = rf"\{{:?[ \t]*{ATTRIBUTE}(?:[ \t]+{ATTRIBUTE})*[ \t]*\}}"
REFERENCE = re.compile(CHARACTER_REFERENCE)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
MASKED_INLINE = re.compile(
    # Every alternative starts with one of these characters: one class test rejects the other positions (most
    # of them, Han characters) at once instead of trying each alternative there.
    r"(?=[`\]!<hfm\[#>*+\-0-9{&\s])(?:"
    r"(`+)(?:(?!\1).)+?\1"            # code spans
    r"|\]\([^)\n]*\)"                 # link and image targets
    r"|!(?=\[[^\]\n]*\][(\[])"          # the `!` of an image (TXT403 made it `！`, a link)
    r"|<[a-z][a-z0-9+.-]*:[^>\s]*>"   # autolinks
    r"|<[^<> !]+@[^@<> ]+>"           # e-mail autolinks (Python-Markdown's AUTOMAIL_RE)
    r"|\b(?:https?|ftp|file|mailto):[^\s，。；）)\]]+"  # bare URLs
    r"|^[ ]{0,3}\[(?!\^)[^\]\n]+\]:.*$"  # link reference definitions: label, URL and title print nowhere
    r"|\[\^[^\]\n]*\]:?"              # footnote markers
    r"|^\s{0,3}#{1,6}(?=\s)"          # heading marks
    r"|^\s*(?:[-*+]|\d+[.)])(?=\s)"   # list markers
    r"|^\s*>+"                        # quote marks
    r"|\{:[^}\n]*\}"                  # attribute lists (kramdown's, and pandoc's below)
    r"|" + ATTRIBUTE_LIST +
    r"|(?<!\\)(?P<reference>" + CHARACTER_REFERENCE + "))",  # printed as the character they name (TXT412)
    re.M,
)


@dataclass(frozen=True, slots=True)
class Segment:
    """A line's worth of prose: `text` is the source with non-prose masked, `offset` its start in the draft."""

    line: int
    col: int
    offset: int
    text: str
    role: str  # "title", "summary", "heading:<level>", "body"
    references: tuple[tuple[int, int], ...] = ()  # spans of HTML character references (masked in `text`)


def _mask(match: re.Match, references: list[tuple[int, int]]) -> str:
    if match.lastgroup == "reference":
        references.append(match.span())
    return MASK * len(match.group(0))


def prose_segments(draft: Draft, body_lines: Iterable[tuple[int, str]] | None = None) -> list[Segment]:
    """The draft's prose, a segment per line; `body_lines` are its `lines_outside_code`, if the caller has them."""
    lines = draft.text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    segments: list[Segment] = []
    for name in PRINTED_FIELDS:
        field = draft.fields.get(name)
        if field is None or not isinstance(field.value, str) or not field.value:
            continue
        index = field.value_pos.line - 1
        if not 0 <= index < len(lines):
            continue
        line = lines[index]
        col = field.value_pos.col - 1
        raw = line[col:]
        if raw[:1] in ("'", '"'):
            col, raw = col + 1, raw[1:].rstrip()[:-1] if raw.rstrip().endswith(raw[0]) else raw[1:]
        if raw.strip() and field.value.startswith(raw.strip()[:8]):
            # Front matter is not Markdown: references there are printed as written (TXT412 says so).
            references = tuple(match.span() for match in REFERENCE.finditer(raw))
            for start, end in references:
                raw = raw[:start] + MASK * (end - start) + raw[end:]
            segments.append(Segment(index + 1, col + 1, starts[index] + col, raw, name, references))
    for number, line in lines_outside_code(draft) if body_lines is None else body_lines:
        if not line.strip() or TABLE_RULE.match(line):
            continue
        heading = HEADING.match(line)
        role = f"heading:{len(heading.group(1))}" if heading else "body"
        references: list[tuple[int, int]] = []
        segments.append(Segment(number, 1, starts[number - 1], MASKED_INLINE.sub(
            lambda match: _mask(match, references), line), role, tuple(references)))
    return segments


QUOTE_MARKS = re.compile(r"^(?:[ ]{0,3}>[ ]?)+")
LIST_MARKER = re.compile(r"^[ ]*(?:[-*+]|\d+[.)])[ \t]")
LIST_MARKER_STARTS = frozenset("-*+0123456789")
TAB_LENGTH = 4  # Python-Markdown's: list content is indented by 4 more than its marker, code by 8


def lines_outside_code(draft: Draft) -> Iterator[tuple[int, str]]:
    """(line number, text) of the body's lines that are not code: neither inside a fenced code block (nor its
    fences) nor in an indented code block, at the top level or inside quotes and lists (as Python-Markdown reads
    them: a block after a blank line, indented by 4, or by 8 past the marker of the list it belongs to)."""
    fences = FenceScanner()
    code_indent = None  # the indentation of the indented code block being skipped
    list_indent = None  # the marker's indentation of the list the following blocks belong to
    after_blank = True
    quote_depth = 0  # lists and code blocks belong to the quote they are in
    for number, line in enumerate(draft.body.split("\n"), start=draft.body_line):
        if fences.in_code(line):  # a fence or its content (`fences`: as the tree and the outline read it)
            continue
        if not line.strip():
            after_blank = True
            yield number, line
            continue
        if line[0] in " \t>":
            quotes = QUOTE_MARKS.match(line)
            content = (line[quotes.end():] if quotes else line).expandtabs(TAB_LENGTH)
            if not content.strip():
                after_blank = True
                yield number, line
                continue
            depth, indent = quotes.group(0).count(">") if quotes else 0, len(content) - len(content.lstrip(" "))
        else:  # most lines: text from the first column
            content, depth, indent = line, 0, 0
        if depth != quote_depth:
            quote_depth, list_indent, code_indent = depth, None, None
        if code_indent is not None and indent >= code_indent:
            continue
        code_indent = None
        if content.lstrip(" ")[:1] in LIST_MARKER_STARTS and LIST_MARKER.match(content):
            list_indent = indent
        elif after_blank:
            required = TAB_LENGTH if list_indent is None else list_indent + 2 * TAB_LENGTH
            if indent >= required:
                code_indent, after_blank = required, False
                continue
            if indent == 0:
                list_indent = None  # an unindented block after a blank line ends the list
        after_blank = False
        yield number, line
