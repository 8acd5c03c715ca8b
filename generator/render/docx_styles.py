"""Word styles: the named paragraph and character styles a publicity department restyles in Word.

Every visible property lives in a named style (as pandoc's reference.docx works): `Report Title`, `Body Text`,
`Heading 1..4`, `Caption`, `Quote`, `Footnote Text`, `Code Block` … East Asian fonts are set through
`w:rFonts/@w:eastAsia` and `w:lang/@w:eastAsia="zh-CN"`. When the project has `templates/reference.docx`,
its styles are used as they are and only missing ones are added.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from generator.core.config import Config
from generator.core.usercache import recall, remember

BODY_SIZE = 12  # pt; GB/T 9704 uses 16 pt on official papers, reports read better at 12


@dataclass(frozen=True)
class StyleSpec:
    name: str
    kind: WD_STYLE_TYPE
    font_role: str | None = None
    size: float | None = None
    bold: bool | None = None
    # Chinese is never slanted (the PDF sets nothing italic), and Word's stock Quote, Emphasis and Heading 4 styles
    # are italic: every house style says upright unless it asks otherwise.
    italic: bool | None = False
    colour: str | None = None
    alignment: WD_ALIGN_PARAGRAPH | None = None
    first_line_chars: int | None = None
    left_indent_chars: int | None = None
    space_before: float | None = None
    space_after: float | None = None
    line_spacing: float | None = None
    keep_with_next: bool | None = None
    base: str | None = None
    superscript: bool = False
    outline_level: int | None = None


def style_specs(config: Config) -> list[StyleSpec]:
    primary = config.brand.primary_colour.lstrip("#")
    accent = config.brand.accent_colour.lstrip("#")
    P, C = WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER
    J, CENTER = WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.CENTER
    return [
        StyleSpec("Normal", P, "body", BODY_SIZE, line_spacing=1.5, space_after=0),
        StyleSpec("Body Text", P, "body", BODY_SIZE, alignment=J, first_line_chars=200, space_before=0,
                  space_after=3, line_spacing=1.6, base="Normal"),
        StyleSpec("Report Org Line", P, "heading1", 10.5, colour=primary, space_after=2, base="Normal"),
        StyleSpec("Report Title", P, "title", 21, bold=True, alignment=CENTER, space_before=18, space_after=18,
                  line_spacing=1.3, keep_with_next=True, base="Normal", outline_level=0),
        StyleSpec("Report Meta", P, "body", 10.5, left_indent_chars=300, space_after=0, line_spacing=1.4,
                  base="Normal"),
        StyleSpec("Report Meta Label", C, "heading1", colour=accent),
        StyleSpec("Report Summary", P, "body", 10.5, alignment=J, left_indent_chars=200, space_before=9,
                  space_after=3, line_spacing=1.5, base="Normal"),
        StyleSpec("Report Keywords", P, "body", 10.5, left_indent_chars=200, space_after=12, base="Normal"),
        StyleSpec("Report Label", C, "heading1", colour=primary),
        StyleSpec("Heading 1", P, "heading1", 14, bold=False, colour="000000", first_line_chars=200,
                  space_before=12, space_after=6, line_spacing=1.4, keep_with_next=True, base="Normal",
                  outline_level=1),
        StyleSpec("Heading 2", P, "heading2", 13, bold=False, colour="000000", first_line_chars=200,
                  space_before=9, space_after=4, line_spacing=1.4, keep_with_next=True, base="Normal",
                  outline_level=2),
        StyleSpec("Heading 3", P, "heading3", 12, bold=True, colour="000000", first_line_chars=200,
                  space_before=6, space_after=3, line_spacing=1.4, keep_with_next=True, base="Normal",
                  outline_level=3),
        StyleSpec("Heading 4", P, "heading3", 12, bold=False, colour="000000", first_line_chars=200,
                  space_before=6, space_after=3, keep_with_next=True, base="Normal", outline_level=4),
        StyleSpec("List Paragraph", P, "body", BODY_SIZE, alignment=J, space_after=1, line_spacing=1.5,
                  base="Normal"),
        StyleSpec("Quote", P, "heading2", BODY_SIZE, left_indent_chars=300, space_before=4, space_after=4,
                  line_spacing=1.5, base="Normal"),
        StyleSpec("Caption", P, "heading1", 10.5, bold=False, colour="000000", alignment=CENTER, space_before=4,
                  space_after=6, base="Normal"),
        StyleSpec("Table Caption", P, "heading1", 10.5, alignment=CENTER, space_before=6, space_after=2,
                  keep_with_next=True, base="Caption"),
        StyleSpec("Table Text", P, "body", 10, space_after=0, line_spacing=1.2, base="Normal"),
        StyleSpec("Table Heading", P, "heading1", 10, alignment=CENTER, space_after=0, line_spacing=1.2,
                  base="Normal"),
        StyleSpec("Code Block", P, "mono", 9, space_after=0, line_spacing=1.2, base="Normal"),
        StyleSpec("Code Char", C, "mono", 10),
        StyleSpec("Strong", C, bold=True),
        StyleSpec("Emphasis", C, "heading2"),
        StyleSpec("Footnote Text", P, "body", 9, alignment=J, space_after=0, line_spacing=1.2, base="Normal"),
        StyleSpec("Footnote Reference", C, superscript=True),
        StyleSpec("Header", P, "body", 8.5, colour="444444", base="Normal"),
        StyleSpec("Footer", P, "body", 10.5, base="Normal"),
        StyleSpec("Hyperlink", C, colour="1F4E79"),
    ]


def _set_fonts(element_rpr, family: str, latin: str | None = None) -> None:
    """East Asian text in `family`, Latin text in `latin` (the role's Latin companion) or `family` too."""
    fonts = element_rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        element_rpr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), latin if latin and attribute in ("w:ascii", "w:hAnsi") else family)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)


