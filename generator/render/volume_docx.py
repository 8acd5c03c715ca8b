"""The volume as one Word document, built from the same trees (not by merging finished .docx files).

Sections: cover and title page (no numbers), front matter (roman numerals from I), one section per report
starting on an odd page with its own running header, numbered on from 1 as in the PDF volume, back matter. The
contents and the indexes print every page number as a PAGEREF field to a bookmark on its heading, cached with
the PDF's number: Word's and LibreOffice's layouts differ from the PDF's, and both compute such fields from
their own (LibreOffice and WPS as they lay the document out, Word when it opens it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from generator.core.config import Config
from generator.core.i18n import _
from generator.core.model import Diagnostic, Document
from generator.core.typeset import role_lines
from generator.read.volume_source import VolumeSource

from ._docx_private import indexed_relationships, p_element, remembered_partnames
from .docx import DocxWriter, InlineFormat, add_field, row_cells, style_new_paragraph
from .docx_segments import SegmentJoin, WordSegment, add_bookmark, bookmark_id, make_segment, set_outline_level
from .html import ReportView
from .volume_pdf import TocEntry, VolumePdf, volume_fields


class Bookmarks:
    """Word bookmarks on the volume's headings, one per anchor of the PDF plan (`_Toc` names, as Word gives the
    headings its TOC points to). A page number that points to one is a PAGEREF field: Word and LibreOffice compute
    it from their own layout, and its cached result is the PDF's number until they do."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def name(self, target: str) -> str:
        return self.names.setdefault(target, f"_Toc{len(self.names) + 1:08d}")

    def mark(self, paragraph_element, target: str) -> None:
        name = self.name(target)
        add_bookmark(paragraph_element, bookmark_id(name), name)

    def page_ref(self, parent, target: str, page: int) -> None:
        add_field(parent, f"PAGEREF {self.name(target)} \\h", str(page))


def _toc(writer: DocxWriter, entries: list[TocEntry], bookmarks: Bookmarks) -> None:
    """The contents: each entry a link to its heading's bookmark, its page number a PAGEREF field. Not a TOC
    field: LibreOffice and WPS show a TOC field's cached text as it is (the PDF's numbers, wrong in their
    layout) but compute a PAGEREF outside one; Word updates them all on opening (`_update_fields_on_open`)."""
    for entry in entries:
        paragraph = writer.paragraph(f"TOC {entry.level}")
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("w:anchor"), bookmarks.name(entry.target))
        hyperlink.set(qn("w:history"), "1")
        p_element(paragraph).append(hyperlink)
        hyperlink.append(writer.run(paragraph, f"{entry.text}\t"))
        bookmarks.page_ref(hyperlink, entry.target, entry.page)


# The elements that follow w:updateFields in CT_Settings (ECMA-376 §17.15.1.78 and on).
_AFTER_UPDATE_FIELDS = {qn(f"w:{name}") for name in (
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "attachedSchema", "themeFontLang",
    "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade", "captions",
    "readModeInkLockDown", "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags",
    "decimalSymbol", "listSeparator")} | {qn("m:mathPr")}


def _update_fields_on_open(writer: DocxWriter) -> None:
    """Word asks to update the document's fields when it opens it, so its page numbers follow its own layout."""
    settings = writer.document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    successor = next((child for child in settings if child.tag in _AFTER_UPDATE_FIELDS), None)
    if successor is None:
        settings.append(update)
    else:
        successor.addprevious(update)


def _add_toc_styles(writer: DocxWriter) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER

    for level, indent, size in ((1, 0, 12.5), (2, 24, 11.5)):
        name = f"TOC {level}"
        try:
            style = writer.document.styles[name]
        except KeyError:
            style = writer.document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = writer.styles["Normal"]
            style.font.size = Pt(size)
            style.paragraph_format.left_indent = Pt(indent)
            style.paragraph_format.space_before = Pt(6 if level == 1 else 1)
            style.paragraph_format.tab_stops.add_tab_stop(writer.text_width, WD_TAB_ALIGNMENT.RIGHT,
                                                          WD_TAB_LEADER.DOTS)
        writer.styles[name] = style
        writer.style_ids[name] = style.style_id


