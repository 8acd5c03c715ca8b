"""DOCX through python-docx: a visitor over the same element tree the PDF is made from.

One `visit_<tag>` method per block element and one `inline_<tag>` per inline element; anything else goes to
one fallback that keeps the text and reports the element (RND604). Nothing is re-parsed from HTML.
Lists use real Word numbering, footnotes are real Word footnotes, headers carry the running title and footers a
PAGE field, and the package is written with fixed ZIP timestamps and member order (byte-reproducible).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.table import CT_Tbl
from docx.section import Section
from docx.shared import Emu, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree
from PIL import Image

from generator.core.config import Config
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _
from generator.core.model import Diagnostic, Document
from generator.core.page import (
    FIGURE_MAX_HEIGHT_MM,
    HEADING_FACES,
    HEADING_INDENT_EM,
    MARGINS_MM,
    PAPER_MM,
    text_area_mm,
)
from generator.core.textnorm import xml_safe
from generator.core.typeset import role_lines

from ._docx_private import document_body, p_element, section_element, tc_element, tr_element, write_package
from ._docx_private import row_cells as _row_cells
from .docx_styles import new_document

HEADING_STYLES = {2: "Heading 1", 3: "Heading 2", 4: "Heading 3", 5: "Heading 4", 6: "Heading 4", 1: "Heading 1"}
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
BULLETS = ["●", "○", "■", "●", "○", "■", "●", "○", "■"]
ORDERED_FORMATS = [("decimal", "%1."), ("decimal", "（%2）"), ("decimalEnclosedCircle", "%3"), ("lowerLetter", "%4)"),
                   ("decimal", "%5."), ("decimal", "（%6）"), ("decimal", "%7."), ("decimal", "%8."), ("decimal", "%9.")]
FOOTNOTES_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
BLOCK_TAGS = {"p", "ul", "ol", "blockquote", "table", "figure", "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "div"}
W = {name: qn(f"w:{name}") for name in ("r", "rPr", "rStyle", "b", "bCs", "strike", "vertAlign", "t", "tab", "val",
                                        "pPr", "pStyle", "jc", "numPr", "ilvl", "numId", "p", "br",
                                        "sectPr", "fldChar", "fldCharType", "instrText")}
XML_SPACE = qn("xml:space")


@dataclass
class InlineFormat:
    bold: bool = False
    italic_style: bool = False
    code: bool = False
    superscript: bool = False
    subscript: bool = False
    strike: bool = False
    link: str | None = None


@dataclass
class _Footnotes:
    part: XmlPart
    next_id: int = 1


@dataclass
class DocxWriter:
    """Writes Documents into one python-docx document (one report, or many for a volume)."""

    config: Config
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self):
        self.document, self.styles = new_document(self.config)
        self.style_ids = {name: style.style_id for name, style in self.styles.items()}
        self.next_num_id: int | None = None  # the next list's w:num id (`_add_num`)
        self._numbering = None
        self._bullet_abstract, self._ordered_abstract = self._add_abstract_numberings()
        self._bullet_num = self._add_num(self._bullet_abstract)
        self.shared_nums = self.next_num_id - 1  # numbers every writer has: the template's and the bullets'
        self._footnotes: _Footnotes | None = None
        self._logo_drawings: dict[int, tuple] = {}
        self.drawing_ids = 100_000  # ids of copied drawings: above any python-docx gives
        self._shared_parts: set[str] = set()
        self._header_models: list = []  # the first section's headers' elements (`_copy_headers`)
        self._table_style = None
        self._source: Path | None = None
        self._doc: Document | None = None
        section = self.document.sections[0]
        self._setup_page(section)
        # Every section has this page (`_setup_page`), as Word stores it (in twips): read once, since python-docx
        # finds sections by an XPath search of the whole body.
        self.text_width = Emu(section.page_width - section.left_margin - section.right_margin)
        self.text_height = Mm(text_area_mm(self.config.brand.paper)[1])

    def style_table(self, table) -> None:
        if self._table_style is None:  # python-docx scans every style on each lookup by name
            self._table_style = self.document.styles["Table Grid"].style_id
        table._tbl.tblStyle_val = self._table_style

    # ---- document assembly -------------------------------------------------------------------------
    def _setup_page(self, section) -> None:
        width, height = PAPER_MM[self.config.brand.paper]
        section.page_width, section.page_height = Mm(width), Mm(height)
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
        section.header_distance, section.footer_distance = Mm(18), Mm(20)

    def paragraph(self, style: str, text: str = "", container=None) -> Paragraph:
        if container is None:
            element = self.document.element.body.makeelement(W["p"])  # python-docx's element classes apply
            self.append_block(element)
            paragraph = Paragraph(element, document_body(self.document))
        else:
            paragraph = container.add_paragraph()
        style_new_paragraph(p_element(paragraph), self.style_ids[style])
        if text:
            self.add_text(paragraph, text, InlineFormat())
        return paragraph

    def append_block(self, element) -> None:
        """Append a paragraph or table to the body, before its final sectPr (python-docx finds that place by
        searching the body's children, for each block: quadratic in a volume)."""
        body = self.document.element.body
        last = next(body.iterchildren(reversed=True), None)  # lxml counts children one by one for len()
        if last is not None and last.tag == W["sectPr"]:
            last.addprevious(element)
        else:
            body.append(element)

    def table(self, rows: int, columns: int, container=None) -> Table:
        """A table of the text's width at the end of the body (or of `container`, a cell). python-docx's own
        `Document.add_table` finds the width through the last section, by an XPath search of the whole body."""
        if container is not None:
            return container.add_table(rows=rows, cols=columns)
        element = CT_Tbl.new_tbl(rows, columns, self.text_width)
        self.append_block(element)
        return Table(element, document_body(self.document))

    def run(self, paragraph: Paragraph, text: str = "", *, style: str | None = None,
            fmt: InlineFormat | None = None) -> etree._Element:
        """Append a run built directly (python-docx finds each child's place by XPath: most of a volume's time).
        Children follow the schema order: rPr (rStyle, b, bCs, strike, vertAlign), then text and tabs."""
        run = etree.SubElement(p_element(paragraph), W["r"])
        if fmt is not None:
            style = "Code Char" if fmt.code else "Emphasis" if fmt.italic_style else style
        if style or (fmt and (fmt.bold or fmt.strike or fmt.superscript or fmt.subscript)):
            properties = etree.SubElement(run, W["rPr"])
            if style:
                etree.SubElement(properties, W["rStyle"], {W["val"]: self.style_ids[style]})
            if fmt and fmt.bold:
                etree.SubElement(properties, W["b"])
                etree.SubElement(properties, W["bCs"])
            if fmt and fmt.strike:
                etree.SubElement(properties, W["strike"])
            if fmt and (fmt.superscript or fmt.subscript):
                etree.SubElement(properties, W["vertAlign"], {W["val"]: "superscript" if fmt.superscript else "subscript"})
        for index, piece in enumerate(text.split("\t")):
            if index:
                etree.SubElement(run, W["tab"])
            if piece:
                etree.SubElement(run, W["t"], {XML_SPACE: "preserve"}).text = piece
        return run

    def lines(self, paragraph: Paragraph, lines: tuple[str, ...]) -> None:
        """Text set in the given lines (`core/typeset.py`), a line break between each two."""
        for index, line in enumerate(lines):
            if index:
                etree.SubElement(etree.SubElement(p_element(paragraph), W["r"]), W["br"])
            self.run(paragraph, xml_safe(line))

    def start_section(self, *, odd_page: bool) -> object:
        """A new last section, as python-docx's `add_section` makes it (the final sectPr copied into a paragraph
        that ends the previous one, without its header and footer references), without its searches of the whole
        body for the final sectPr and the new paragraph's place."""
        body = self.document.element.body
        sentinel = next(body.iterchildren(reversed=True), None)
        if sentinel is None or sentinel.tag != W["sectPr"]:
            section = self.document.add_section(WD_SECTION.ODD_PAGE if odd_page else WD_SECTION.NEW_PAGE)
        else:
            paragraph = body.makeelement(W["p"])
            sentinel.addprevious(paragraph)
            paragraph.set_sectPr(sentinel.clone())
            for reference in sentinel.xpath("w:headerReference|w:footerReference"):
                sentinel.remove(reference)
            sentinel.start_type = WD_SECTION.ODD_PAGE if odd_page else WD_SECTION.NEW_PAGE
            return Section(sentinel, self.document.part)  # the copy has the page already (`_setup_page`)
        self._setup_page(section)
        return section

    def set_running_header(self, section, title: str, *, first_page_plain: bool = True,
                           restart_numbering: int | None = None, number_format: str = "decimal") -> None:
        """Header: organisation and title on one line, as the PDF's (`typeset.running_title` fits the title to it:
        a logo before them took the room of four characters); footer: “— PAGE —” on the outer side (odd right,
        even left)."""
        if "odd and even" not in self._shared_parts:
            self.document.settings.odd_and_even_pages_header_footer = True
            self._shared_parts.add("odd and even")
        section.different_first_page_header_footer = first_page_plain
        if self._header_model is not None:  # a volume's hundreds of sections: headers copied from the first
            self._copy_headers(section, title)
        else:
            for header in (section.header, section.even_page_header):
                header.is_linked_to_previous = False
                paragraph = header.paragraphs[0]
                p_element(paragraph).style = self.style_ids["Header"]
                for run in list(paragraph.runs):
                    run.element.getparent().remove(run.element)
                self.run(paragraph, f"{self.config.brand.organisation}　{self.config.brand.header_text}",
                         style="Report Label")
                self.run(paragraph, "　　" + title)
                _bottom_border(paragraph, self.config.brand.primary_colour)
                self._header_models.append(header.part.element)
        # Footers are the same in every section: made once, later sections link to them (Word's default for a
        # section without its own), which also spares python-docx a walk over every part for each new part.
        footers = []
        if "footers" not in self._shared_parts:
            footers += [(section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)]
            self._shared_parts.add("footers")
        if first_page_plain and "first page" not in self._shared_parts:
            footers.append((section.first_page_footer, WD_ALIGN_PARAGRAPH.RIGHT))
            section.first_page_header.is_linked_to_previous = False
            self._shared_parts.add("first page")
        for footer, alignment in footers:
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            p_element(paragraph).style = self.style_ids["Footer"]
            paragraph.alignment = alignment
            for run in list(paragraph.runs):
                run.element.getparent().remove(run.element)
            self.run(paragraph, "— ")
            add_field(p_element(paragraph), "PAGE", "1")
            self.run(paragraph, " —")
        sect_pr = section_element(section)
        page_numbers = sect_pr.find(qn("w:pgNumType"))
        if page_numbers is None:
            page_numbers = OxmlElement("w:pgNumType")
            sect_pr.append(page_numbers)
        page_numbers.set(qn("w:fmt"), number_format)
        # python-docx makes a section's properties by copying the previous section's: a restart must not be
        # inherited, or every report would be numbered from 1 again.
        if restart_numbering is None:
            page_numbers.attrib.pop(qn("w:start"), None)
        else:
            page_numbers.set(qn("w:start"), str(restart_numbering))

    @property
    def _header_model(self):
        """The first section's two headers (odd, even), once made: later ones are copies with their title."""
        return self._header_models if len(self._header_models) == 2 else None

    def _copy_headers(self, section, title: str) -> None:
        """The section's own headers, copies of the first section's with `title`: the same parts, names and
        relationships python-docx makes for them, without its searches of the package for each."""
        from docx.enum.section import WD_HEADER_FOOTER
        from docx.opc.constants import CONTENT_TYPE
        from docx.parts.hdrftr import HeaderPart

        package = self.document.part.package
        sect_pr = section_element(section)
        for kind, model in zip((WD_HEADER_FOOTER.PRIMARY, WD_HEADER_FOOTER.EVEN_PAGE), self._header_models,
                               strict=True):
            element = copy.deepcopy(model)
            paragraph = element.find(W["p"])
            paragraph.remove(paragraph.findall(W["r"])[-1])  # the title's run, made again as the first was
            self.run(Paragraph(paragraph, None), "　　" + title)
            part = HeaderPart(package.next_partname("/word/header%d.xml"), CONTENT_TYPE.WML_HEADER, element, package)
            sect_pr.add_headerReference(kind, self.document.part.relate_to(part, RT.HEADER))

    def logo(self, paragraph: Paragraph, height: Mm) -> bool:
        """The brand logo as an inline picture. The first of each size is added by python-docx; the others are
        copies of its drawing related to the same image part (python-docx would walk every part of the package
        and search the whole document for a free drawing id, for every header and title block)."""
        logo = self.config.resolve(self.config.brand.logo_raster)
        if not logo.is_file():
            return False
        if height not in self._logo_drawings:
            run = paragraph.add_run()
            run.add_picture(str(logo), height=height)
            blip = run.element.find(".//" + qn("a:blip"))
            self._logo_drawings[height] = (copy.deepcopy(run.element),
                                           paragraph.part.related_parts[blip.get(qn("r:embed"))])
            return True
        drawing, image_part = self._logo_drawings[height]
        run = copy.deepcopy(drawing)
        run.find(".//" + qn("a:blip")).set(qn("r:embed"), paragraph.part.relate_to(image_part, RT.IMAGE))
        self.drawing_ids += 1
        run.find(".//" + qn("wp:docPr")).set("id", str(self.drawing_ids))
        p_element(paragraph).append(run)
        return True

    def set_core_properties(self, *, title: str, authors: list[str], subject: str, keywords: list[str],
                            date: dt.date, category: str = "") -> None:
        properties = self.document.core_properties
        moment = dt.datetime(date.year, date.month, date.day, 0, 0, 0)
        properties.title = title
        properties.author = "、".join(authors) or self.config.brand.organisation
        properties.subject = subject
        properties.keywords = "；".join(keywords)
        properties.category = category
        properties.comments = ""
        properties.last_modified_by = self.config.brand.organisation
        properties.created = moment
        properties.modified = moment
        properties.last_printed = moment
        properties.revision = 1

    def last_block(self):
        """The body's last block before its final sectPr (None in an empty body): what the next blocks follow."""
        body = self.document.element.body
        last = next(body.iterchildren(reversed=True), None)
        return last.getprevious() if last is not None and last.tag == W["sectPr"] else last

    def to_bytes(self, *, timestamp: dt.datetime, splice: Callable[[str, bytes], bytes] | None = None) -> bytes:
        """The package, written once with fixed timestamps and attributes and python-docx's member order
        ([Content_Types].xml first), through python-docx's own package writer steps (`_docx_private`).
        `splice(partname, blob)` may change a part's bytes as they are written (the Word volume's segments)."""
        package = self.document.part.package
        for part in package.parts:
            part.before_marshal()
        members = _FixedZip(timestamp, splice)
        write_package(members, package)
        return members.close()

    # ---- reports -------------------------------------------------------------------------------------
    def write_title_block(self, doc: Document, view) -> None:
        org = self.paragraph("Report Org Line")
        if self.logo(org, Mm(9)):
            self.run(org, "  ")
        self.run(org, f"{self.config.brand.organisation}　{self.config.brand.header_text}")
        _bottom_border(org, self.config.brand.primary_colour, size=18)
        self.lines(self.paragraph("Report Title"), role_lines(view.title, self.config, "title", 21, self.text_width.pt))
        rows = [(_("Company"), view.company), (_("Counselors"), "、".join(view.counselors)),
                (_("Theme"), view.theme), (_("Submitted"), view.submitted)]
        if view.is_draft:
            rows.append((_("Status"), view.status))
        for label, value in rows:
            paragraph = self.paragraph("Report Meta")
            self.run(paragraph, label + "：", style="Report Meta Label")
            self.run(paragraph, xml_safe(value))
        if view.summary:
            paragraph = self.paragraph("Report Summary")
            self.run(paragraph, _("Summary") + "　", style="Report Label")
            self.run(paragraph, xml_safe(view.summary))
        if view.keywords:
            paragraph = self.paragraph("Report Keywords")
            self.run(paragraph, _("Keywords") + "　", style="Report Label")
            self.run(paragraph, xml_safe("；".join(view.keywords)))

    def write_body(self, doc: Document) -> None:
        self._source, self._doc = doc.path, doc
        self._footnote_map = {identifier: item for identifier, item in doc.footnotes}
        for element in doc.body:
            self.visit(element, depth=0)

    # ---- block visitor -------------------------------------------------------------------------------
    def visit(self, element: ElementTree.Element, *, depth: int, container=None) -> None:
        method = getattr(self, f"visit_{element.tag}", None)
        if method is None:
            self.unknown(element)
            paragraph = self.paragraph("Body Text", container=container)
            self.add_text(paragraph, "".join(element.itertext()), InlineFormat())
            return
        method(element, depth=depth, container=container)

    def unknown(self, element: ElementTree.Element) -> None:
        self.diagnostics.append(diagnostic("RND604", self._source or Path("."), (1, 1), _(
            "element <{tag}> has no Word rendering; its text is kept").format(tag=element.tag)))

    def visit_p(self, element, *, depth, container=None, style: str = "Body Text"):
        if element.get("class") == "table-caption":
            style = "Table Caption"
        paragraph = self.paragraph(style, container=container)
        self.inline_children(paragraph, element, InlineFormat())

    def _heading(self, element, *, depth, container=None):
        level = int(element.tag[1])
        paragraph = self.paragraph(HEADING_STYLES[level], container=container)
        if len(element) == 0 and element.text and container is None:  # plain text: balanced lines, as the PDF
            role, size = HEADING_FACES[level]
            self.lines(paragraph, role_lines(element.text, self.config, role, size, self.text_width.pt,
                                             first_indent_pt=HEADING_INDENT_EM * size))
            return
        self.inline_children(paragraph, element, InlineFormat())

    visit_h1 = visit_h2 = visit_h3 = visit_h4 = visit_h5 = visit_h6 = _heading

    def visit_blockquote(self, element, *, depth, container=None):
        for child in element:
            if child.tag == "p":
                self.visit_p(child, depth=depth, container=container, style="Quote")
            elif child.tag in HEADING_TAGS:  # quoted text, not a heading of the report: no outline level
                paragraph = self.paragraph("Quote", container=container)
                self.inline_children(paragraph, child, InlineFormat(bold=True))
            else:
                self.visit(child, depth=depth, container=container)

    def visit_pre(self, element, *, depth, container=None):
        code = "".join(element.itertext())
        for line in code.split("\n"):
            self.run(self.paragraph("Code Block", container=container), xml_safe(line))

    def visit_hr(self, element, *, depth, container=None):
        paragraph = self.paragraph("Body Text", container=container)
        _bottom_border(paragraph, "#999999")

    def visit_div(self, element, *, depth, container=None):
        for child in element:
            self.visit(child, depth=depth, container=container)

    def visit_figure(self, element, *, depth, container=None):
        image = element.find("img")
        caption = element.find("figcaption")
        paragraph = self.paragraph("Caption", container=container)
        if image is not None:
            self.add_image(paragraph, image.get("src", ""), max_width=self.text_width,
                           max_height=Mm(FIGURE_MAX_HEIGHT_MM))
        if caption is not None and (caption.text or "").strip():
            caption_paragraph = self.paragraph("Caption", container=container)
            self.inline_children(caption_paragraph, caption, InlineFormat())

    def visit_ul(self, element, *, depth, container=None):
        self._list(element, depth=depth, container=container, num_id=self._bullet_num)

    def visit_ol(self, element, *, depth, container=None):
        start = int(element.get("start", "1")) if (element.get("start") or "1").isdigit() else 1
        num_id = self._add_num(self._ordered_abstract, restart_level=min(depth, 8), start=start)
        self._list(element, depth=depth, container=container, num_id=num_id)

    def _list(self, element, *, depth, container, num_id: int) -> None:
        level = min(depth, 8)
        for item in element:
            if item.tag != "li":
                self.visit(item, depth=depth, container=container)
                continue
            paragraph = self.paragraph("List Paragraph", container=container)
            _number(paragraph, num_id, level)
            first_block_seen = False
            self.add_text(paragraph, item.text or "", InlineFormat())
            for child in item:
                if child.tag in ("ul", "ol"):
                    self.visit(child, depth=depth + 1, container=container)
                    if child.tail and child.tail.strip():
                        continuation = self.paragraph("List Paragraph", container=container)
                        self.add_text(continuation, child.tail, InlineFormat())
                elif child.tag == "p" and not first_block_seen and not paragraph.text.strip():
                    first_block_seen = True
                    self.inline_children(paragraph, child, InlineFormat())
                elif child.tag in BLOCK_TAGS:
                    first_block_seen = True
                    if child.tag == "p":
                        continuation = self.paragraph("List Paragraph", container=container)
                        continuation.paragraph_format.left_indent = Pt(24 * (level + 1))
                        self.inline_children(continuation, child, InlineFormat())
                    else:
                        self.visit(child, depth=depth + 1, container=container)
                else:
                    self.inline(paragraph, child, InlineFormat())
                    self.add_text(paragraph, child.tail or "", InlineFormat())  # the text after it, as in a <p>

    def visit_table(self, element, *, depth, container=None):
        rows = [row for section in element for row in (section if section.tag in ("thead", "tbody") else [section])
                if row.tag == "tr"]
        if not rows:
            return
        columns = max(len(row) for row in rows)
        table = self.table(len(rows), columns, container)
        self.style_table(table)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        header_rows = {id(row) for section in element if section.tag == "thead" for row in section}
        for row, table_row in zip(rows, table.rows, strict=True):
            is_header = id(row) in header_rows or all(cell.tag == "th" for cell in row)
            if is_header:
                _repeat_header(table_row)
            cells = row_cells(table, table_row)
            for column_index, cell_element in enumerate(row):
                cell = cells[column_index]
                paragraph = cell.paragraphs[0]
                align = cell_element.get("align")
                style_new_paragraph(p_element(paragraph),
                                    self.style_ids["Table Heading" if is_header else "Table Text"],
                                    align if align in ("center", "right") else None)
                self.inline_children(paragraph, cell_element, InlineFormat())
                if is_header:
                    _shade(cell, "F2E6E4")

    # ---- inline visitor ------------------------------------------------------------------------------
    def inline_children(self, paragraph: Paragraph, element, fmt: InlineFormat) -> None:
        self.add_text(paragraph, element.text or "", fmt)
        for child in element:
            self.inline(paragraph, child, fmt)
            self.add_text(paragraph, child.tail or "", fmt)

    def inline(self, paragraph: Paragraph, element, fmt: InlineFormat) -> None:
        method = getattr(self, f"inline_{element.tag}", None)
        if method is None:
            if element.tag in BLOCK_TAGS:
                self.inline_children(paragraph, element, fmt)
                return
            self.unknown(element)
            self.inline_children(paragraph, element, fmt)
            return
        method(paragraph, element, fmt)

    def inline_strong(self, paragraph, element, fmt):
        self.inline_children(paragraph, element, _with(fmt, bold=True))

    inline_b = inline_strong

    def inline_em(self, paragraph, element, fmt):
        self.inline_children(paragraph, element, _with(fmt, italic_style=True))

    inline_i = inline_em

    def inline_del(self, paragraph, element, fmt):
        self.inline_children(paragraph, element, _with(fmt, strike=True))

    def inline_code(self, paragraph, element, fmt):
        self.add_text(paragraph, "".join(element.itertext()), _with(fmt, code=True))

    def inline_br(self, paragraph, element, fmt):
        paragraph.add_run().add_break(WD_BREAK.LINE)

    def inline_span(self, paragraph, element, fmt):
        self.inline_children(paragraph, element, fmt)

    def inline_sub(self, paragraph, element, fmt):
        self.inline_children(paragraph, element, _with(fmt, subscript=True))

    def inline_sup(self, paragraph, element, fmt):
        link = element.find("a")
        href = link.get("href", "") if link is not None else ""
        if href.startswith("#fn:") and href[1:] in self._footnote_map:
            self.add_footnote(paragraph, self._footnote_map[href[1:]])
            return
        self.inline_children(paragraph, element, _with(fmt, superscript=True))

    def inline_a(self, paragraph, element, fmt):
        href = element.get("href", "")
        if re.match(r"^(https?|mailto):", href):
            self.inline_children(paragraph, element, _with(fmt, link=href))
        else:
            self.inline_children(paragraph, element, fmt)

    def inline_img(self, paragraph, element, fmt):
        self.add_image(paragraph, element.get("src", ""), max_width=self.text_width, max_height=self.text_height)

    # ---- runs, images, footnotes ---------------------------------------------------------------------
    def add_text(self, paragraph: Paragraph, text: str, fmt: InlineFormat) -> None:
        if not text:
            return
        text = xml_safe(text).replace("\n", " ")
        if fmt.link:
            self._add_hyperlink(paragraph, text, fmt)
            return
        self.run(paragraph, text, fmt=fmt)

    def _add_hyperlink(self, paragraph: Paragraph, text: str, fmt: InlineFormat) -> None:
        relationship = paragraph.part.relate_to(fmt.link, RT.HYPERLINK, is_external=True)
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("r:id"), relationship)
        run = OxmlElement("w:r")
        run.style = self.style_ids["Hyperlink"]
        text_element = OxmlElement("w:t")
        text_element.text = text
        text_element.set(qn("xml:space"), "preserve")
        run.append(text_element)
        hyperlink.append(run)
        p_element(paragraph).append(hyperlink)

    def add_image(self, paragraph: Paragraph, src: str, *, max_width: Emu, max_height: Emu) -> None:
        """The image at its natural size (its DPI, 96 by default), scaled down to fit within `max_width` and
        `max_height` keeping its proportions, as the PDF's CSS does (`max-width`, `max-height`)."""
        path = (self._source.parent / src).resolve() if self._source and src else None
        if path is None or not path.is_relative_to(self.config.sources_dir) or not path.is_file():
            self.diagnostics.append(diagnostic("AST502", self._source or Path("."), (1, 1), _(
                "resource “{url}” was refused: {reason}").format(url=src[:200], reason=_("outside the sources and templates"))))
            return
        with Image.open(path) as image:
            width_px, height_px = image.size
            dpi = image.info.get("dpi", (96, 96))[0] or 96
        width, height = width_px / float(dpi) * 914400, height_px / float(dpi) * 914400
        scale = min(1.0, max_width / width, max_height / height)
        paragraph.add_run().add_picture(str(path), width=Emu(int(width * scale)), height=Emu(int(height * scale)))

    def add_footnote(self, paragraph: Paragraph, item: ElementTree.Element) -> None:
        footnotes = self.footnotes()
        identifier = footnotes.next_id
        footnotes.next_id += 1
        note = OxmlElement("w:footnote")
        note.set(qn("w:id"), str(identifier))
        blocks = [child for child in item if child.tag == "p"] or [item]
        for index, block in enumerate(blocks):
            p = OxmlElement("w:p")
            note.append(p)
            note_paragraph = Paragraph(p, _PartHolder(footnotes.part))
            p.style = self.style_ids["Footnote Text"]
            if index == 0:
                marker = OxmlElement("w:r")
                marker.style = self.style_ids["Footnote Reference"]
                marker.append(OxmlElement("w:footnoteRef"))
                p.append(marker)
                note_paragraph.add_run(" ")
            self.inline_children(note_paragraph, block, InlineFormat())
        footnotes.part.element.append(note)
        reference = OxmlElement("w:r")
        reference.style = self.style_ids["Footnote Reference"]
        mark = OxmlElement("w:footnoteReference")
        mark.set(qn("w:id"), str(identifier))
        reference.append(mark)
        p_element(paragraph).append(reference)

    def footnotes(self, *, create: bool = True) -> _Footnotes | None:
        """The footnotes part and the next footnote's id; made now unless there is none yet and not `create`."""
        if self._footnotes is None and create:
            element = parse_xml(
                f"<w:footnotes {nsdecls('w', 'r')}>"
                '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
                'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
                '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" '
                'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
                "</w:footnotes>")
            part = XmlPart(PackURI("/word/footnotes.xml"), FOOTNOTES_CONTENT_TYPE, element, self.document.part.package)
            self.document.part.relate_to(part, RT.FOOTNOTES)
            settings = self.document.settings.element
            footnote_properties = parse_xml(f'<w:footnotePr {nsdecls("w")}><w:footnote w:id="-1"/>'
                                            '<w:footnote w:id="0"/></w:footnotePr>')
            settings.append(footnote_properties)
            self._footnotes = _Footnotes(part)
        return self._footnotes

    # ---- numbering -----------------------------------------------------------------------------------
    def _add_abstract_numberings(self) -> tuple[int, int]:
        numbering = self.document.part.numbering_part.element
        existing = [int(node.get(qn("w:abstractNumId"))) for node in numbering.findall(qn("w:abstractNum"))]
        bullet_id = max(existing, default=0) + 1
        ordered_id = bullet_id + 1
        first_num = numbering.find(qn("w:num"))
        for abstract_id, levels in ((bullet_id, [("bullet", symbol) for symbol in BULLETS]),
                                    (ordered_id, ORDERED_FORMATS)):
            xml = [f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">',
                   '<w:multiLevelType w:val="multilevel"/>']
            for level, (number_format, text) in enumerate(levels):
                indent = 480 + 420 * level
                xml.append(f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{number_format}"/>'
                           f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
                           f'<w:pPr><w:ind w:left="{indent}" w:hanging="360"/></w:pPr></w:lvl>')
            xml.append("</w:abstractNum>")
            element = parse_xml("".join(xml))
            if first_num is not None:
                first_num.addprevious(element)
            else:
                numbering.append(element)
        return bullet_id, ordered_id

    def _add_num(self, abstract_id: int, *, restart_level: int | None = None, start: int = 1) -> int:
        if self._numbering is None:  # python-docx finds the part among every relationship, on each call
            self._numbering = self.document.part.numbering_part.element
        numbering = self._numbering
        if self.next_num_id is None:  # the template's numbers, read once (a volume has thousands of lists)
            existing = [int(node.get(qn("w:numId"))) for node in numbering.findall(qn("w:num"))]
            self.next_num_id = max(existing, default=0) + 1
        num_id = self.next_num_id
        self.next_num_id += 1
        xml = f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>'
        if restart_level is not None:
            xml += (f'<w:lvlOverride w:ilvl="{restart_level}"><w:startOverride w:val="{start}"/>'
                    "</w:lvlOverride>")
        numbering.append(parse_xml(xml + "</w:num>"))
        return num_id


