"""A report's part of the Word volume, kept as a segment (as `segments.py` keeps its part of the PDF volume).

A volume of hundreds of reports is not written again whole when one of them changes. Each report's blocks (its
title block and body, with the volume's outline levels and the bookmark its contents entry points to) are
serialised once: as the report's own DOCX is written (`render_report_docx(keep=…)`), or when a volume first needs
them (`make_segment`). The volume's writer writes only its frame — cover, front matter, contents, a section with
its running header for each report, theme banners, indexes, back matter — with a placeholder where each report's
blocks go (`SegmentJoin.place`), and as the package is written each placeholder becomes its segment's XML
(`SegmentJoin.splice`). What must be unique in a document is renumbered on the way: footnotes, list numbers,
drawings, relationships and the bookmark; the footnotes and list numbers go into their parts, the images and links
into the document's relationships.

A segment is canonical: its ids are numbered in order of appearance, so a segment made from a report's own writer
and one made afresh for the volume are the same bytes, and so is the volume made from either.
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree

from generator.core.config import Config
from generator.core.model import Diagnostic, Document

from .docx import DocxWriter

FORMAT = 1
BOOKMARK = "_TocReportgenSegment"  # the placeholder of the bookmark on a report's title, named by the volume
_MARK = re.compile(rb"<!-- reportgen-segment (\d+) -->")
_STAMP = (1980, 1, 1, 0, 0, 0)
# The ids a segment renumbers, each as python-docx and `DocxWriter` write it.
_IDS = re.compile(r'(?P<note><w:footnote(?:Reference)? w:id=")(?P<note_id>\d+)"'
                  r'|(?P<num><w:numId w:val="|<w:num w:numId=")(?P<num_id>\d+)"'
                  r'|(?P<rel> r:(?:embed|id|link)=")(?P<rel_id>[^"]+)"'
                  r'|(?P<drawing><wp:docPr id=")(?P<drawing_id>\d+)"(?P<drawing_name> name="Picture \d+")?'
                  r'|(?P<mark><w:bookmark(?:Start|End) w:id=")0"')


@dataclass(frozen=True)
class WordSegment:
    """A report's blocks in the Word volume, with what they refer to, their ids numbered from 1 (list numbers
    from `shared_nums` + 1: the writer's own lists, which every writer has, keep theirs)."""

    body: str                                   # the blocks' XML, in the namespaces a document's root declares
    footnotes: str                              # its w:footnote elements
    numbering: str                              # its w:num elements
    shared_nums: int
    notes: int
    numbers: int
    drawings: int
    links: tuple[tuple[str, str, str], ...]     # (id, "image" | "link" | "note-link", media name or URL)
    media: tuple[tuple[str, bytes], ...]        # (name, the image's bytes)
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_bytes(self, key: str) -> bytes:
        """The segment as a ZIP of fixed timestamps: its XML and record compressed, its images as they are."""
        record = {"format": FORMAT, "key": key, "shared_nums": self.shared_nums, "notes": self.notes,
                  "numbers": self.numbers, "drawings": self.drawings, "links": [list(link) for link in self.links],
                  "diagnostics": [item.to_json() for item in self.diagnostics]}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            members = [("segment.json", json.dumps(record, sort_keys=True, ensure_ascii=False).encode(), True),
                       ("body.xml", self.body.encode(), True), ("footnotes.xml", self.footnotes.encode(), True),
                       ("numbering.xml", self.numbering.encode(), True)]
            members += [(f"media/{name}", data, False) for name, data in self.media]
            for name, data, compress in members:
                info = zipfile.ZipInfo(name, date_time=_STAMP)
                info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
                archive.writestr(info, data)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, key: str) -> WordSegment | None:
        """The segment `key` names, or None if `data` is not it (torn, of another format or key: ZIP's CRCs
        check every member)."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                record = json.loads(archive.read("segment.json"))
                if record.get("format") != FORMAT or record.get("key") != key:
                    return None
                links = tuple(tuple(link) for link in record["links"])
                media = tuple((target, archive.read(f"media/{target}")) for _id, kind, target in links
                              if kind == "image")
                return cls(body=archive.read("body.xml").decode(), footnotes=archive.read("footnotes.xml").decode(),
                           numbering=archive.read("numbering.xml").decode(), shared_nums=record["shared_nums"],
                           notes=record["notes"], numbers=record["numbers"], drawings=record["drawings"],
                           links=links, media=media,
                           diagnostics=tuple(Diagnostic.from_json(item) for item in record["diagnostics"]))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, KeyError, ValueError, TypeError,
                OSError):  # torn or damaged: its CRC, its compressed stream or its record does not hold
            return None


def make_segment(doc: Document, view, config: Config) -> WordSegment:
    """A report's segment, written now by a writer of its own."""
    writer = DocxWriter(config)
    before = writer.last_block()
    writer.write_title_block(doc, view)
    writer.write_body(doc)
    return extract_segment(writer, before)


