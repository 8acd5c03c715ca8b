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
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree

from generator.core.config import Config
from generator.core.model import Diagnostic, Document

from .docx import DocxWriter

FORMAT = 2
BOOKMARK = "_TocReportgenSegment"  # the placeholder of the bookmark on a report's title, named by the volume
_MAGIC = b"reportgen-word-segment"
_MARK = re.compile(rb"<!-- reportgen-segment (\d+) -->")
# The ids a segment renumbers, each as python-docx and `DocxWriter` write it (each group is one slot).
_IDS = re.compile(r'<w:footnote(?:Reference)? w:id="(?P<note>\d+)"'
                  r'|<w:num(?:Id w:val| w:numId)="(?P<num>\d+)"'
                  r'| r:(?:embed|id|link)="(?P<rel>[^"]+)"'
                  r'|<wp:docPr id="(?P<drawing>\d+)"(?: name="Picture (?P<picture>\d+)")?'
                  r'|<w:bookmark(?:Start|End) w:id="(?P<mark>0)"'
                  rf'| w:name="(?P<mark_name>{re.escape(BOOKMARK)})"')
_GROUPS = ("note", "num", "rel", "drawing", "picture", "mark", "mark_name")


@dataclass(frozen=True)
class Text:
    """XML with slots for the ids the volume gives: `pieces[0]`, then each slot's value and the next piece.
    A slot is (kind, n): the segment's n-th footnote ("note"), list number ("num"), relationship ("rel") or
    drawing ("drawing", "picture": its id and its name), or its title's bookmark ("mark", "mark_name")."""

    pieces: tuple[str, ...] = ("",)
    slots: tuple[tuple[str, int], ...] = ()

    def fill(self, values: dict[str, Callable[[int], str]]) -> str:
        parts = [self.pieces[0]]
        for (kind, number), piece in zip(self.slots, self.pieces[1:], strict=True):
            parts.append(values[kind](number))
            parts.append(piece)
        return "".join(parts)

    def to_json(self) -> list:
        return [list(self.pieces), [list(slot) for slot in self.slots]]

    @classmethod
    def from_json(cls, value) -> Text:
        pieces, slots = value
        if len(pieces) != len(slots) + 1 or not all(isinstance(piece, str) for piece in pieces):
            raise ValueError("a segment's text and slots do not match")
        return cls(tuple(pieces), tuple((str(kind), int(number)) for kind, number in slots))


@dataclass(frozen=True)
class WordSegment:
    """A report's blocks in the Word volume, with what they refer to, their ids numbered from 1 in order of
    appearance (the writer's own list numbers, up to `shared_nums`, which every writer has, are kept)."""

    body: Text                                  # the blocks, in the namespaces a document's root declares
    footnotes: Text                             # its w:footnote elements
    numbering: Text                             # its w:num elements
    shared_nums: int
    notes: int
    numbers: int
    drawings: int
    links: tuple[tuple[str, str], ...]          # relationship n: ("image", media name) | ("link" | "note-link", URL)
    media: tuple[tuple[str, str, bytes], ...]   # (name, SHA-1, the image's bytes)
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_bytes(self, key: str) -> bytes:
        """One line naming the format, the key, the SHA-256 of the rest and its record's length; the record
        (JSON); the images' bytes."""
        record = {"shared_nums": self.shared_nums, "notes": self.notes, "numbers": self.numbers,
                  "drawings": self.drawings, "links": [list(link) for link in self.links],
                  "media": [[name, sha1, len(data)] for name, sha1, data in self.media],
                  "body": self.body.to_json(), "footnotes": self.footnotes.to_json(),
                  "numbering": self.numbering.to_json(), "diagnostics": [item.to_json() for item in self.diagnostics]}
        rest = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
        size = len(rest)
        rest += b"".join(data for _name, _sha1, data in self.media)
        head = f"{FORMAT} {key} {hashlib.sha256(rest).hexdigest()} {size}\n".encode()
        return _MAGIC + b" " + head + rest

    @classmethod
    def from_bytes(cls, data: bytes, key: str) -> WordSegment | None:
        """The segment `key` names, or None if `data` is not it (torn, changed, of another format or key)."""
        try:
            line, rest = data.split(b"\n", 1)
            magic, version, named, digest, size = line.split(b" ")
            if magic != _MAGIC or int(version) != FORMAT or named.decode() != key \
                    or hashlib.sha256(rest).hexdigest() != digest.decode():
                return None
            record = json.loads(rest[:int(size)])
            media, at = [], int(size)
            for name, sha1, length in record["media"]:
                media.append((str(name), str(sha1), rest[at:at + int(length)]))
                at += int(length)
            return cls(body=Text.from_json(record["body"]), footnotes=Text.from_json(record["footnotes"]),
                       numbering=Text.from_json(record["numbering"]), shared_nums=int(record["shared_nums"]),
                       notes=int(record["notes"]), numbers=int(record["numbers"]), drawings=int(record["drawings"]),
                       links=tuple((str(kind), str(target)) for kind, target in record["links"]),
                       media=tuple(media),
                       diagnostics=tuple(Diagnostic.from_json(item) for item in record["diagnostics"]))
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):  # torn, or not of this form
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

    # Canonical ids, in order of appearance (the body first, then its footnotes and list numbers), in slots.
    numbers: dict[str, dict[str, int]] = {"note": {}, "num": {}, "drawing": {}}
    links: dict[tuple[str, str], int] = {}
    found: list[tuple[str, str]] = []
    media: list[tuple[str, str, bytes]] = []
    document_rels = writer.document.part.rels

    def slotted(xml: str, rels) -> Text:
        pieces, slots, at = [], [], 0
        for match in _IDS.finditer(xml):
            for group in _GROUPS:
                value = match[group]
                if value is None or (group == "num" and int(value) <= writer.shared_nums):
                    continue  # (a list every writer has keeps its number)
                if group == "rel":
                    scope = "note" if rels is not document_rels else "body"
                    if (scope, value) not in links:
                        links[(scope, value)] = len(links) + 1
                        found.append(_link(rels[value], len(links), scope, media))
                    number = links[(scope, value)]
                elif group in ("mark", "mark_name"):
                    number = 1
                else:
                    kind = "drawing" if group == "picture" else group
                    number = numbers[kind].setdefault(match["drawing"] if group == "picture" else value,
                                                      len(numbers[kind]) + 1)
                pieces.append(xml[at:match.start(group)])
                slots.append((group, number))
                at = match.end(group)
        pieces.append(xml[at:])
        return Text(tuple(pieces), tuple(slots))

    body = slotted(body_xml, document_rels)
    footnotes = slotted(footnotes_xml, note_rels)
    numbering_text = slotted(numbering_xml, document_rels)
    return WordSegment(body=body, footnotes=footnotes, numbering=numbering_text,
                       shared_nums=writer.shared_nums, notes=len(numbers["note"]), numbers=len(numbers["num"]),
                       drawings=len(numbers["drawing"]), links=tuple(found), media=tuple(media),
                       diagnostics=tuple(writer.diagnostics))


