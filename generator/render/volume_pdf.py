"""The volume as one WeasyPrint document: context for `volume.html.j2` and the laid-out page numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from markupsafe import Markup

from ..config import Config
from ..i18n import _
from ..model import Diagnostic, Document
from ..registry import load_registry
from ..volume import Overview, VolumeSource, overview, pinyin_key, theme_groups
from .html import ReportView, brand_context, elements_html, report_view, template_environment
from .pdf import render_pdf


@dataclass
class VolumePdf:
    data: bytes
    pages: int
    starts: list[tuple[str, str, int]]             # (report id, title, printed start page)
    toc: list[tuple[int, str, str]]                 # (level, text, printed page) for the Word TOC
    groups: list[tuple[str, list[ReportView]]]
    overview: Overview
    overview_sentence: str
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class IndexEntry:
    name: str
    detail: str
    anchors: tuple[str, ...]


def volume_fields(config: Config, year: str, source: VolumeSource) -> dict:
    fields = source.fields
    date = fields.get("date", "")
    try:
        date_value = dt.date.fromisoformat(date) if date else None
    except ValueError:
        date_value = None
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


def indexes(config: Config, groups: list[tuple[str, list[ReportView]]], docs_by_id: dict[str, Document],
            short_names: dict[str, str]) -> tuple[list[IndexEntry], list[IndexEntry]]:
    registry = load_registry(config.registry_path)
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
                      short_names: dict[str, str], *, timestamp: dt.datetime) -> VolumePdf:
    environment = template_environment(config.templates_dir)
    numbers = overview(config, docs, short_names)
    groups = [(theme, [report_view(doc, config) for doc in members]) for theme, members in theme_groups(config, docs)]
    reports = [view for _theme, members in groups for view in members]
    counselor_index, company_index = indexes(config, groups, {doc.report_id: doc for doc in docs}, short_names)
    sentence = overview_sentence(numbers)
    context = {
        **brand_context(config),
        "volume": volume_fields(config, year, source),
        "themes": [theme for theme, _members in groups],
        "groups": groups,
        "reports": reports,
        "overview": numbers,
        "overview_sentence": sentence,
        "front_sections": [{"title": title, "html": elements_html(elements)} for title, elements in source.front],
        "back_sections": [{"title": title, "html": elements_html(elements)} for title, elements in source.back],
        "counselor_index": counselor_index,
        "company_index": company_index,
        "date_iso": timestamp.date().isoformat(),
    }
    css = environment.get_template("volume.css.j2").render(**context)
    html = environment.get_template("volume.html.j2").render(**context, css=Markup(css))
    result = render_pdf(html, base_url=config.sources_dir / year, config=config, source=config.sources_dir / year,
                        identifier=f"volume/{year}")
    body_start = min(result.anchor_pages[view.anchor] for view in reports)
    front_start = result.anchor_pages.get("front-1", result.anchor_pages.get("overview", 0))

    def printed(anchor: str) -> int:
        index = result.anchor_pages[anchor]
        return index - body_start + 1 if index >= body_start else index - front_start + 1

    starts = [(view.id, view.title, printed(view.anchor)) for view in reports]
    toc = []
    for theme, members in groups:
        toc.append((1, theme, printed(members[0].anchor)))
        toc.extend((2, view.title, printed(view.anchor)) for view in members)
    for anchor, title in (("index-counselors", _("Index of counselors")), ("index-companies", _("Index of companies"))):
        toc.append((1, title, printed(anchor)))
    for number, (title, _elements) in enumerate(source.back, start=1):
        toc.append((1, title, printed(f"back-{number}")))
    return VolumePdf(data=result.data, pages=result.pages, starts=starts, toc=toc, groups=groups, overview=numbers,
                     overview_sentence=sentence, diagnostics=list(result.diagnostics))
