"""TXT4xx: Chinese text quality — converter artifacts, script, punctuation, spacing, invisible characters,
and characters the configured fonts cannot draw.

Rules look only at prose segments (see `read/prose.py`), so code, URLs and front-matter keys are
never reported or changed. Fixes are offered only where the replacement is unambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from functools import lru_cache

import opencc

from generator.check.context import CheckContext, memo
from generator.core.diagnostics import diagnostic
from generator.core.fonts import coverage
from generator.core.i18n import _
from generator.core.model import Diagnostic, Document, Edit
from generator.core.sections import strip_numbering
from generator.core.textnorm import CJK, HAN, LazyPattern, decode_reference
from generator.read.prose import ATTRIBUTE_LIST, CODE_SPAN, MASK, PRINTED_FIELDS, Segment, prose_segments

from ..registry import rule
from .limits import body_lines

TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# Patterns start with the character they report, and look behind it afterwards: a search then skips to the few
# places where that character stands, instead of trying a lookbehind (over the Han ranges) at every position.
PINYIN_GLOSS = LazyPattern(rf"[(（](?<=[{HAN}][(（])([a-zü{TONED}]{{1,7}})[)）]")
HALF_PUNCT = LazyPattern(
    rf"[,;:?!.](?:(?<=[{HAN}）”]([,;:?!]))[ \t]*(?=[^ \t{MASK}]|$)|(?<=[{HAN}]\.)(?=[ \t]*$))")
HALF_PARENS = LazyPattern(rf"\(([^()\n{MASK}]*[{HAN}][^()\n{MASK}]*)\)")
ASCII_QUOTES = LazyPattern(rf'"([^"\n{MASK}]*[{HAN}][^"\n{MASK}]*)"')
FULL_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", ".": "。"}
REPEATED = LazyPattern(r"([。，、；：？！])\1+")
FULLWIDTH_ALNUM = LazyPattern(r"[０-９Ａ-Ｚａ-ｚ]+")
# Spaces between Chinese characters or punctuation, also when emphasis or strikethrough marks stand between the
# space and a Han character (`就能 **免费领取** 这份`; not `_`, which does not emphasise inside Chinese words). A
# bold lead-in sentence ending in punctuation (`**一是……。** 正文`) keeps its space, by convention.
SPACE_HAN = LazyPattern(  # the space first: a position that is no space fails before the five lookbehinds
    rf"[ \t](?:(?<=[{CJK}][ \t])|(?<=[{HAN}]\*[ \t])|(?<=[{HAN}]\*\*[ \t])|(?<=[{HAN}]\*\*\*[ \t])"
    rf"|(?<=[{HAN}]~~[ \t]))[ \t]*(?=[{CJK}]|(?:\*{{1,3}}|~~)[{HAN}])")
# A space before Chinese closing punctuation or after opening punctuation, next to Latin text or code
# (`系统123 。`, `（ ERP）`); between CJK characters SPACE_HAN reports it.
CJK_CLOSING = "，。、；：？！）》」』】〕〉"
CJK_OPENING = "（《「『【〔〈"
SPACE_CJK_PUNCT = LazyPattern(
    rf"[ \t](?:(?<=[^\s{CJK}*~][ \t])[ \t]*(?=[{CJK_CLOSING}])|(?<=[{CJK_OPENING}][ \t])[ \t]*(?=[^\s{CJK}*~]))")
# Latin letters and digits, with the signs written after numbers (50%, 90°, 5‰); a code span (masked) counts
# as Latin text when its first or last character is (see `_code_span_is_latin`).
LATIN_AFTER = "A-Za-z0-9%°‰"
SPACE_HAN_LATIN = LazyPattern(rf"[ \t](?:(?<=[{HAN}][ \t])[ \t]*(?=[A-Za-z0-9{MASK}])"
                              rf"|(?<=[{LATIN_AFTER}{MASK}][ \t])[ \t]*(?=[{HAN}]))")
NO_SPACE_HAN_LATIN = LazyPattern(rf"(?<=[{HAN}])(?=[A-Za-z0-9{MASK}])|(?<=[{LATIN_AFTER}{MASK}])(?=[{HAN}])")
LATIN_CHAR = LazyPattern("[A-Za-z0-9]")
ZERO_WIDTH = LazyPattern("[\u200b\u200c\u200d\u2060\ufeff]")
BIDI = LazyPattern("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
IDEOGRAPHIC_SPACE = LazyPattern("\u3000+")
IGNORED_FOR_GLYPHS = frozenset({MASK, "\t", " ", "\n", "\r"})
CAPTION_LABEL = LazyPattern(r"(?:^|[\[\s])[图表]\d+(?:[.-]\d+)*$")
CJK_CHAR = LazyPattern(f"[{CJK}]")
HAN_CHAR = LazyPattern(f"[{HAN}]")
CONTROL = LazyPattern("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def _edit(segment: Segment, start: int, end: int, replacement: str) -> Edit:
    return Edit(segment.offset + start, segment.offset + end, replacement)


def _at(doc: Document, segment: Segment, index: int) -> tuple[int, int]:
    return segment.line, segment.col + index


@lru_cache(maxsize=2)
def _converter(script: str) -> opencc.OpenCC:
    return opencc.OpenCC("t2s" if script == "simplified" else "s2t")


def _segments(doc: Document) -> list[Segment]:
    return memo(doc, "prose_segments", lambda d: prose_segments(d.draft, body_lines(d)))


def _prose(doc: Document) -> tuple[str, list[int]]:
    """The document's prose segments joined by newlines (no segment holds one), and where each starts in it."""
    def join(d: Document) -> tuple[str, list[int]]:
        starts, position = [], 0
        for segment in _segments(d):
            starts.append(position)
            position += len(segment.text) + 1
        return "\n".join(segment.text for segment in _segments(d)), starts

    return memo(doc, "prose_text", join)


