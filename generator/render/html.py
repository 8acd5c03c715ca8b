"""HTML for WeasyPrint: the document tree serialised into Jinja2 templates (autoescape, StrictUndefined).

Nothing from a draft is ever template source: drafts supply data (escaped by Jinja2) and the body, which is
the sanitised element tree serialised by ElementTree (which escapes all text). Footnotes are inlined at
their reference as `<span class="footnote">` so WeasyPrint floats them to the page foot.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from generator import __version__
from generator.core.config import Config
from generator.core.i18n import _, ngettext
from generator.core.model import Document
from generator.core.page import (
    FIGURE_MAX_HEIGHT_MM,
    HEADING_FACES,
    HEADING_INDENT_EM,
    MARGINS_MM,
    NUMBER_SIZE_PT,
    css_margins,
    mm_to_pt,
    text_area_mm,
)
from generator.core.typeset import TRIM_START, paragraph_end, role_lines, running_title

HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@dataclass(frozen=True)
class ReportView:
    """What templates know about one report."""

    id: str
    anchor: str
    title: str
    company: str
    counselors: tuple[str, ...]
    theme: str
    status: str
    submitted: str
    summary: str
    keywords: tuple[str, ...]
    running_title: str = ""  # the title as the running header shows it, on one line (`typeset.running_title`)
    is_draft: bool = False
    doc: Document | None = field(default=None, repr=False, compare=False)
    config: Config | None = field(default=None, repr=False, compare=False)

    @cached_property
    def outline(self) -> tuple[tuple[int, str, str], ...]:
        """(level, text, anchor) of the body's headings, made when first asked for (from the body's tree: the
        Word volume, which never asks, builds no tree for a report whose segment is kept)."""
        return () if self.doc is None else outline(self.doc, anchor_prefix=self.anchor)

    @cached_property
    def body_html(self) -> Markup:
        """The body as HTML, made when first asked for (the volume's plan and the Word writer never ask)."""
        if self.doc is None:
            return Markup("")
        return body_html(self.doc, anchor_prefix=self.anchor, config=self.config)


def css_string(value: str) -> str:
    """A CSS string literal, safe inside a <style> element (no quote, backslash, newline or < escapes it)."""
    escaped = "".join(f"\\{ord(char):X} " if char in '"\\<>\n\r' or ord(char) < 32 else char for char in str(value))
    return f'"{escaped}"'


def font_stack(families: list[str]) -> str:
    return ", ".join(css_string(family) for family in families)


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates, kept in the user cache: compiling them took 50 ms of every worker's start. Jinja checks
    each entry against its template's source and the Python version; the directory is named after Jinja's version
    and this module (whose settings shape the compiled code). A cache that cannot be written is skipped, and an
    entry that cannot be read (torn, garbage) is compiled again."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception as error:  # noqa: BLE001 - Jinja lets a damaged entry's unpickling error through
            from generator.core.verify import discard

            discard(f"compiled template {bucket.key}", type(error).__name__)
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _compiled_templates() -> jinja2.BytecodeCache | None:
    import hashlib

    from generator.core.usercache import user_cache_dir

    settings = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    directory = user_cache_dir() / f"templates-{jinja2.__version__}-{settings}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledTemplates(str(directory))


@lru_cache(maxsize=8)
def template_environment(templates_dir: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_compiled_templates(),
    )
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(lambda message: _(message), ngettext, newstyle=True)
    environment.filters["css_string"] = css_string
    environment.filters["font_stack"] = font_stack
    return environment


def footnote_content(item: etree.Element) -> list[etree.Element | str]:
    """The inline content of a footnote `li`: its paragraphs' text and children, joined."""
    parts: list[etree.Element | str] = []
    blocks = [child for child in item] or [item]
    for index, block in enumerate(blocks):
        if index:
            parts.append(" ")
        if block.text:
            parts.append(block.text)
        for child in block:
            parts.append(copy.deepcopy(child))
    return parts


def _append_inline(parent: etree.Element, parts: list) -> None:
    for part in parts:
        if isinstance(part, str):
            if len(parent):
                parent[-1].tail = (parent[-1].tail or "") + part
            else:
                parent.text = (parent.text or "") + part
        else:
            parent.append(part)


def _headings(root: etree.Element, anchor_prefix: str):
    """Each heading of a body with its level, text and anchor (`<prefix>-h<n>`, numbered in document order)."""
    headings = (element for element in root.iter() if element.tag in HEADING_TAGS)
    for counter, element in enumerate(headings, start=1):
        yield element, int(element.tag[1]), "".join(element.itertext()).strip(), f"{anchor_prefix}-h{counter}"


def outline(doc: Document, *, anchor_prefix: str) -> tuple[tuple[int, str, str], ...]:
    """The body's outline [(level, text, anchor)], the anchors being the ids `body_html` gives the headings.
    A heading inside a block quote is quoted text, not a section of the report: it has no entry."""
    quoted = {id(element) for quote in doc.body.iter("blockquote") for element in quote.iter()
              if element.tag in HEADING_TAGS}
    return tuple((level, text, anchor) for element, level, text, anchor in _headings(doc.body, anchor_prefix)
                 if id(element) not in quoted)


def body_html(doc: Document, *, anchor_prefix: str, config: Config | None = None) -> Markup:
    """The body as HTML, with heading ids prefixed to be unique in a volume (see `outline`), and the headings of
    plain text broken into balanced lines between words (`core/typeset.py`)."""
    root = copy.deepcopy(doc.body)
    full_width = {id(element) for element in root}  # a heading in a list or quote is narrower than the page
    width = mm_to_pt(text_area_mm(config.brand.paper)[0]) if config is not None else 0.0
    for element, level, _text, anchor in _headings(root, anchor_prefix):  # before footnotes are moved in
        element.set("id", anchor)
        if config is not None and len(element) == 0 and element.text and id(element) in full_width:
            role, size = HEADING_FACES[level]
            lines = role_lines(element.text, config, role, size, width, first_indent_pt=HEADING_INDENT_EM * size)
            element.text = None
            _append_lines(element, lines)
    for paragraph in root.iter("p"):
        _keep_end_together(paragraph)
    if config is not None:
        companions = {role: f"latin-{role}" for role in ROLE_OF_ELEMENT.values() if config.brand.latin_companion(role)}
        if companions:
            _mark_latin(root, "body", companions)
    footnotes = {identifier: item for identifier, item in doc.footnotes}
    for parent in list(root.iter()):
        for index, child in enumerate(list(parent)):
            if child.tag == "sup" and len(child) and (child[0].get("href") or "").startswith("#fn:"):
                item = footnotes.get(child[0].get("href", "")[1:])
                span = etree.Element("span", {"class": "footnote"})
                if item is not None:
                    _append_inline(span, footnote_content(item))
                span.tail = child.tail
                parent.remove(child)
                parent.insert(index, span)
    for element in root.iter("a"):
        if element.get("href", "").startswith("#"):
            element.attrib.pop("href")  # in-document anchors of a draft are not resolvable after prefixing
    return elements_html(root)


# The font role each element's text is set in, as base.css.j2 sets them (elements not listed keep their parent's).
ROLE_OF_ELEMENT = {"blockquote": "heading2", "em": "heading2", "i": "heading2", "h1": "heading1", "h2": "heading1",
                   "h3": "heading2", "h4": "heading3", "h5": "heading3", "h6": "heading3", "th": "heading1",
                   "figcaption": "heading1", "code": "mono", "pre": "mono"}
LATIN_RUN = re.compile(r"[A-Za-z0-9\u00c0-\u024f](?:[\x20-\x7e\u00c0-\u024f]*[A-Za-z0-9\u00c0-\u024f.!?%)\]'\"])?")


def _mark_latin(element: etree.Element, role: str, classes: dict[str, str]) -> None:
    """Latin runs of text set in a role with a Latin companion face in `<span class="latin-<role>">`, which the
    CSS sets in that face (a font stack cannot say “this face for Latin only”: the companion has CJK glyphs too)."""
    if element.get("class") == "table-caption":
        role = "heading1"
    role = ROLE_OF_ELEMENT.get(element.tag, role)
    if role in classes and element.tag not in ("code", "pre"):
        element.text = _latin_spans(element, 0, element.text, classes[role])
    for child in list(element):
        if child.get("class", "").startswith("latin-"):
            continue
        _mark_latin(child, role, classes)
        if role in classes:
            child.tail = _latin_spans(element, list(element).index(child) + 1, child.tail, classes[role])


def _latin_spans(parent: etree.Element, index: int, text: str | None, class_name: str) -> str | None:
    """Insert `text`'s Latin runs as spans at `index` of `parent`; return the text before the first run."""
    if not text or not LATIN_RUN.search(text):
        return text
    pieces = LATIN_RUN.split(text)
    runs = LATIN_RUN.findall(text)
    for offset, (run, after) in enumerate(zip(runs, pieces[1:], strict=True)):
        span = etree.Element("span", {"class": class_name})
        span.text, span.tail = run, after or None
        parent.insert(index + offset, span)
    return pieces[0] or None


def _keep_end_together(paragraph: etree.Element) -> None:
    """The last characters of a paragraph in a `<span class="line">` (no break inside; `typeset.paragraph_end`)."""
    holder = paragraph[-1] if len(paragraph) else None
    text = (holder.tail if holder is not None else paragraph.text) or ""
    start = paragraph_end(text)
    if start is None:
        return
    span = etree.Element("span", {"class": "line"})
    span.text, span.tail = text[start:], None
    if holder is not None:
        holder.tail = text[:start]
    else:
        paragraph.text = text[:start]
    paragraph.append(span)


def _append_lines(parent: etree.Element, lines: tuple[str, ...]) -> None:
    """Lines as `<span class="line">`s between `<br>`s; an opening mark starting a line is trimmed (`.trim`)."""
    for index, line in enumerate(lines):
        if index:
            parent.append(etree.Element("br"))
        span = etree.SubElement(parent, "span", {"class": "line"})
        if line[:1] in TRIM_START:
            etree.SubElement(span, "span", {"class": "trim"}).text = line[0]
            span[0].tail = line[1:]
        else:
            span.text = line


def lines_html(lines: tuple[str, ...]) -> Markup:
    holder = etree.Element("span")
    _append_lines(holder, lines)
    return elements_html(holder)


def elements_html(elements) -> Markup:
    """Serialise sanitised tree elements; ElementTree escapes every text and attribute value."""
    return Markup("".join(etree.tostring(child, encoding="unicode", method="html") for child in elements))


def date_text(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def report_view(doc: Document, config: Config) -> ReportView:
    meta = doc.meta
    anchor = "r-" + re.sub(r"[^A-Za-z0-9_-]", "-", doc.report_id)
    return ReportView(
        id=doc.report_id, anchor=anchor, title=meta.title or doc.report_id, company=meta.company or "",
        counselors=meta.counselors, theme=meta.theme or "", status=meta.status or "",
        submitted=date_text(meta.submitted), summary=meta.summary or "", keywords=meta.keywords,
        running_title=running_title(meta.title or doc.report_id, meta.short_title, config).text,
        is_draft=meta.status != config.front_matter.approved_status,
        doc=doc, config=config)


# The id of a report's page-furniture block: the last page of a report's unit, which carries the running header
# to stamp on its pages (templates/report.css.j2, render/assemble.py).
FURNITURE_ANCHOR = "reportgen-page-furniture"


def brand_context(config: Config) -> dict:
    brand = config.brand
    logo = config.resolve(brand.logo)
    text_width_mm = text_area_mm(brand.paper)[0]

    def break_title(text: str, role: str, size_pt: float, width_mm: float = text_width_mm, *,
                    less_em: float = 0.0) -> Markup:
        """A title in balanced lines between words, as set in `role` at `size_pt` on a line `width_mm` wide less
        `less_em` (room kept for what follows on its last line, a TOC entry's page number)."""
        return lines_html(role_lines(text, config, role, size_pt, mm_to_pt(width_mm) - less_em * size_pt))

    return {
        "latin_companions": [(role, [brand.latin_companion(role), *families])
                             for role, families in brand.fonts.model_dump().items() if brand.latin_companion(role)],
        "break_title": break_title,
        "text_width_mm": text_width_mm,
        "paper_width_mm": text_width_mm + MARGINS_MM["left"] + MARGINS_MM["right"],
        "brand": brand,
        "fonts": brand.fonts,
        "logo_url": logo.as_uri() if logo.is_file() else None,
        "version": __version__,
        "page_margins": css_margins(),
        "number_size": f"{NUMBER_SIZE_PT}pt",
        "figure_max_height": f"{FIGURE_MAX_HEIGHT_MM}mm",
    }


def render_report_html(doc: Document, config: Config, *, generated: dt.date | None = None,
                       view: ReportView | None = None) -> str:
    environment = template_environment(config.templates_dir)
    view = view or report_view(doc, config)
    css = environment.get_template("report.css.j2").render(**brand_context(config), report=view, mode="report")
    date_iso = (doc.meta.submitted or generated or dt.date(1980, 1, 1)).isoformat()
    return environment.get_template("report.html.j2").render(
        **brand_context(config), report=view, css=Markup(css), date_iso=date_iso, mode="report",
        furniture_anchor=FURNITURE_ANCHOR)