def extract_segment(writer: DocxWriter, before) -> WordSegment:
    """The segment of the blocks `writer` wrote after the block `before` (None: from the body's start)."""
    body = writer.document.element.body
    blocks = list(before.itersiblings()) if before is not None else list(body)
    holder = etree.Element(qn("w:body"), nsmap=writer.document.element.nsmap)
    for block in blocks:
        if block.tag != qn("w:sectPr"):
            holder.append(copy.deepcopy(block))
    _volume_outline(holder, writer.style_ids)
    body_xml = _inner(holder)

    footnotes_xml, note_rels = "", {}
    written = writer.footnotes(create=False)
    if written is not None:
        part = written.part
        notes = etree.Element(qn("w:footnotes"), nsmap=part.element.nsmap)
        for note in part.element.findall(qn("w:footnote")):
            if int(note.get(qn("w:id"))) > 0:  # not the separators
                notes.append(copy.deepcopy(note))
        footnotes_xml, note_rels = _inner(notes), part.rels
    numbering = writer.document.part.numbering_part
    nums = etree.Element(qn("w:numbering"), nsmap=numbering.element.nsmap)
    for num in numbering.element.findall(qn("w:num")):
        if int(num.get(qn("w:numId"))) > writer.shared_nums:
            nums.append(copy.deepcopy(num))
    numbering_xml = _inner(nums)

    # Canonical ids, in order of appearance (the body first, then its footnotes and list numbers).
    numbers: dict[str, dict[str, str]] = {"note": {}, "num": {}, "drawing": {}}
    links: dict[str, tuple[str, str, str]] = {}
    media: list[tuple[str, bytes]] = []
    document_rels = writer.document.part.rels

    def canonical(match: re.Match, rels) -> str:
        if match["note"]:
            new = numbers["note"].setdefault(match["note_id"], str(len(numbers["note"]) + 1))
            return f'{match["note"]}{new}"'
        if match["num"]:
            old = match["num_id"]
            if int(old) <= writer.shared_nums:
                return match[0]
            new = numbers["num"].setdefault(old, str(writer.shared_nums + len(numbers["num"]) + 1))
            return f'{match["num"]}{new}"'
        if match["drawing"]:
            new = numbers["drawing"].setdefault(match["drawing_id"], str(len(numbers["drawing"]) + 1))
            return f'{match["drawing"]}{new}"' + (f' name="Picture {new}"' if match["drawing_name"] else "")
        if match["rel"]:
            old = match["rel_id"]
            scope = "note" if rels is not document_rels else "body"
            if (scope, old) not in links:
                links[(scope, old)] = _link(rels[old], f"s{len(links) + 1}", scope, media)
            return f'{match["rel"]}{links[(scope, old)][0]}"'
        return match[0]

    body_xml = _IDS.sub(lambda match: canonical(match, document_rels), body_xml)
    footnotes_xml = _IDS.sub(lambda match: canonical(match, note_rels), footnotes_xml)
    numbering_xml = _IDS.sub(lambda match: canonical(match, document_rels), numbering_xml)
    return WordSegment(body=body_xml, footnotes=footnotes_xml, numbering=numbering_xml,
                       shared_nums=writer.shared_nums, notes=len(numbers["note"]), numbers=len(numbers["num"]),
                       drawings=len(numbers["drawing"]), links=tuple(links.values()), media=tuple(media),
                       diagnostics=tuple(writer.diagnostics))


def _link(relationship, name: str, scope: str, media: list[tuple[str, bytes]]) -> tuple[str, str, str]:
    """A relationship of a segment: an external link, or an image whose bytes the segment keeps."""
    if relationship.is_external:
        return name, "note-link" if scope == "note" else "link", relationship.target_ref
    if relationship.reltype != RT.IMAGE or scope == "note":
        raise ValueError(f"a report's blocks refer to a part the volume cannot take: {relationship.reltype}")
    part = relationship.target_part
    media_name = f"{name}{str(part.partname)[str(part.partname).rfind('.'):]}"
    media.append((media_name, part.blob))
    return name, "image", media_name


def _inner(holder) -> str:
    """The XML of an element's children, in the namespaces it declares (a document's root declares the same)."""
    text = etree.tostring(holder, encoding="unicode")
    if text.endswith("/>"):
        return ""
    return text[text.index(">") + 1:text.rindex("</")]


def set_outline_level(paragraph_element, level: int) -> None:
    """A direct outline level: in the volume a theme is level 1, a report 2, its sections 3 (9: body text)."""
    properties = paragraph_element.find(qn("w:pPr"))
    if properties is None:
        properties = etree.Element(qn("w:pPr"))
        paragraph_element.insert(0, properties)
    element = properties.find(qn("w:outlineLvl"))
    if element is None:
        element = etree.SubElement(properties, qn("w:outlineLvl"))
    element.set(qn("w:val"), str(level - 1))