@lru_cache(maxsize=64)
def _multiline(source: str, flags: int) -> re.Pattern:
    return re.compile(source, flags | re.M)


def _segments_matching(doc: Document, *patterns) -> list[Segment]:
    """The prose segments (in order) in which one of `patterns` may match, for the rule's own search of each
    segment to run there only: found by one search of the whole prose per pattern (a rule searched each of a
    draft's ≈ 70 segments, and most find nothing). The segments are joined by newlines, which none holds, and
    searched with `^` and `$` at every line. A pattern given here matches no newline, or at least never holds its
    first character twice (RAW_HTML's `<`), and its lookarounds decide at a newline as at a segment's edge: so a
    match of the whole starts wherever the search of a segment alone finds one."""
    segments = _segments(doc)
    text, starts = _prose(doc)
    found: set[int] = set()
    for pattern in patterns:
        for match in _multiline(pattern.pattern, pattern.flags).finditer(text):
            found.add(bisect_right(starts, match.start()) - 1)
    return [segments[index] for index in sorted(found)]


@rule("TXT401")
def pinyin_gloss_artifact(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """A Han character followed by a parenthesised pinyin gloss, as web converters leave (創(chuàng))."""
    for segment in _segments_matching(doc, PINYIN_GLOSS):
        for match in PINYIN_GLOSS.finditer(segment.text):
            if not any(mark in match.group(1) for mark in TONED):
                continue
            yield diagnostic("TXT401", doc.path, _at(doc, segment, match.start()), _(
                "pinyin gloss “{gloss}” after “{char}” is a converter artifact; remove it").format(
                gloss=match.group(0), char=segment.text[match.start() - 1]),
                fix=[_edit(segment, match.start(), match.end(), "")])


@rule("TXT402")
def wrong_script(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Characters of the other script (Traditional in a Simplified document, or the reverse)."""
    converter = _converter(ctx.config.text.script)
    whitelist = [word for word in ctx.config.text.script_whitelist if word]
    expected = _("Simplified") if ctx.config.text.script == "simplified" else _("Traditional")
    prose = _prose(doc)[0]
    for word in whitelist:
        prose = prose.replace(word, MASK * len(word)) if "\n" not in word else prose  # (no segment holds one)
    if converter.convert(prose) == prose:
        return  # one conversion of the whole prose, not one per segment: no dictionary word holds a newline
    for segment in _segments(doc):
        text = segment.text
        for word in whitelist:
            text = text.replace(word, MASK * len(word))
        converted = converter.convert(text)
        if converted == text or len(converted) != len(text):
            continue
        index = 0
        while index < len(text):
            if text[index] == converted[index]:
                index += 1
                continue
            end = index
            while end < len(text) and text[end] != converted[end]:
                end += 1
            yield diagnostic("TXT402", doc.path, _at(doc, segment, index), _(
                "“{found}” is not {script} Chinese; write “{expected}”").format(
                found=text[index:end], script=expected, expected=converted[index:end]),
                fix=[_edit(segment, index, end, converted[index:end])])
            index = end


@rule("TXT403")
def halfwidth_punctuation(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Half-width punctuation (, ; : ? ! . and parentheses) inside Chinese sentences."""
    for segment in _segments_matching(doc, HALF_PUNCT, HALF_PARENS):
        for match in HALF_PUNCT.finditer(segment.text):
            mark = match.group(1) or "."
            yield diagnostic("TXT403", doc.path, _at(doc, segment, match.start()), _(
                "half-width “{mark}” in Chinese text; use “{full}”").format(mark=mark, full=FULL_PUNCT[mark]),
                fix=[_edit(segment, match.start(), match.end(), FULL_PUNCT[mark])])
        for match in HALF_PARENS.finditer(segment.text):
            if PINYIN_GLOSS.fullmatch(match.group(0)):
                continue
            yield diagnostic("TXT403", doc.path, _at(doc, segment, match.start()), _(
                "half-width parentheses around Chinese text; use “（…）”"),
                fix=[_edit(segment, match.start(), match.start() + 1, "（"),
                     _edit(segment, match.end() - 1, match.end(), "）")])


@rule("TXT411")
def ascii_quotes(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """ASCII double quotes around Chinese text instead of “”."""
    for segment in _segments_matching(doc, ASCII_QUOTES):
        for match in ASCII_QUOTES.finditer(segment.text):
            yield diagnostic("TXT411", doc.path, _at(doc, segment, match.start()), _(
                "ASCII quotes around Chinese text; use “”"),
                fix=[_edit(segment, match.start(), match.start() + 1, "“"),
                     _edit(segment, match.end() - 1, match.end(), "”")])


def _masked_latin(doc: Document, segment: Segment, index: int, step: int) -> bool:
    """Whether the masked character at `index` of a segment is the first (`step` 1) or last (`step` -1) backtick
    of a code span whose text starts (or ends) with a Latin letter or digit: `围绕 `AVObject` 进行` is spaced
    like `围绕 AVObject 进行`."""
    source = doc.draft.text
    position = segment.offset + index
    if source[position] != "`":
        return False
    while 0 <= position < len(source) and source[position] == "`":
        position += step
    return 0 <= position < len(source) and bool(LATIN_CHAR.match(source[position]))


def _spacing_applies(doc: Document, segment: Segment, start: int, end: int) -> bool:
    """A spacing match next to masked text counts only when that text is a code span with Latin at that edge."""
    if end < len(segment.text) and segment.text[end] == MASK:
        return _masked_latin(doc, segment, end, 1)
    if start > 0 and segment.text[start - 1] == MASK:
        return _masked_latin(doc, segment, start - 1, -1)
    return True


@rule("TXT404")
def cjk_latin_spacing(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Spacing between Han characters and Latin letters or digits follows the configured policy."""
    policy = ctx.config.text.cjk_latin_spacing
    if policy == "ignore":
        return
    for segment in _segments_matching(doc, SPACE_HAN_LATIN if policy == "forbid" else NO_SPACE_HAN_LATIN):
        if policy == "forbid":
            for match in SPACE_HAN_LATIN.finditer(segment.text):
                if CAPTION_LABEL.search(segment.text, 0, match.start()) or \
                        not _spacing_applies(doc, segment, match.start(), match.end()):
                    continue  # “图1 标题”, “表2 标题”: the space after a caption label is the convention
                yield diagnostic("TXT404", doc.path, _at(doc, segment, match.start()), _(
                    "space between Chinese and Latin text; the house style writes them together"),
                    fix=[_edit(segment, match.start(), match.end(), "")])
        else:
            for match in NO_SPACE_HAN_LATIN.finditer(segment.text):
                if not _spacing_applies(doc, segment, match.start(), match.end()):
                    continue
                yield diagnostic("TXT404", doc.path, _at(doc, segment, match.start()), _(
                    "no space between Chinese and Latin text; the house style separates them with one"),
                    fix=[_edit(segment, match.start(), match.start(), " ")])


@rule("TXT405")
def repeated_punctuation(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """The same Chinese punctuation mark twice or more in a row (。。 ，，)."""
    for segment in _segments_matching(doc, REPEATED):
        for match in REPEATED.finditer(segment.text):
            yield diagnostic("TXT405", doc.path, _at(doc, segment, match.start()), _(
                "“{marks}” repeats a punctuation mark").format(marks=match.group(0)),
                fix=[_edit(segment, match.start(), match.end(), match.group(1))])


@rule("TXT406")
def fullwidth_alphanumeric(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Full-width digits and Latin letters (１２３ ＡＢＣ) instead of half-width ones."""
    for segment in _segments_matching(doc, FULLWIDTH_ALNUM):
        for match in FULLWIDTH_ALNUM.finditer(segment.text):
            half = unicodedata.normalize("NFKC", match.group(0))
            yield diagnostic("TXT406", doc.path, _at(doc, segment, match.start()), _(
                "full-width “{found}”; write “{half}”").format(found=match.group(0), half=half),
                fix=[_edit(segment, match.start(), match.end(), half)])


@rule("TXT407")
def space_between_han(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """A stray space between two Chinese characters, or next to Chinese punctuation."""
    for segment in _segments_matching(doc, SPACE_HAN, SPACE_CJK_PUNCT):
        for match in SPACE_HAN.finditer(segment.text):
            if segment.role.startswith("heading:") and not strip_numbering(
                    segment.text[: match.start()].replace(MASK, "")):
                continue  # “第三部分 辅导过程”: a space after a heading's numbering is conventional
            yield diagnostic("TXT407", doc.path, _at(doc, segment, match.start()), _(
                "space between Chinese characters"), fix=[_edit(segment, match.start(), match.end(), "")])
        for match in SPACE_CJK_PUNCT.finditer(segment.text):
            yield diagnostic("TXT407", doc.path, _at(doc, segment, match.start()), _(
                "space next to Chinese punctuation"), fix=[_edit(segment, match.start(), match.end(), "")])


@rule("TXT408")
def invisible_character(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Zero-width characters, bidirectional overrides and ideographic spaces where a normal space belongs."""
    for segment in _segments_matching(doc, ZERO_WIDTH, BIDI, IDEOGRAPHIC_SPACE):
        text = segment.text
        for match in ZERO_WIDTH.finditer(text):
            yield diagnostic("TXT408", doc.path, _at(doc, segment, match.start()), _(
                "invisible character U+{code:04X}; remove it").format(code=ord(match.group(0))),
                fix=[_edit(segment, match.start(), match.end(), "")])
        for match in BIDI.finditer(text):
            yield diagnostic("TXT408", doc.path, _at(doc, segment, match.start()), _(
                "bidirectional control character U+{code:04X} can disguise text; remove it").format(
                code=ord(match.group(0))))
        for match in IDEOGRAPHIC_SPACE.finditer(text):
            before = text[match.start() - 1] if match.start() else ""
            after = text[match.end()] if match.end() < len(text) else ""
            if len(match.group(0)) == 1 and HAN_CHAR.match(before) and HAN_CHAR.match(after):
                continue  # “综　合”, “姓　名”: letter spacing that aligns a two-character word with longer ones
            joins_cjk = (not before.strip() or CJK_CHAR.match(before)) and (not after or CJK_CHAR.match(after))
            replacement = "" if joins_cjk else " "
            yield diagnostic("TXT408", doc.path, _at(doc, segment, match.start()), _(
                "ideographic space U+3000; Markdown indents and spaces paragraphs itself"),
                fix=[_edit(segment, match.start(), match.end(), replacement)])
    for field, char in _escaped_in_fields(doc, BIDI):
        yield diagnostic("TXT408", doc.path, field.value_pos, _(
            "field “{key}” holds the bidirectional control character U+{code:04X}, written as a YAML escape; it "
            "can disguise text: remove the escape").format(key=field.key, code=ord(char)))
    for field, char in _escaped_in_fields(doc, ZERO_WIDTH):
        yield diagnostic("TXT408", doc.path, field.value_pos, _(
            "field “{key}” holds the invisible character U+{code:04X}, written as a YAML escape; remove the "
            "escape").format(key=field.key, code=ord(char)))


@rule("TXT409")
def xml_invalid_character(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Control characters that PDF and Word cannot hold (NUL, vertical tab, form feed, U+FFFE…)."""
    offset = 0
    # Line by line only if there is one: most drafts have none, found by one search (none is a newline).
    for number, line in enumerate(doc.draft.text.split("\n") if CONTROL.search(doc.draft.text) else (), start=1):
        for match in CONTROL.finditer(line):
            yield diagnostic("TXT409", doc.path, (number, match.start() + 1), _(
                "control character U+{code:04X} cannot be printed; it is replaced by a space").format(
                code=ord(match.group(0))),
                fix=[Edit(offset + match.start(), offset + match.end(), "")])
        offset += len(line) + 1
    for field, char in _escaped_in_fields(doc, CONTROL):
        yield diagnostic("TXT409", doc.path, field.value_pos, _(
            "field “{key}” holds the control character U+{code:04X}, written as a YAML escape; it cannot be "
            "printed and is replaced by a space: remove the escape").format(key=field.key, code=ord(char)))


def _escaped_in_fields(doc: Document, pattern) -> Iterator[tuple[object, str]]:
    """(field, character) for characters of `pattern` that front matter holds only through a YAML escape
    (`"…\\x00…"`, `"…\\u202E…"`): they are in the value but not in the text as written, so no rule over the
    source sees them."""
    lines = doc.draft.text.split("\n")
    for field in doc.draft.fields.values():
        values = field.value if isinstance(field.value, list) else [field.value]
        written = lines[field.value_pos.line - 1] if 0 < field.value_pos.line <= len(lines) else ""
        for value in values:
            if isinstance(value, str):
                for char in dict.fromkeys(match.group(0) for match in pattern.finditer(value)):
                    if char not in written:
                        yield field, char


def font_role(segment_role: str, section_level: int) -> str:
    """Which configured font role draws a segment (GB/T 9704: 黑体, 楷体, then bold body)."""
    if segment_role in ("title",):
        return "title"
    if segment_role.startswith("heading:"):
        depth = int(segment_role.split(":")[1]) - section_level
        return ("heading1", "heading2", "heading3")[min(max(depth, 0), 2)]
    return "body"


# The font role that sets an element of the body tree and what it holds, as the house style has it
# (templates/base.css.j2): quotes and emphasis in 楷体, table heads and captions in 黑体, code in the mono face.
ELEMENT_ROLES = {"blockquote": "heading2", "em": "heading2", "code": "mono", "pre": "mono", "th": "heading1",
                 "figcaption": "heading1"}
CLASS_ROLES = {"table-caption": "heading1"}
HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}


def tree_runs(element, role: str, section_level: int) -> Iterator[tuple[str, str]]:
    """(font role, text) of every piece of text under `element`, in document order."""
    tag = element.tag
    if tag in HEADING_TAGS:
        role = font_role(f"heading:{HEADING_TAGS[tag]}", section_level)
    elif element.get("class") in CLASS_ROLES:
        role = CLASS_ROLES[element.get("class")]
    elif tag in ELEMENT_ROLES:
        role = ELEMENT_ROLES[tag]
    if element.text:
        yield role, element.text
    for child in element:
        yield from tree_runs(child, role, section_level)
        if child.tail:
            yield role, child.tail


def _source_offset(text: str, starts: tuple[int, int], run: str, index: int) -> int:
    """Where in the draft's text the character `run[index]` of a parsed run stands: its context searched from
    the cursor (runs come in source order), then from the body's start (footnotes come last in the tree but
    anywhere in the source); the tree's text may differ from the source around it."""
    for start in starts:
        for before in (6, 3, 0):
            needle = run[max(0, index - before):index + 1]
            found = text.find(needle, start)
            if found >= 0:
                return found + len(needle) - 1
    return 0


def _role_name(role: str) -> str:
    return {"title": _("title"), "body": _("body text"), "heading1": _("first-level heading"),
            "heading2": _("second-level heading, quote and emphasis"), "heading3": _("third-level heading"),
            "mono": _("code")}.get(role, role)


@rule("TXT410")
def glyph_not_in_font(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Every character can be drawn by the configured fonts of the role that sets it (no tofu, no silent
    fallback): the title and summary as in front matter, the body by the parsed tree (quotes, emphasis,
    headings, table heads, captions, code, footnotes), reported at the character's line and column."""
    fonts = ctx.config.brand.fonts
    # Most drafts hold only characters every configured face has: then no run needs its face (nor the tree).
    if _drawn_by_every_role(doc.draft.text, fonts):
        return
    section_level = min((spec.level for spec in ctx.config.sections), default=2)
    runs: list[tuple[str, str, object]] = [
        (font_role(segment.role, section_level), segment.text, segment) for segment in _segments(doc)
        if segment.role in PRINTED_FIELDS]
    runs += [(role, text, None) for role, text in tree_runs(doc.body, "body", section_level)]
    runs += [(role, text, None) for _identifier, item in doc.footnotes for role, text in tree_runs(item, "body",
                                                                                                 section_level)]
    covered_by_role: dict[str, frozenset[str] | None] = {}
    found: list[tuple[int, int, str, str]] = []
    text = doc.draft.text
    cursor = body_start = _body_offset(doc)
    for role, run, segment in runs:
        if role not in covered_by_role:
            covered_by_role[role] = coverage(tuple(getattr(fonts, role)))
        covered = covered_by_role[role]
        if covered is None:
            continue  # `reportgen doctor` and the renderers report missing fonts
        missing = set(run) - covered - IGNORED_FOR_GLYPHS
        missing = {char for char in missing if not (CONTROL.match(char) or ZERO_WIDTH.match(char) or BIDI.match(char))}
        if not missing:
            if segment is None and len(run) >= 12 and (seen := text.find(run[:12], cursor)) >= 0:
                cursor = seen  # long enough to be where this run is: later runs are searched from here
            continue
        for index, char in enumerate(run):
            if char not in missing:
                continue
            if segment is not None:
                line, col = _at(doc, segment, index)
            else:
                offset = _source_offset(text, (cursor, body_start), run, index)
                cursor = max(cursor, offset)
                line = text.count("\n", 0, offset) + 1
                col = offset - (text.rfind("\n", 0, offset) + 1) + 1
            found.append((line, col, char, role))
    for line, col, char, role in found:
        yield diagnostic("TXT410", doc.path, (line, col), _(
            "character “{char}” (U+{code:04X}) is not in the {role} font {fonts}").format(
            char=char, code=ord(char), role=_role_name(role), fonts="/".join(getattr(fonts, role))))


FONT_ROLES = ("title", "body", "heading1", "heading2", "heading3", "mono")


def _covered_by_every_role(fonts) -> frozenset[str]:
    return _common_coverage(_role_families(fonts))


def _role_families(fonts) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(getattr(fonts, role)) for role in FONT_ROLES)


_UNDRAWN: dict[tuple[tuple[str, ...], ...], re.Pattern] = {}  # by `_role_families`: see `prepare_glyph_check`


def _drawn_by_every_role(text: str, fonts) -> bool:
    """Whether every character of `text` is in every role's fonts (or needs no glyph)."""
    pattern = _UNDRAWN.get(_role_families(fonts))
    if pattern is not None:
        return pattern.search(text) is None
    return not set(text) - _covered_by_every_role(fonts) - IGNORED_FOR_GLYPHS


def prepare_glyph_check(fonts) -> None:
    """Before many drafts are checked: a pattern of the characters some role cannot draw, which finds one in a
    draft in a tenth of the time `set(text)` takes (0.05 ms against 0.5), but is made of some 4,000 ranges and
    takes ≈ 40 ms to compile, more than a few drafts would save."""
    families = _role_families(fonts)
    if families in _UNDRAWN:
        return
    ranges: list[list[int]] = []
    for point in sorted(map(ord, _covered_by_every_role(fonts) | IGNORED_FOR_GLYPHS)):
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    _UNDRAWN[families] = re.compile("[^" + "".join(
        re.escape(chr(first)) + ("" if first == last else "-" + re.escape(chr(last))) for first, last in ranges) + "]")


@lru_cache(maxsize=4)
def _common_coverage(families: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    covered = [found for found in (coverage(role) for role in families) if found is not None]
    return frozenset.intersection(*covered) if covered else frozenset()


def _body_offset(doc: Document) -> int:
    """Offset of the body (after the front matter) in the draft's text."""
    text, offset = doc.draft.text, 0
    for _line in range(doc.draft.body_line - 1):
        offset = text.find("\n", offset) + 1
    return offset


LINE_LEAD = LazyPattern(r"[ \t>]*(?:(?:[-*+]|\d+[.)])[ \t]+)?[ \t]*")
TOC_MARKER = LazyPattern(r"(?i)^[ \t]*\[TOC\][ \t]*$")
ATTRIBUTE_LIST_RE = LazyPattern(ATTRIBUTE_LIST)


@rule("TXT413")
def unsupported_markdown_extension(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Syntax of other Markdown tools that reportgen does not interpret: `[TOC]` and attribute lists."""
    source = doc.draft.text
    for segment in _segments(doc):
        if segment.role == "body" and TOC_MARKER.match(segment.text):
            yield diagnostic("TXT413", doc.path, _at(doc, segment, segment.text.index("[")), _(
                "“[TOC]” is printed as written: the PDF's bookmarks and the volume's table of contents are made "
                "from the headings; remove it"))
        line = source[segment.offset: segment.offset + len(segment.text)]
        if "{" not in line:
            continue
        code = [match.span() for match in CODE_SPAN.finditer(line)]
        for match in ATTRIBUTE_LIST_RE.finditer(line):
            if any(start <= match.start() < end for start, end in code):
                continue
            yield diagnostic("TXT413", doc.path, _at(doc, segment, match.start()), _(
                "attribute list “{attributes}” has no effect (reportgen sizes images and styles text itself); "
                "remove it").format(attributes=match.group(0)[:60]))


@rule("TXT412")
def html_character_reference(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """HTML entities pasted from web pages (`&emsp;&emsp;`, `&nbsp;`, `&copy;`): indentation, spaces and symbols
    written as references instead of the text itself."""
    source = doc.draft.text
    for segment in _segments(doc):
        line = source[segment.offset: segment.offset + len(segment.text)]
        lead = LINE_LEAD.match(line).end()  # where the paragraph's text starts (after list and quote marks)
        references = list(segment.references)
        index = 0
        while index < len(references):
            start, end = references[index]
            index += 1
            reference = source[segment.offset + start: segment.offset + end]
            text = decode_reference(reference)
            at = _at(doc, segment, start)
            if segment.role in PRINTED_FIELDS:
                # Not Markdown: printed as written. Only a character YAML reads as text replaces the reference.
                safe = text is not None and not text.isascii() and not text.isspace()
                yield diagnostic("TXT412", doc.path, at, _(
                    "“{reference}” is printed as written: front matter is not Markdown; write the character "
                    "itself").format(reference=reference), fix=[_edit(segment, start, end, text)] if safe else ())
                continue
            if text is None:
                yield diagnostic("TXT412", doc.path, at, _(
                    "“{reference}” names no character that can be printed; it is printed as written").format(
                    reference=reference))
                continue
            if text.isascii() and not text.isspace():
                continue  # `&amp;`, `&lt;`: how Markdown writes these characters as text
            if text.isspace():
                if start == lead:  # `&emsp;&emsp;正文`: the paragraph's first-line indent, typed by hand
                    while index < len(references) and references[index][0] == end and (
                            decode_reference(line[slice(*references[index])]) or "x").isspace():
                        end = references[index][1]
                        index += 1
                    yield diagnostic("TXT412", doc.path, at, _(
                        "paragraph indented with “{reference}”: the layout indents paragraphs itself; remove "
                        "it").format(reference=line[start:end]), fix=[_edit(segment, start, end, "")])
                    continue
                previous = segment.text[start - 1] if start else ""
                following = segment.text[end] if end < len(segment.text) else ""
                joins_cjk = bool(CJK_CHAR.match(previous)) and bool(CJK_CHAR.match(following))
                yield diagnostic("TXT412", doc.path, at, _(
                    "HTML entity “{reference}” is printed as a space; write a space, or nothing between Chinese "
                    "characters").format(reference=reference),
                    fix=[_edit(segment, start, end, "" if joins_cjk else " ")])
                continue
            yield diagnostic("TXT412", doc.path, at, _(
                "HTML entity “{reference}” is printed as “{text}”; write the character itself").format(
                reference=reference, text=text), fix=[_edit(segment, start, end, text)])
