"""The volume PDF: the reports' units, then the back and front matter laid out, then assembly.

Each report's part is the unit its own PDF was finished from (`units.report_unit`), normally already in the
unit cache when the volume is compiled; the front and back matter are laid out again only when a page number
they print has moved. Units carry no page numbers: the assembler stamps them, so a part does not depend on
where it starts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from generator.core.config import Config
from generator.core.i18n import _
from generator.core.model import Diagnostic, Document
from generator.read.registry import Registry, short_company_names
from generator.read.volume_source import VolumeSource

from .assemble import LINK_BASE, OutlineEntry, Unit
from .html import ReportView, brand_context, elements_html, report_view, template_environment
from .segments import FaceSlots, OutlineNode, Part, segment_key, write_segment, write_volume
from .units import NoUnitStore, UnitStore, render_unit, report_unit
from .volume_plan import Overview, overview, pinyin_key, theme_groups


@dataclass
class VolumePdf:
    data: bytes
    pages: int
    starts: list[tuple[str, str, int]]             # (report id, title, printed start page)
    toc: list[TocEntry]                             # for the Word TOC
    groups: list[tuple[str, list[ReportView]]]
    overview: Overview
    overview_sentence: str
    counselor_index: list[IndexEntry]
    company_index: list[IndexEntry]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    part_diagnostics: dict[str, tuple[Diagnostic, ...]] = field(default_factory=dict)  # report path -> its unit's


@dataclass(frozen=True)
class TocEntry:
    """A line of the contents: its level (1 theme or back matter, 2 report), text, printed page, and the anchor
    of what it points to (a theme points to its banner, `theme-<first report's anchor>`)."""
    level: int
    text: str
    page: int
    target: str


@dataclass(frozen=True)
class IndexEntry:
    name: str
    detail: str
    anchors: tuple[str, ...]


def volume_fields(config: Config, year: str, source: VolumeSource) -> dict:
    fields, date_value = source.fields, source.date
    return {
        "title": fields.get("title") or config.brand.volume_title,
        "subtitle": fields.get("subtitle") or _("{year} edition").format(year=year),
        "organisation": fields.get("organisation") or config.brand.organisation,
        "editor": fields.get("editor", ""),
        "date_text": f"{date_value.year}年{date_value.month}月" if date_value else str(year),
    }


def overview_sentence(numbers: Overview) -> str:
    return _("In this year {counselors} party-building counselors coached {companies} subsidiary companies and "
             "produced {reports} project topic reports on {themes} themes.").format(
        counselors=numbers.counselors, companies=numbers.companies, reports=numbers.reports,
        themes=len(numbers.per_theme))


def indexes(registry: Registry, groups: list[tuple[str, list[ReportView]]],
            short_names: dict[str, str]) -> tuple[list[IndexEntry], list[IndexEntry]]:
    counselors: dict[str, list[str]] = {}
    companies: dict[str, list[str]] = {}
    for _theme, members in groups:
        for view in members:
            for name in view.counselors:
                counselors.setdefault(name, []).append(view.anchor)
            companies.setdefault(view.company, []).append(view.anchor)
    counselor_entries = []
    for name in sorted(counselors, key=pinyin_key):
        entry = registry.counselor(name)
        counselor_entries.append(IndexEntry(name, entry.get("department") if entry else "", tuple(counselors[name])))
    company_entries = [IndexEntry(short_names.get(name, name), name, tuple(companies[name]))
                       for name in sorted(companies, key=pinyin_key)]
    return counselor_entries, company_entries


def render_volume_pdf(config: Config, year: str, docs: list[Document], source: VolumeSource,
                      registry: Registry, *, timestamp: dt.datetime,
                      cache: UnitStore | None = None,
                      report_timestamp: Callable[[Document], dt.datetime] | None = None,
                      assemble_pdf: bool = True, page_counts: dict[str, int] | None = None,
                      waiting_for: frozenset[str] = frozenset(), wait: float = 0,
                      unit_keys: dict[str, str] | None = None) -> VolumePdf:
    """The volume's plan (groups, overview, indexes, printed pages) and, with `assemble_pdf`, its PDF. Without
    it (the Word volume's task) nothing is assembled, and with `page_counts` (report path -> pages) the reports'
    units are not even read. The units of the reports in `waiting_for` (paths) are being laid out by other tasks
    as this one starts: it waits up to `wait` seconds for each. `unit_keys` (report path -> unit key) name the
    units of reports already laid out, which are then read without making their HTML again."""
    cache = cache or NoUnitStore()
    environment = template_environment(config.templates_dir)
    short_names = short_company_names(registry)
    numbers = overview(config, docs, short_names)
    doc_groups = theme_groups(config, docs)
    groups = [(theme, [report_view(doc, config) for doc in members]) for theme, members in doc_groups]
    reports = [view for _theme, members in groups for view in members]
    counselor_index, company_index = indexes(registry, groups, short_names)
    sentence = overview_sentence(numbers)
    front_sections = [{"title": title, "html": elements_html(elements)} for title, elements in source.front]
    back_sections = [{"title": title, "html": elements_html(elements)} for title, elements in source.back]
    base = {**brand_context(config), "volume": volume_fields(config, year, source),
            "themes": [theme for theme, _members in groups], "date_iso": timestamp.date().isoformat(),
            "link_base": LINK_BASE}
    diagnostics: list[Diagnostic] = []
    base_url = config.sources_dir / year

    def unit(template: str, context: dict, label: str) -> Unit:
        css = environment.get_template("volume.css.j2").render(**context)
        html = environment.get_template(template).render(**context, css=Markup(css))
        laid_out = render_unit(html, cache=cache, config=config, base_url=base_url, source=base_url,
                               identifier=f"volume/{year}/{label}")
        diagnostics.extend(laid_out.diagnostics)
        return laid_out

    # Report parts (the reports' own units, each written once as a segment of the volume's file: `segments.py`),
    # then their printed page numbers (each starts on a right-hand page).
    stamp_time = report_timestamp or (lambda doc: timestamp)
    faces = FaceSlots.installed() if assemble_pdf else None
    next_object = faces.end if faces is not None else 0  # where the next segment's object numbers start
    pages: dict[str, int] = {}
    parts: list[Part] = []
    part_diagnostics: dict[str, tuple[Diagnostic, ...]] = {}
    printed = 1

    def segment(identity: str, load: Callable[[], Unit], *, numbered: bool, metadata: bool = False) -> Part:
        """The segment of the unit `identity` names, from `next_object` on: kept, or written now from the unit
        (`load()`, read only then)."""
        key = segment_key(identity, base=next_object, numbered=numbered, metadata=metadata, faces=faces)
        kept = cache.get_segment(key)
        if kept is None:
            laid_out = load()
            if laid_out.identity != identity:
                key = segment_key(laid_out.identity, base=next_object, numbered=numbered, metadata=metadata,
                                  faces=faces)
                kept = cache.get_segment(key)
        if kept is None:
            kept = write_segment(laid_out, key=key, base=next_object, numbered=numbered, metadata=metadata,
                                 faces=faces, link_base=LINK_BASE)
            cache.put_segment(key, *kept)
        return Part(*kept)

    for (_theme, members), (_same, views) in zip(doc_groups, groups, strict=True):
        for doc, view in zip(members, views, strict=True):
            path = str(doc.path)
            if page_counts is not None and not assemble_pdf:
                count, anchors, problems = page_counts[path], {view.anchor: 0}, ()
            else:
                known = (unit_keys or {}).get(path)

                def load(doc=doc, view=view, known=known, path=path) -> Unit:
                    unit = cache.get(known) if known else None
                    if unit is not None:
                        unit.key = known
                        return unit
                    try:
                        return report_unit(doc, view, config, cache=cache, timestamp=stamp_time(doc),
                                           wait=wait if path in waiting_for else 0)
                    finally:
                        doc.forget_tree()  # made for its HTML: not kept for every report of the volume

                if assemble_pdf:
                    if known:
                        part = segment(known, load, numbered=True)
                    else:
                        laid_out = load()
                        part = segment(laid_out.identity, lambda laid_out=laid_out: laid_out, numbered=True)
                    part.first_number = printed
                    parts.append(part)
                    count, anchors = part.segment.content_pages, part.segment.anchors
                    problems = tuple(Diagnostic.from_json(item) for item in part.segment.diagnostics)
                    next_object = part.segment.end
                else:
                    laid_out = load()
                    count, anchors, problems = laid_out.pages, laid_out.anchors, laid_out.diagnostics
            if problems:  # the build decides whether they fail the report (and exclude it)
                part_diagnostics[path] = tuple(problems)
            for anchor, page in anchors.items():
                pages.setdefault(anchor, printed + page)
            printed += count + count % 2
    back_start = printed
    back = dataclasses.replace(unit("volume_back.html.j2", {
        **base, "mode": "back", "back_start": back_start, "pages": pages, "counselor_index": counselor_index,
        "company_index": company_index, "back_sections": back_sections}, "back"), pad=False)
    for anchor, page in back.anchors.items():
        pages.setdefault(anchor, back_start + page)
    starts = [(view.id, view.title, pages[view.anchor]) for view in reports]
    toc = []
    for theme, members in groups:
        toc.append(TocEntry(1, theme, pages[members[0].anchor], f"theme-{members[0].anchor}"))
        toc.extend(TocEntry(2, view.title, pages[view.anchor], view.anchor) for view in members)
    toc.append(TocEntry(1, _("Index of counselors"), pages["index-counselors"], "index-counselors"))
    toc.append(TocEntry(1, _("Index of companies"), pages["index-companies"], "index-companies"))
    for number, section in enumerate(back_sections, start=1):
        toc.append(TocEntry(1, section["title"], pages[f"back-{number}"], f"back-{number}"))
    volume = VolumePdf(data=b"", pages=0, starts=starts, toc=toc, groups=groups, overview=numbers,
                       overview_sentence=sentence, counselor_index=counselor_index, company_index=company_index,
                       diagnostics=diagnostics, part_diagnostics=part_diagnostics)
    if not assemble_pdf:
        return volume
    front = unit("volume_front.html.j2", {**base, "mode": "front", "pages": pages, "groups": groups,
                                          "overview": numbers, "overview_sentence": sentence,
                                          "front_sections": front_sections, "back_sections": back_sections},
                 "front")

    outline = [OutlineEntry(section["title"], f"front-{number}") for number, section in
               enumerate(front_sections, start=1)]
    outline += [OutlineEntry(_("Overview"), "overview"), OutlineEntry(_("Contents"), "toc")]
    for theme, members in groups:
        outline.append(OutlineEntry(theme, members[0].anchor, [
            OutlineEntry(view.title, view.anchor, [OutlineEntry(text, anchor) for level, text, anchor in view.outline
                                                   if level == 2]) for view in members]))
    outline += [OutlineEntry(_("Index of counselors"), "index-counselors"),
                OutlineEntry(_("Index of companies"), "index-companies")]
    outline += [OutlineEntry(section["title"], f"back-{number}") for number, section in
                enumerate(back_sections, start=1)]
    first_front = "front-1" if front_sections else "overview"
    labels = [("", {"P": _("Cover")}), (first_front, {"S": "/R"}), (reports[0].anchor, {"S": "/D"})]
    # The back matter's and the front matter's segments come after the reports' in number (laid out again when a
    # printed page number moves, they move no report's numbers), the front matter's first in the file.
    back_part = segment(back.identity, lambda: back, numbered=False)
    next_object = back_part.segment.end
    front_part = segment(front.identity, lambda: front, numbered=False, metadata=True)
    ordered = [front_part, *parts, back_part]
    page_index: dict[str, int] = {}
    object_of: dict[str, int] = {}
    first_page = 0
    for part in ordered:
        for anchor, page in part.segment.anchors.items():
            page_index.setdefault(anchor, first_page + page)
            object_of.setdefault(anchor, part.segment.pages[page])
        first_page += len(part.segment.pages)

    def node(entry: OutlineEntry) -> OutlineNode:
        return OutlineNode(entry.title, object_of[entry.anchor],
                           [node(child) for child in entry.children if child.anchor in object_of])

    volume.data = write_volume(
        ordered, family=config.brand.fonts.body[0], faces=faces,
        outline=[node(entry) for entry in outline if entry.anchor in object_of],
        labels=[(0 if anchor == "" else page_index[anchor], style) for anchor, style in _label_styles(labels)
                if anchor == "" or anchor in page_index], programs=cache)
    volume.pages = first_page
    return volume


def _label_styles(labels: list[tuple[str, dict]]) -> list[tuple[str, object]]:
    import pikepdf

    converted = []
    for anchor, style in labels:
        converted.append((anchor, pikepdf.Dictionary({
            f"/{key}": pikepdf.Name(value) if str(value).startswith("/") else pikepdf.String(value)
            for key, value in style.items()})))
    return converted