def _link(relationship, number: int, scope: str, media: list[tuple[str, str, bytes]]) -> tuple[str, str]:
    """A relationship of a segment: an external link, or an image whose bytes the segment keeps."""
    if relationship.is_external:
        return "note-link" if scope == "note" else "link", relationship.target_ref
    if relationship.reltype != RT.IMAGE or scope == "note":
        raise ValueError(f"a report's blocks refer to a part the volume cannot take: {relationship.reltype}")
    part = relationship.target_part
    partname = str(part.partname)
    name = f"image{number}{partname[partname.rfind('.'):]}"
    media.append((name, hashlib.sha1(part.blob).hexdigest(), part.blob))
    return "image", name


def _inner(holder) -> str:
    """The XML of an element's children, in the namespaces it declares (a document's root declares the same)."""
    text = etree.tostring(holder, encoding="unicode")
    if text.endswith("/>"):
        return ""
    return text[text.index(">") + 1:text.rindex("</")]


def bookmark_id(name: str) -> str:
    """The id of a `_TocNNNNNNNN` bookmark: its number."""
    return str(int(name.removeprefix("_Toc")))


def add_bookmark(paragraph_element, identifier: str, name: str) -> None:
    """A bookmark around the paragraph's content (after its properties)."""
    start = etree.Element(qn("w:bookmarkStart"))
    start.set(qn("w:id"), identifier)
    start.set(qn("w:name"), name)
    properties = paragraph_element.find(qn("w:pPr"))
    if properties is None:
        paragraph_element.insert(0, start)
    else:
        properties.addnext(start)
    end = etree.SubElement(paragraph_element, qn("w:bookmarkEnd"))
    end.set(qn("w:id"), identifier)


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
                add_bookmark(paragraph, "0", BOOKMARK)
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
        self.images: dict[str, object] = {}  # image parts by SHA-1

    def place(self, segment: WordSegment, *, bookmark: str) -> None:
        """`segment` at the end of the body, its title bookmarked as `bookmark` (a `_Toc` name and number)."""
        writer = self.writer
        if segment.shared_nums != writer.shared_nums:
            raise ValueError("a Word segment made with other list numbers than this writer's")
        media = {name: (sha1, data) for name, sha1, data in segment.media}
        names = []
        for kind, target in segment.links:
            self.relationships += 1
            name = f"rIdV{self.relationships}"
            if kind == "image":
                sha1, data = media[target]
                if sha1 not in self.images:
                    self.images[sha1] = writer.document.part.package.get_or_add_image_part(io.BytesIO(data))
                writer.document.part.rels.add_relationship(RT.IMAGE, self.images[sha1], name)
            elif kind == "link":
                writer.document.part.rels.add_relationship(RT.HYPERLINK, target, name, is_external=True)
            else:
                writer.footnotes().part.rels.add_relationship(RT.HYPERLINK, target, name, is_external=True)
            names.append(name)
        first_note = 1
        if segment.notes:
            notes = writer.footnotes()
            first_note, notes.next_id = notes.next_id, notes.next_id + segment.notes
        if writer.next_num_id is None:
            writer.next_num_id = writer.shared_nums + 1
        first_num, writer.next_num_id = writer.next_num_id, writer.next_num_id + segment.numbers
        first_drawing = writer.drawing_ids + 1
        writer.drawing_ids += segment.drawings
        values = {"note": lambda n: str(first_note + n - 1), "num": lambda n: str(first_num + n - 1),
                  "rel": lambda n: names[n - 1], "drawing": lambda n: str(first_drawing + n - 1),
                  "picture": lambda n: str(first_drawing + n - 1),
                  "mark": lambda _n: bookmark_id(bookmark), "mark_name": lambda _n: bookmark}
        writer.append_block(etree.Comment(f" reportgen-segment {len(self.bodies)} "))
        self.bodies.append(segment.body.fill(values).encode())
        if segment.footnotes.slots or segment.footnotes.pieces[0]:
            self.notes.append(segment.footnotes.fill(values))
        if segment.numbering.slots or segment.numbering.pieces[0]:
            self.numbers.append(segment.numbering.fill(values))
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
