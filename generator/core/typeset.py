"""Line breaks of titles, measured with the fonts that will set them.

Titles (a report's, the volume's, TOC entries, headings) break only between words, found by a Chinese word
segmenter (jieba's dictionary, through rjieba), and their lines are balanced: as few lines as the text needs, as
even as the words allow, so that no last line is left with a character or two (`break_lines`).
Widths come from the role's font through HarfBuzz, as Pango and Word measure them; both renderers set the same
breaks (`<br>` in the PDF, `<w:br/>` in Word). The running header, which is always one line, is fitted here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .fonts import find_family
from .textnorm import HAN
from .usercache import Memo

# Punctuation that never starts a line (closing) or ends one (opening), after GB/T 15834 and JIS X 4051.
CLOSING = "，。、；：？！）》」』】〕〉”’…—·%‰,.;:?!)]}"
OPENING = "（《「『【〔〈“‘([{"
JOINERS = "+-/&·～~_="
ELLIPSIS = "…"
# An opening punctuation mark at the start of a line is set half width ('halt'), as CSS `text-spacing-trim` does:
# its blank left half would indent the line by half a character.
TRIM_START = "（《「『【〔〈“‘"


@dataclass(frozen=True)
class _Font:
    hb_font: object
    upem: int


@lru_cache(maxsize=16)
def _font(family: str) -> _Font | None:
    import uharfbuzz

    found = find_family(family)
    if found is None:
        return None
    face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(found.path)), found.index)
    return _Font(uharfbuzz.Font(face), face.upem)


@lru_cache(maxsize=8192)
def _advance_em(family: str, text: str, features: tuple[str, ...] = ()) -> float:
    """The advance of `text` in em, shaped as Pango shapes it (kerning, CJK punctuation forms for zh-CN)."""
    import uharfbuzz

    font = _font(family)
    if not text:
        return 0.0
    if font is None:  # not installed: TXT410 and doctor say so; measure as if every character were 1 em
        return float(len(text))
    buffer = uharfbuzz.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    buffer.language = "zh-CN"
    uharfbuzz.shape(font.hb_font, buffer, {feature: True for feature in features})
    return sum(position.x_advance for position in buffer.glyph_positions) / font.upem


def text_width(text: str, family: str, size_pt: float) -> float:
    """The width of `text` set in `family` at `size_pt`, in points (an opening mark at its start trimmed)."""
    if not text:
        return 0.0
    if text[0] in TRIM_START:
        return (_advance_em(family, text[0], ("halt",)) + _advance_em(family, text[1:])) * size_pt
    return _advance_em(family, text) * size_pt


def _cut(text: str) -> list[str]:
    import rjieba  # its dictionary loads on import (0.2 s, and memory): only for a text not seen before

    return list(rjieba.cut(text, False))


def _cuts_memo_name() -> str:
    from importlib.metadata import version

    return f"words-{version('rjieba')}.json"


_CUTS = Memo(_cuts_memo_name, _cut, [str], deferred=True)
keep_words = _CUTS.keep  # called once a document is made: the cuts of its titles and headings are kept


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """`text` cut into the units a line may break between: the segmenter's words, with punctuation kept on the
    side it belongs to (closing marks with the word before, opening marks with the word after, a space with the
    word before it), and no break next to a one-character word or a joining sign (以、的、与、高, +, /): a particle
    or preposition stands by the words it joins, and 高 in 高海拔 is part of a word the dictionary does not know."""
    units: list[str] = []
    glue_next = False  # the unit before may not end a line
    for token in _CUTS(text):
        if not token:
            continue
        single = len(token) == 1 and (re.match(f"[{HAN}]", token) is not None or token in JOINERS)
        if units and (glue_next or single or token[0] in CLOSING or token.isspace()):
            units[-1] += token
        else:
            units.append(token)
        glue_next = token[-1] in OPENING or single
    return tuple(units)


def _line_width(units: tuple[str, ...], family: str, size_pt: float) -> float:
    return text_width("".join(units).rstrip(), family, size_pt)


def break_lines(text: str, *, family: str, size_pt: float, width_pt: float, first_indent_pt: float = 0.0
                ) -> tuple[str, ...]:
    """The lines `text` is set in: the fewest lines that hold it, broken between words and balanced. Of the
    breaks into that many lines, the one with the least sum of squared room left on each line: the lines' widths
    add up to about the same whatever the breaks, so that sum is least when the lines are as even as the words
    allow (a last line of one or two characters costs most). A word longer than a line is cut where it must."""
    text = " ".join(text.split())
    if not text or text_width(text, family, size_pt) <= width_pt - first_indent_pt:
        return (text,) if text else ()
    units = _fitting_units(words(text), family=family, size_pt=size_pt, width_pt=width_pt - first_indent_pt)
    count = len(units)
    widths = {(start, end): _line_width(units[start:end], family, size_pt)
              for start in range(count) for end in range(start + 1, count + 1)}
    for lines in range(2, count + 1):
        # best[(end, n)]: the least cost of setting units[:end] on n lines, and where the n-th line starts
        best: dict[tuple[int, int], tuple[float, int]] = {(0, 0): (0.0, 0)}
        for line in range(1, lines + 1):
            limit = width_pt - (first_indent_pt if line == 1 else 0.0)
            for end in range(line, count + 1):
                options = [(best[(start, line - 1)][0] + (limit - widths[(start, end)]) ** 2, start)
                           for start in range(line - 1, end) if (start, line - 1) in best
                           and widths[(start, end)] <= limit]
                if options:
                    best[(end, line)] = min(options)
        if (count, lines) in best:
            breaks, end = [], count
            for line in range(lines, 0, -1):
                start = best[(end, line)][1]
                breaks.append("".join(units[start:end]).rstrip())
                end = start
            return tuple(reversed(breaks))
    return tuple(unit.rstrip() for unit in units)


def _fitting_units(units: tuple[str, ...], *, family: str, size_pt: float, width_pt: float) -> tuple[str, ...]:
    """Units no wider than a line: a longer one is cut between its characters (CJK) or wherever it must."""
    fitted: list[str] = []
    for unit in units:
        if text_width(unit.rstrip(), family, size_pt) <= width_pt:
            fitted.append(unit)
            continue
        piece = ""
        for character in unit:
            if piece and text_width(piece + character, family, size_pt) > width_pt and character not in CLOSING:
                fitted.append(piece)
                piece = ""
            piece += character
        if piece:
            fitted.append(piece)
    return tuple(fitted)


def fit_line(text: str, *, family: str, size_pt: float, width_pt: float) -> str:
    """`text` if it fits on one line of `width_pt`, else its longest start that fits with an ellipsis after it,
    cut between words where a word boundary is near (within two characters), else between characters."""
    text = " ".join(text.split())
    if text_width(text, family, size_pt) <= width_pt:
        return text
    room = width_pt - text_width(ELLIPSIS, family, size_pt)
    cut = 0
    while cut < len(text) and text_width(text[:cut + 1].rstrip(), family, size_pt) <= room:
        cut += 1
    boundaries = [len("".join(units[:index])) for units in [words(text)] for index in range(1, len(units))]
    near = [boundary for boundary in boundaries if cut - 2 <= boundary <= cut]
    cut = max(near) if near else cut
    while cut and text[cut - 1] in OPENING + " ":
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def role_family(config, role: str) -> str:
    """The family that sets a font role's text (the first of the role's list, as the CSS stack tries it)."""
    return getattr(config.brand.fonts, role)[0]


def role_lines(text: str, config, role: str, size_pt: float, width_pt: float, *, first_indent_pt: float = 0.0
               ) -> tuple[str, ...]:
    """`break_lines` in a font role of the configuration."""
    return break_lines(text, family=role_family(config, role), size_pt=size_pt, width_pt=width_pt,
                       first_indent_pt=first_indent_pt)


# The end of a paragraph that stays on one line: its last two Han characters with the punctuation after them, so that
# no paragraph ends with one character alone on its last line (…气 / 质。). CSS orphans/widows count lines, not this.
PARAGRAPH_END = re.compile(f"[{HAN}]{{2}}[{re.escape(CLOSING)}]*\\s*$")


def paragraph_end(text: str) -> int | None:
    """Where the part of a paragraph's last text that must not be broken starts, or None (no such end)."""
    match = PARAGRAPH_END.search(text)
    return match.start() if match else None