def _outline(paragraph, level: int) -> None:
    set_outline_level(p_element(paragraph), level)


def _front_title(writer: DocxWriter, text: str, bookmarks: Bookmarks | None = None, target: str = "") -> None:
    paragraph = writer.paragraph("Report Title", text)
    _outline(paragraph, 1)
    if bookmarks is not None:
        bookmarks.mark(p_element(paragraph), target)


def render_volume_docx(config: Config, year: str, docs: list[Document], source: VolumeSource,
                       pdf: VolumePdf, *, timestamp: dt.datetime,
                       segments: Callable[[Document, ReportView], WordSegment] | None = None
                       ) -> tuple[bytes, list[Diagnostic]]:
    """The Word volume. `segments(doc, view)` gives each report's segment (kept by the build, or made then);
    by default each is made now."""
    writer = DocxWriter(config)
    with remembered_partnames(writer.document.part.package), indexed_relationships(writer.document.part):
        return _write_volume(writer, config, year, docs, source, pdf, timestamp=timestamp,
                             segments=segments or (lambda doc, view: make_segment(doc, view, config)))


def _write_volume(writer: DocxWriter, config: Config, year: str, docs: list[Document], source: VolumeSource,
                  pdf: VolumePdf, *, timestamp: dt.datetime,
                  segments: Callable[[Document, ReportView], WordSegment]) -> tuple[bytes, list[Diagnostic]]:
    _add_toc_styles(writer)
    fields = volume_fields(config, year, source)
    docs_by_id = {doc.report_id: doc for doc in docs}
    bookmarks = Bookmarks()

    # Cover and title page (no header, no number)
    section = writer.document.sections[0]
    for _blank in range(4):
        writer.paragraph("Normal")
    org = writer.paragraph("Report Org Line")
    org.alignment = WD_ALIGN_PARAGRAPH.CENTER
    logo = config.resolve(config.brand.logo_raster)
    if logo.is_file():
        org.add_run().add_picture(str(logo), height=Mm(18))
        org.add_run().add_break()
    org.add_run(fields["organisation"]).font.size = Pt(16)
    for _blank in range(3):
        writer.paragraph("Normal")
    title = writer.paragraph("Report Title")
    writer.lines(title, role_lines(fields["title"], config, "title", 30, writer.text_width.pt))
    for run in title.runs:
        run.font.size = Pt(30)
    writer.paragraph("Report Title", fields["subtitle"]).runs[0].font.size = Pt(18)
    for _blank in range(4):
        writer.paragraph("Normal")
    foot = writer.paragraph("Report Org Line", f"{fields['organisation']}　{fields['date_text']}")
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.add_run().add_break(WD_BREAK.PAGE)
    writer.lines(writer.paragraph("Report Title"), role_lines(fields["title"], config, "title", 21,
                                                              writer.text_width.pt))
    writer.paragraph("Report Title", fields["subtitle"])
    if fields["editor"]:
        editor = writer.paragraph("Report Meta", f"{_('Edited by')}　{fields['editor']}")
        editor.alignment = WD_ALIGN_PARAGRAPH.CENTER

    # Front matter, roman numerals
    section = writer.start_section(odd_page=True)
    writer.set_running_header(section, fields["title"], first_page_plain=False, restart_numbering=1,
                              number_format="upperRoman")
    for number, (heading, elements) in enumerate(source.front):
        if number:
            writer.paragraph("Normal").add_run().add_break(WD_BREAK.PAGE)
        _front_title(writer, heading)
        for element in elements:
            writer.visit(element, depth=0)
    writer.paragraph("Normal").add_run().add_break(WD_BREAK.PAGE)
    _front_title(writer, _("Overview"))
    writer.paragraph("Body Text", pdf.overview_sentence)
    writer.paragraph("Table Caption", _("Reports by theme"))
    _simple_table(writer, [_("Theme"), _("Reports"), _("Companies")],
                  [[theme, str(count), "、".join(companies)] for theme, count, companies in pdf.overview.per_theme]
                  + [[_("Total"), str(pdf.overview.reports), str(pdf.overview.companies)]])
    writer.paragraph("Table Caption", _("Companies and themes"))
    _simple_table(writer, [_("Company")] + [theme.replace("党建+", "") for theme in pdf.overview.matrix_themes],
                  [[company] + [("●" if count == 1 else str(count)) if count else "" for count in counts]
                   for company, counts in pdf.overview.matrix])
    writer.paragraph("Normal").add_run().add_break(WD_BREAK.PAGE)
    _front_title(writer, _("Contents"))
    _toc(writer, pdf.toc, bookmarks)
    _update_fields_on_open(writer)

    # Reports: one section each, from an odd page, numbered from 1; its blocks a segment (`docx_segments.py`)
    join = SegmentJoin(writer)
    first = True
    for theme, members in pdf.groups:
        for index, view in enumerate(members):
            section = writer.start_section(odd_page=True)
            writer.set_running_header(section, view.running_title, restart_numbering=1 if first else None)
            first = False
            if index == 0:
                banner = writer.paragraph("Report Org Line", theme)
                _outline(banner, 1)
                bookmarks.mark(p_element(banner), f"theme-{view.anchor}")
            join.place(segments(docs_by_id[view.id], view), bookmark=bookmarks.name(view.anchor))

    # Back matter
    starts = {rid: page for rid, _title, page in pdf.starts}
    anchors = {view.anchor: view.id for _theme, members in pdf.groups for view in members}
    for heading, target, entries in ((_("Index of counselors"), "index-counselors", pdf.counselor_index),
                                     (_("Index of companies"), "index-companies", pdf.company_index)):
        section = writer.start_section(odd_page=True)
        writer.set_running_header(section, heading)
        _front_title(writer, heading, bookmarks, target)
        _simple_table(writer, None, [[entry.name, entry.detail,
                                      PageRefs(tuple((anchor, starts[anchors[anchor]]) for anchor in entry.anchors))]
                                     for entry in entries], bookmarks)
    for number, (heading, elements) in enumerate(source.back, start=1):
        section = writer.start_section(odd_page=True)
        writer.set_running_header(section, heading)
        _front_title(writer, heading, bookmarks, f"back-{number}")
        for element in elements:
            writer.visit(element, depth=0)
    writer.set_core_properties(title=f"{fields['title']}（{fields['subtitle']}）", authors=[fields["organisation"]],
                               subject=fields["title"], keywords=[theme for theme, _m in pdf.groups],
                               date=timestamp.date(), category=fields["subtitle"])
    return writer.to_bytes(timestamp=timestamp, splice=join.splice), writer.diagnostics


@dataclass(frozen=True)
class PageRefs:
    """A table cell of page numbers, each a PAGEREF field to a report's bookmark: ((anchor, PDF page), …)."""
    pages: tuple[tuple[str, int], ...]


def _simple_table(writer: DocxWriter, header: list[str] | None, rows: list[list[str | PageRefs]],
                  bookmarks: Bookmarks | None = None) -> None:
    columns = len(header) if header else max(len(row) for row in rows)
    table = writer.table(len(rows) + (1 if header else 0), columns)
    writer.style_table(table)
    all_rows = ([header] if header else []) + rows
    for row_index, (values, row) in enumerate(zip(all_rows, table.rows, strict=True)):
        is_header = header is not None and row_index == 0
        cells = row_cells(table, row)
        for column, value in enumerate(values):
            paragraph = cells[column].paragraphs[0]
            style_new_paragraph(p_element(paragraph),
                                writer.style_ids["Table Heading" if is_header else "Table Text"])
            if isinstance(value, PageRefs):
                for number, (anchor, page) in enumerate(value.pages):
                    if number:
                        writer.run(paragraph, "，")
                    bookmarks.page_ref(p_element(paragraph), anchor, page)
            else:
                writer.add_text(paragraph, value, InlineFormat())