@dataclass
class _PartHolder:
    """Parent for paragraphs living in a part python-docx has no story class for (footnotes)."""

    part: XmlPart


def style_new_paragraph(p, style_id: str, align: str | None = None) -> None:
    """Give an empty paragraph its style (and alignment), built directly in schema order."""
    properties = p.makeelement(W["pPr"])  # python-docx's element classes, as for a parsed paragraph
    etree.SubElement(properties, W["pStyle"], {W["val"]: style_id})
    if align:
        etree.SubElement(properties, W["jc"], {W["val"]: align})
    p.insert(0, properties)


def _with(fmt: InlineFormat, **changes) -> InlineFormat:
    return InlineFormat(**{**fmt.__dict__, **changes})


def _number(paragraph: Paragraph, num_id: int, level: int) -> None:
    """Number a paragraph made by `DocxWriter.paragraph` (its pPr holds only pStyle, which numPr follows)."""
    properties = p_element(paragraph).pPr
    numbering = etree.SubElement(properties, W["numPr"])
    etree.SubElement(numbering, W["ilvl"], {W["val"]: str(level)})
    etree.SubElement(numbering, W["numId"], {W["val"]: str(num_id)})


def add_field(parent, instruction: str, result: str) -> None:
    """A complex field appended to `parent` (a paragraph's or a hyperlink's element): begin, instruction,
    separate, its cached `result`, end."""
    def run():
        return etree.SubElement(parent, W["r"])

    etree.SubElement(run(), W["fldChar"], {W["fldCharType"]: "begin"})
    etree.SubElement(run(), W["instrText"], {XML_SPACE: "preserve"}).text = f" {instruction} "
    etree.SubElement(run(), W["fldChar"], {W["fldCharType"]: "separate"})
    etree.SubElement(run(), W["t"]).text = result
    etree.SubElement(run(), W["fldChar"], {W["fldCharType"]: "end"})