@dataclass(frozen=True)
class RunningTitle:
    """The title the running header shows, on one line: the short title, or the title, shortened with an
    ellipsis when it does not fit (`fits` then False), and about how many characters fit."""

    text: str
    fits: bool
    room_chars: int


@lru_cache(maxsize=1024)
def _fit_header(wanted: str, left_text: str, left_family: str, family: str, paper: str) -> RunningTitle:
    from .page import HEADER_SIZE_PT, mm_to_pt, text_area_mm

    # The header's line, the same in PDF and Word: organisation　header text, two ideographic spaces, the title, and
    # half a character to spare.
    left = text_width(left_text, left_family, HEADER_SIZE_PT)
    room = mm_to_pt(text_area_mm(paper)[0]) - left - 2.5 * HEADER_SIZE_PT
    shown = fit_line(wanted, family=family, size_pt=HEADER_SIZE_PT, width_pt=room)
    return RunningTitle(shown, shown == " ".join(wanted.split()), max(int(room / HEADER_SIZE_PT), 0))


def running_title(title: str, short_title: str | None, config) -> RunningTitle:
    """What the running header shows of a report's title (see `RunningTitle`)."""
    brand = config.brand
    return _fit_header(short_title or title, f"{brand.organisation}　{brand.header_text}",
                       role_family(config, "heading1"), role_family(config, "body"), brand.paper)
