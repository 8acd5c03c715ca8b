"""What pandoc's AST does not say about a .docx, read from its package parts: the heading styles (by name in
any language, or by outline level) and whether they are numbered automatically, tracked changes, comments, and
the document properties (title, author, company, keywords). Only small XML parts are read; the text itself is
pandoc's to read."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADING_NAME = re.compile(r"^(?:heading|标题|標題|titre|überschrift)\s*([1-9])$", re.IGNORECASE)
TITLE_NAMES = {"title", "标题", "標題", "report title", "文档标题", "题目"}


@dataclass
class PackageFacts:
    heading_levels: dict[str, int] = field(default_factory=dict)   # paragraph style name -> level 1..9
    # automatic numbering of heading styles: style name -> (ilvl, {ilvl: (numFmt, lvlText, start)})
    heading_numbering: dict[str, tuple[int, dict[int, tuple[str, str, int]]]] = field(default_factory=dict)
    title_styles: set[str] = field(default_factory=set)
    insertions: int = 0
    deletions: int = 0
    comments: int = 0
    properties: dict[str, str] = field(default_factory=dict)   # title, creator, keywords, subject, company


def _parse(package: zipfile.ZipFile, name: str):
    try:
        return ElementTree.fromstring(package.read(name))
    except (KeyError, ElementTree.ParseError):
        return None


def _numbering_levels(package: zipfile.ZipFile) -> dict[str, dict[int, tuple[str, str, int]]]:
    """numId -> {ilvl: (numFmt, lvlText, start)} from word/numbering.xml."""
    numbering = _parse(package, "word/numbering.xml")
    if numbering is None:
        return {}
    abstract = {}
    for definition in numbering.iter(W + "abstractNum"):
        levels = {}
        for level in definition.iter(W + "lvl"):
            def value(tag, default):
                element = level.find(W + tag)
                return element.get(W + "val", default) if element is not None else default
            start = value("start", "1")
            levels[int(level.get(W + "ilvl", "0"))] = (value("numFmt", "decimal"), value("lvlText", ""),
                                                        int(start) if start.isdigit() else 1)
        abstract[definition.get(W + "abstractNumId", "")] = levels
    found = {}
    for num in numbering.iter(W + "num"):
        reference = num.find(W + "abstractNumId")
        if reference is not None:
            found[num.get(W + "numId", "")] = abstract.get(reference.get(W + "val", ""), {})
    return found


def read_package_facts(data: bytes) -> PackageFacts:
    facts = PackageFacts()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        styles = _parse(package, "word/styles.xml")
        if styles is not None:
            numbering = _numbering_levels(package)
            by_id = {}
            for style in styles.iter(W + "style"):
                if style.get(W + "type") != "paragraph":
                    continue
                name_element = style.find(W + "name")
                name = name_element.get(W + "val", "") if name_element is not None else ""
                properties = style.find(W + "pPr")
                outline = properties.find(W + "outlineLvl") if properties is not None else None
                number = properties.find(W + "numPr") if properties is not None else None
                numbered = None
                if number is not None and number.find(W + "numId") is not None:
                    ilvl = number.find(W + "ilvl")
                    levels = numbering.get(number.find(W + "numId").get(W + "val", ""), {})
                    numbered = (int(ilvl.get(W + "val", "0")) if ilvl is not None else 0, levels)
                by_id[style.get(W + "styleId", "")] = (name, outline, numbered, style.find(W + "basedOn"))
            for style_id, (name, outline, numbered, _based_on) in by_id.items():
                level = None
                match = HEADING_NAME.match(name.strip()) or HEADING_NAME.match(style_id.strip())
                if match:
                    level = int(match.group(1))
                elif outline is not None and (outline.get(W + "val") or "").isdigit() and \
                        int(outline.get(W + "val")) < 9:
                    level = int(outline.get(W + "val")) + 1
                if level is not None:
                    facts.heading_levels[name] = level
                    facts.heading_levels.setdefault(style_id, level)
                    if numbered is not None:
                        ilvl, levels = numbered
                        fmt, text, _start = levels.get(ilvl, ("none", "", 1))
                        if fmt != "none" and "%" in text:
                            facts.heading_numbering[name] = numbered
                            facts.heading_numbering.setdefault(style_id, numbered)
                if name.strip().lower() in TITLE_NAMES or style_id.lower() == "title":
                    facts.title_styles.update({name, style_id})
        try:
            document = package.read("word/document.xml")
        except KeyError:
            document = b""
        # a change of text is an element with content; `<w:ins .../>` alone marks an inserted paragraph mark
        facts.insertions = len(re.findall(rb"<w:ins\b[^>]*[^/]>", document))
        facts.deletions = len(re.findall(rb"<w:(?:del|moveFrom)\b[^>]*[^/]>", document))
        comments = _parse(package, "word/comments.xml")
        if comments is not None:
            facts.comments = sum(1 for _ in comments.iter(W + "comment"))
        core = _parse(package, "docProps/core.xml")
        if core is not None:
            for element in core:
                tag = element.tag.rsplit("}", 1)[-1]
                if tag in ("title", "creator", "keywords", "subject", "description") and (element.text or "").strip():
                    facts.properties[tag] = element.text.strip()
        app = _parse(package, "docProps/app.xml")
        if app is not None:
            for element in app:
                if element.tag.rsplit("}", 1)[-1] == "Company" and (element.text or "").strip():
                    facts.properties["company"] = element.text.strip()
    return facts