def _set_language(element_rpr) -> None:
    language = element_rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        element_rpr.append(language)
    language.set(qn("w:val"), "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")


def _apply(style, spec: StyleSpec, config: Config, styles) -> None:
    if spec.base and spec.base != spec.name:
        style.base_style = styles[spec.base]
    font = style.font
    if spec.size:
        font.size = Pt(spec.size)
    if spec.bold is not None:
        font.bold = spec.bold
    if spec.italic is not None:
        font.italic = spec.italic
    if spec.colour:
        font.color.rgb = RGBColor.from_string(spec.colour.upper())
    if spec.superscript:
        font.superscript = True
    rpr = style.element.get_or_add_rPr()
    if spec.font_role:
        _set_fonts(rpr, getattr(config.brand.fonts, spec.font_role)[0], config.brand.latin_companion(spec.font_role))
    if spec.font_role or spec.name == "Normal":
        _set_language(rpr)
    if spec.kind != WD_STYLE_TYPE.PARAGRAPH:
        return
    paragraph = style.paragraph_format
    if spec.alignment is not None:
        paragraph.alignment = spec.alignment
    if spec.space_before is not None:
        paragraph.space_before = Pt(spec.space_before)
    if spec.space_after is not None:
        paragraph.space_after = Pt(spec.space_after)
    if spec.line_spacing is not None:
        paragraph.line_spacing = spec.line_spacing
    if spec.keep_with_next is not None:
        paragraph.keep_with_next = spec.keep_with_next
    size = spec.size or BODY_SIZE
    if spec.first_line_chars is not None or spec.left_indent_chars is not None:
        ppr = style.element.get_or_add_pPr()
        indent = ppr.find(qn("w:ind"))
        if indent is None:
            indent = OxmlElement("w:ind")
            ppr.append(indent)
        # Character-based indents follow the font size, as Chinese typesetting expects (两字缩进).
        if spec.first_line_chars is not None:
            indent.set(qn("w:firstLineChars"), str(spec.first_line_chars))
            indent.set(qn("w:firstLine"), str(int(size * 20 * spec.first_line_chars / 100)))
        if spec.left_indent_chars is not None:
            indent.set(qn("w:leftChars"), str(spec.left_indent_chars))
            indent.set(qn("w:left"), str(int(size * 20 * spec.left_indent_chars / 100)))
    if spec.outline_level is not None:
        ppr = style.element.get_or_add_pPr()
        level = ppr.find(qn("w:outlineLvl"))
        if level is None:
            level = OxmlElement("w:outlineLvl")
            ppr.append(level)
        level.set(qn("w:val"), str(spec.outline_level))


_BASE_DOCUMENTS: dict[tuple, bytes] = {}  # per process: the styled empty document, saved


def new_document(config: Config) -> tuple[docx.document.Document, dict[str, object]]:
    """A document with the house styles: from `templates/reference.docx` when present, else built here.

    Returns the document and its styles by name, resolved once (python-docx looks a style up by scanning
    every style on each call; resolving them once halves the time of a large document). The styled empty
    document is made once and opened again from its bytes for every further document (opening it takes a
    sixth of the time of styling it): kept per process, and in the user cache by everything that shapes it
    (the styles, the fonts, a reference document's bytes, this module and python-docx), so that a worker's
    first Word file does not style it again (0.09 s).
    """
    specs = style_specs(config)
    reference = reference_styles_path(config)
    stamp = reference.stat() if reference else None
    memo_key = (str(reference), stamp and (stamp.st_size, stamp.st_mtime_ns), repr(specs),
                repr(config.brand.font_families()))
    document = None
    if memo_key not in _BASE_DOCUMENTS:
        digest = hashlib.sha256(repr((specs, config.brand.font_families(), docx.__version__)).encode())
        digest.update(Path(__file__).read_bytes())
        digest.update(reference.read_bytes() if reference else b"")
        name = f"docx-base-{digest.hexdigest()[:32]}.docx"
        data = recall(name)
        document = _opened(data)
        if document is None:  # not kept yet, or a damaged entry: style it now
            buffer = io.BytesIO()
            _styled_document(config, specs, reference).save(buffer)
            data = buffer.getvalue()
            remember(name, data)
        _BASE_DOCUMENTS[memo_key] = data
    if document is None:
        document = docx.Document(io.BytesIO(_BASE_DOCUMENTS[memo_key]))
    by_name = {style.name: style for style in document.styles}
    return document, {spec.name: by_name[spec.name] for spec in specs}


def _opened(data: bytes | None) -> docx.document.Document | None:
    try:
        return docx.Document(io.BytesIO(data)) if data is not None else None
    except Exception:  # noqa: BLE001 - whatever a damaged file raises
        return None


def _styled_document(config: Config, specs: list[StyleSpec], reference: Path | None) -> docx.document.Document:
    document = docx.Document(str(reference)) if reference else docx.Document()
    if reference:
        body = document.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
    package = document.part.package
    for key, relationship in list(package.rels.items()):
        if relationship.reltype == RT.THUMBNAIL:  # the stock template's preview image shows another document
            package.rels.pop(key)
    styles = document.styles
    for spec in specs:
        try:
            style = styles[spec.name]
            existed = True
        except KeyError:
            style = styles.add_style(spec.name, spec.kind)
            existed = False
        if not (reference and existed):
            _apply(style, spec, config, styles)
        if not existed:
            style.quick_style = True
    return document


def reference_styles_path(config: Config) -> Path | None:
    path = config.templates_dir / "reference.docx"
    return path if path.is_file() else None
