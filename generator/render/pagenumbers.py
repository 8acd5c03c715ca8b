"""Page numbers drawn straight into finished PDFs: “— 12 —” at the foot's outer side, in the body font.

A report is laid out once and numbered twice, 1…n in its own PDF and from its start page in the volume, so page
numbers are the one part of a page that WeasyPrint does not lay out: each number is a small form XObject that
shows the shaped glyphs of its text through a Type 0 font whose program is a placeholder naming the installed
face (`fontprograms.py`). Finishing the PDF embeds that face once, with the glyphs the body text uses too.

The place and size follow the house style of the front and back matter's CSS page numbers (`volume.css.j2`):
10.5 pt, one em inside the page area's outer edge, centred in the bottom margin as a middle-aligned line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import pikepdf
import uharfbuzz

from generator.core.fonts import find_family
from generator.core.i18n import _
from generator.core.page import MARGINS_MM, NUMBER_SIZE_PT, mm_to_pt

from .fontprograms import FontProgramError, PlaceholderFont, is_cff, placeholder_program

FONT_NAME = "/RgNumberFont"


@dataclass(frozen=True, eq=False)
class _Face:
    font: uharfbuzz.Font           # for shaping
    program: bytes                 # placeholder program (see fontprograms)
    upem: int
    ascender: int
    descender: int                 # negative, as fonts store it
    postscript: str

    @property
    def cff(self) -> bool:
        return is_cff(self.program)


@lru_cache(maxsize=8)
def _face(family: str) -> _Face:
    """The installed regular face of `family` (an error if it is not installed)."""
    found = find_family(family)
    if found is None:
        raise FontProgramError(_("font “{family}” for page numbers is not installed").format(family=family))
    program, postscript = placeholder_program(str(found.path), found.index)
    face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(found.path)), found.index)
    font = uharfbuzz.Font(face)
    extents = font.get_font_extents("ltr")
    return _Face(font, program, face.upem, extents.ascender, extents.descender, postscript)


@lru_cache(maxsize=4096)
def _shaped(family: str, text: str) -> tuple[tuple[int, int, int], ...]:
    """(glyph, advance, nominal advance) in font units for each glyph of `text`, shaped as Pango would."""
    font = _face(family).font
    buffer = uharfbuzz.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    uharfbuzz.shape(font, buffer, {})
    glyphs = tuple((info.codepoint, position.x_advance, font.get_glyph_h_advance(info.codepoint))
                   for info, position in zip(buffer.glyph_infos, buffer.glyph_positions))
    if any(glyph == 0 for glyph, _advance, _nominal in glyphs):
        raise FontProgramError(_("font “{family}” cannot draw the page number “{text}”").format(family=family,
                                                                                              text=text))
    return glyphs


def number_text(number: int) -> str:
    return f"— {number} —"


def number_content(family: str, number: int, box: list[float]) -> tuple[bytes, dict[int, tuple[int, str]]]:
    """The content of a form drawing `number` on a page whose media box is `box` (right-hand pages, odd numbers,
    at the right; left-hand pages at the left), in the font `FONT_NAME` of `family`'s regular face; and the
    glyphs it draws, each with its nominal advance and the character it stands for."""
    face = _face(family)
    text = number_text(number)
    glyphs = _shaped(family, text)
    scale = NUMBER_SIZE_PT / face.upem
    width = sum(advance for _glyph, advance, _nominal in glyphs) * scale
    if number % 2:
        x = box[2] - mm_to_pt(MARGINS_MM["right"]) - NUMBER_SIZE_PT - width
    else:
        x = box[0] + mm_to_pt(MARGINS_MM["left"]) + NUMBER_SIZE_PT
    # A middle-aligned line of `normal` height (ascender + descender) in the bottom margin.
    y = box[1] + mm_to_pt(MARGINS_MM["bottom"]) / 2 + (-face.descender - face.ascender) / 2 * scale
    shown, drawn = [], {}
    for (glyph, advance, nominal), character in zip(glyphs, _characters(text, len(glyphs)), strict=True):
        drawn.setdefault(glyph, (nominal, character))
        shown.append(f"<{glyph:04x}>")
        if advance != nominal:  # kerning: TJ moves back by thousandths of the size
            shown.append(f"{(nominal - advance) * 1000 / face.upem:.3f}")
    content = (f"/Artifact BMC BT {FONT_NAME} {NUMBER_SIZE_PT:g} Tf 0 g 1 0 0 1 {x:.3f} {y:.3f} Tm "
               f"[{' '.join(shown)}] TJ ET EMC").encode()
    return content, drawn


class PageNumbers:
    """Draws page numbers into one PDF; the font dictionary is made once per PDF, on first use."""

    def __init__(self, family: str, pdf: pikepdf.Pdf, drawn: dict[int, tuple[int, str]] | None = None):
        self.family = family
        self.pdf = pdf
        self._font: pikepdf.Object | None = None
        # glyph -> (nominal advance, text) of every glyph drawn (by `form`, or elsewhere: `segments.py`)
        self._glyphs: dict[int, tuple[int, str]] = dict(drawn or {})

    def form(self, number: int, page: pikepdf.Page) -> tuple[str, pikepdf.Object]:
        """A form XObject drawing `number` on a page of `page`'s size: right-hand pages (odd numbers) at the
        right, left-hand pages at the left."""
        box = [float(value) for value in page.mediabox]
        content, drawn = number_content(self.family, number, box)
        for glyph, nominal_and_text in drawn.items():
            self._glyphs.setdefault(glyph, nominal_and_text)
        form = pikepdf.Stream(self.pdf, content)
        form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        form.BBox = pikepdf.Array(box)
        form.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary({FONT_NAME: self.font_dictionary()}))
        return f"/RgPageNumber{number}", self.pdf.make_indirect(form)

    def font_dictionary(self) -> pikepdf.Object:
        if self._font is None:
            face = _face(self.family)
            tag = "".join(chr(65 + byte % 26) for byte in hashlib.sha256(face.program).digest()[:6])
            name = pikepdf.Name(f"/{tag}+{face.postscript}")
            program = pikepdf.Stream(self.pdf, face.program)
            if face.cff:
                program.Subtype = pikepdf.Name.OpenType
            else:
                program.Length1 = len(face.program)
            scale = 1000 / face.upem
            descriptor = pikepdf.Dictionary(
                Type=pikepdf.Name.FontDescriptor, FontName=name, Flags=4,
                FontBBox=pikepdf.Array([0, round(face.descender * scale), 1000, round(face.ascender * scale)]),
                ItalicAngle=0, Ascent=round(face.ascender * scale), Descent=round(face.descender * scale),
                CapHeight=round(face.ascender * scale), StemV=80)
            descriptor["/FontFile3" if face.cff else "/FontFile2"] = self.pdf.make_indirect(program)
            self._descriptor = self.pdf.make_indirect(descriptor)
            self._cid_font = pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name("/CIDFontType0" if face.cff else "/CIDFontType2"),
                BaseFont=name, CIDToGIDMap=pikepdf.Name.Identity, FontDescriptor=self._descriptor,
                CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"),
                                                 Ordering=pikepdf.String("Identity"), Supplement=0))
            self._to_unicode = pikepdf.Stream(self.pdf, b"")
            self._font = self.pdf.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=name,
                Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=pikepdf.Array([self.pdf.make_indirect(
                    self._cid_font)]), ToUnicode=self.pdf.make_indirect(self._to_unicode)))
        return self._font

    def finish(self) -> list[tuple[pikepdf.Object, PlaceholderFont]]:
        """Write the widths and the Unicode map of every glyph drawn; the font to embed with the PDF's others."""
        if self._font is None:
            return []
        face = _face(self.family)
        scale = 1000 / face.upem
        widths = pikepdf.Array()
        for glyph in sorted(self._glyphs):
            widths.extend([glyph, pikepdf.Array([round(self._glyphs[glyph][0] * scale, 3)])])
        self._cid_font.W = widths
        entries = "\n".join(f"<{glyph:04x}> <{text.encode('utf-16-be').hex()}>"
                            for glyph, (_nominal, text) in sorted(self._glyphs.items()))
        self._to_unicode.write(("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                                "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
                                "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                                "1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
                                f"{len(self._glyphs)} beginbfchar\n{entries}\nendbfchar\n"
                                "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode())
        key = "/FontFile3" if face.cff else "/FontFile2"
        return [(self._descriptor, PlaceholderFont.of(self._descriptor, key, face.program, self._glyphs))]


def _characters(text: str, count: int) -> list[str]:
    """The character each glyph stands for (page numbers shape one glyph per character)."""
    if len(text) != count:
        raise FontProgramError(f"page number “{text}” shaped into {count} glyphs")
    return list(text)