def _bottom_border(paragraph: Paragraph, colour: str, *, size: int = 6) -> None:
    ppr = p_element(paragraph).get_or_add_pPr()
    border = parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="{size}" w:space="1" '
                       f'w:color="{colour.lstrip("#")}"/></w:pBdr>')
    ppr.insert_element_before(border, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                              "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
                              "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                              "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
                              "w:rPr", "w:sectPr", "w:pPrChange")


def _shade(cell, colour: str) -> None:
    properties = tc_element(cell).get_or_add_tcPr()
    properties.append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{colour}"/>'))


def row_cells(table, row) -> list:
    """A row's cells without python-docx's `table.cell()`, which rebuilds the whole cell grid on every call."""
    return _row_cells(table, row)


def _repeat_header(row) -> None:
    properties = tr_element(row).get_or_add_trPr()
    properties.append(OxmlElement("w:tblHeader"))


class _FixedZip:
    """A ZIP writer with the interface python-docx's `PackageWriter` expects of its physical writer, giving every
    member the same timestamp and attributes, so that the same document always gives the same bytes."""

    def __init__(self, timestamp: dt.datetime, splice: Callable[[str, bytes], bytes] | None = None):
        self.stamp = (max(timestamp.year, 1980), timestamp.month, timestamp.day, timestamp.hour, timestamp.minute,
                      timestamp.second // 2 * 2)
        self.splice = splice
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", zipfile.ZIP_DEFLATED)

    def write(self, pack_uri, blob: bytes) -> None:
        member = zipfile.ZipInfo(pack_uri.membername, date_time=self.stamp)
        member.compress_type = zipfile.ZIP_DEFLATED
        member.external_attr = 0o644 << 16
        member.create_system = 3
        self.zip.writestr(member, blob if self.splice is None else self.splice(str(pack_uri), blob))

    def close(self) -> bytes:
        self.zip.close()
        return self.buffer.getvalue()


def render_report_docx(doc: Document, view, config: Config, *, timestamp: dt.datetime,
                       keep: Callable[[DocxWriter, object], None] | None = None) -> tuple[bytes, list[Diagnostic]]:
    """One report as a DOCX: title block, body, header/footer and core properties. `keep(writer, before)` is
    called once the report's blocks are written (after the block `before`): the build keeps them as the
    report's segment of the Word volume (`docx_segments.py`)."""
    writer = DocxWriter(config)
    writer.set_running_header(writer.document.sections[0], view.running_title)
    before = writer.last_block()
    writer.write_title_block(doc, view)
    writer.write_body(doc)
    if keep is not None:
        keep(writer, before)
    writer.set_core_properties(title=view.title, authors=list(view.counselors), subject=view.theme,
                               keywords=list(view.keywords), date=doc.meta.submitted or timestamp.date(),
                               category=config.brand.header_text)
    return writer.to_bytes(timestamp=timestamp), writer.diagnostics