def _volume_outline(holder, style_ids: dict[str, str]) -> None:
    """The report's title at outline level 2 (its first line carries the bookmark its contents entry points
    to), its sections at 3, the headings below them out of the outline."""
    title, section, minor = style_ids["Report Title"], style_ids["Heading 1"], {style_ids["Heading 2"],
                                                                                 style_ids["Heading 3"]}
    titled = False
    for paragraph in holder.iterchildren(qn("w:p")):
        style = paragraph.find(qn("w:pPr") + "/" + qn("w:pStyle"))
        if style is None:
            continue
        value = style.get(qn("w:val"))
        if value == title:
            set_outline_level(paragraph, 2)
            if not titled:
                start = etree.Element(qn("w:bookmarkStart"))
                start.set(qn("w:id"), "0")
                start.set(qn("w:name"), BOOKMARK)
                paragraph.find(qn("w:pPr")).addnext(start)
                end = etree.SubElement(paragraph, qn("w:bookmarkEnd"))
                end.set(qn("w:id"), "0")
                titled = True
        elif value == section:
            set_outline_level(paragraph, 3)
        elif value in minor:
            set_outline_level(paragraph, 9)


class SegmentJoin:
    """The reports' segments in a volume's writer: each placed where its report goes, spliced in as the package
    is written (`DocxWriter.to_bytes(splice=join.splice)`)."""

    def __init__(self, writer: DocxWriter):
        self.writer = writer
        self.bodies: list[bytes] = []
        self.notes: list[str] = []
        self.numbers: list[str] = []
        self.relationships = 0

    def place(self, segment: WordSegment, *, bookmark: str) -> None:
        """`segment` at the end of the body, its title bookmarked as `bookmark` (a `_Toc` name and number)."""
        writer = self.writer
        if segment.shared_nums != writer.shared_nums:
            raise ValueError("a Word segment made with other list numbers than this writer's")
        media = dict(segment.media)
        names = {}
        for name, kind, target in segment.links:
            self.relationships += 1
            new = f"rIdV{self.relationships}"
            if kind == "image":
                image = writer.document.part.package.get_or_add_image_part(io.BytesIO(media[target]))
                writer.document.part.rels.add_relationship(RT.IMAGE, image, new)
            elif kind == "link":
                writer.document.part.rels.add_relationship(RT.HYPERLINK, target, new, is_external=True)
            else:
                writer.footnotes().part.rels.add_relationship(RT.HYPERLINK, target, new, is_external=True)
            names[name] = new
        first_note = 0
        if segment.notes:
            notes = writer.footnotes()
            first_note, notes.next_id = notes.next_id, notes.next_id + segment.notes
        if writer.next_num_id is None:
            writer.next_num_id = writer.shared_nums + 1
        first_num, writer.next_num_id = writer.next_num_id, writer.next_num_id + segment.numbers
        first_drawing = writer.drawing_ids + 1
        writer.drawing_ids += segment.drawings
        bookmark_id = bookmark.removeprefix("_Toc").lstrip("0") or "0"

        def renumber(match: re.Match) -> str:
            if match["note"]:
                return f'{match["note"]}{first_note + int(match["note_id"]) - 1}"'
            if match["num"]:
                number = int(match["num_id"])
                if number <= segment.shared_nums:
                    return match[0]
                return f'{match["num"]}{first_num + number - segment.shared_nums - 1}"'
            if match["rel"]:
                return f'{match["rel"]}{names[match["rel_id"]]}"'
            if match["drawing"]:
                number = first_drawing + int(match["drawing_id"]) - 1
                return f'{match["drawing"]}{number}"' + (f' name="Picture {number}"' if match["drawing_name"] else "")
            return f'{match["mark"]}{bookmark_id}"'

        marker = etree.Comment(f" reportgen-segment {len(self.bodies)} ")
        writer.append_block(marker)
        body = _IDS.sub(renumber, segment.body).replace(f'w:name="{BOOKMARK}"', f'w:name="{bookmark}"')
        self.bodies.append(body.encode())
        if segment.footnotes:
            self.notes.append(_IDS.sub(renumber, segment.footnotes))
        if segment.numbering:
            self.numbers.append(_IDS.sub(renumber, segment.numbering))
        writer.diagnostics.extend(segment.diagnostics)

    def splice(self, partname: str, blob: bytes) -> bytes:
        """A part's bytes with the segments' parts in it: their blocks in the document, their footnotes and list
        numbers in those parts."""
        writer = self.writer
        if partname == str(writer.document.part.partname):
            return _MARK.sub(lambda match: self.bodies[int(match[1])], blob)
        if self.notes and partname == str(writer.footnotes().part.partname):
            return _insert_before(blob, (b"</w:footnotes>",), "".join(self.notes))
        if self.numbers and partname == str(writer.document.part.numbering_part.partname):
            # w:num elements follow the abstract numberings and precede w:numIdMacAtCleanup (ECMA-376 §17.9.16)
            return _insert_before(blob, (b"<w:numIdMacAtCleanup", b"</w:numbering>"), "".join(self.numbers))
        return blob


def _insert_before(blob: bytes, places: tuple[bytes, ...], text: str) -> bytes:
    for place in places:
        at = blob.rfind(place)
        if at >= 0:
            return blob[:at] + text.encode() + blob[at:]
    raise ValueError(f"no {places[-1].decode()} in the part to splice into")
