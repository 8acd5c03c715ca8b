"""The volume PDF written from segments, so that a volume of thousands of pages is joined byte for byte.

Joining units with pikepdf copies every object of every page into one document and writes it out again: at a
group's scale (450 reports, 3,000 pages) that took 25 s and 700 MB for each build, even when one report changed.
Here each part of the volume (every report, the back matter, the front matter) is written once as a *segment*:
its pages stamped (running header, the page numbers' places), its objects numbered as they will be in the
volume and packed into one compressed object stream, kept by content (`SegmentStore`). The file is the segments
joined as they are, followed by a *tail* that holds what spans the whole volume and is cheap to write: the
catalog, the page tree, the outline, the page labels, the named destinations the links go to, the page numbers
(each a small form XObject the page draws by a name its segment gave it), the font programs (one subset per face,
`fontprograms.py`) and a cross-reference stream.

Object numbers: 1–4 the catalog, page tree, named destinations and page-number font; then one number for each
installed face (the face's font program, whichever segment uses it: `FaceSlots`); then the reports' segments in
order, the back matter's and the front matter's (laid out again whenever a printed page number moves, last, so
that it moves no other segment's numbers); then the tail's objects. A segment takes its own objects and the forms
of its page numbers, rounded up with room to spare, so that an edit which adds an object or two to one report
leaves every other segment as it is. A segment's bytes are a function of its unit, its first object number and
the face table: cold and incremental builds join the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import pikepdf

from generator.core.verify import Each, conforms

from .fontprograms import PlaceholderFont

FORMAT = "reportgen-segment-1"
CATALOG, PAGE_TREE, DESTINATIONS, NUMBER_FONT = 1, 2, 3, 4
FIRST_FACE = 8
ROOM, ALIGN = 16, 64  # a segment's numbers: its own, 16 more, rounded up to a multiple of 64
HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

# A token of qpdf's `unparse` output: a literal string (qpdf escapes every parenthesis inside one), a hex string, a
# name, or an indirect reference, the one kind renumbered.
_TOKENS = re.compile(rb"\((?:[^\\)]|\\.)*\)|<[0-9A-Fa-f\s]*>|/[^\s/\[\]()<>{}%]*|(\d+) (\d+) R", re.S)


class SegmentError(ValueError):
    """A unit that cannot be written as a segment (it refers to its catalog, …)."""


@dataclass(frozen=True)
class FaceSlots:
    """The object number of each installed face's font program: the same for every segment of a volume, whichever
    faces the volume ends up using, so that no segment's bytes depend on the others'."""

    numbers: dict[tuple[str, int], int]
    digest: str

    @classmethod
    def installed(cls) -> FaceSlots:
        from generator.core.fonts import installed_faces

        faces = sorted({(path, index) for path, index, *_rest in installed_faces()})
        return cls({face: FIRST_FACE + number for number, face in enumerate(faces)},
                   hashlib.sha256(json.dumps(faces).encode()).hexdigest()[:16])

    def of(self, font: PlaceholderFont) -> int:
        number = self.numbers.get((font.file, font.index))
        if number is None:
            from generator.core.i18n import _

            from .fontprograms import FontProgramError

            raise FontProgramError(_("font {name} ({path}) changed or was removed while rendering; build again").format(
                name=font.postscript, path=font.file))
        return number

    @property
    def end(self) -> int:
        return FIRST_FACE + len(self.numbers)


@dataclass
class Segment:
    """A segment as kept: where its numbers start and how many it takes, its cross-reference entries (by number
    from `base`: `(1, offset in the segment)`, `(2, object stream, index)`), its pages, what its pages need from the
    tail, and what the volume needs to know of its unit (pages, anchors, fonts, diagnostics)."""

    key: str
    base: int
    span: int                                  # numbers taken, rounded up (`ROOM`, `ALIGN`)
    entries: list[tuple[int, int, int]]        # its objects, numbered from `base`
    pages: list[int]                           # object number of each page, in order
    numbered: list[int]                        # indices (in `pages`) of the pages that print a number
    number_forms: int                          # object number of the first page number's form (then one each)
    boxes: list[list[float]]                   # the media box of each numbered page
    kids: int                                  # its page tree node
    anchors: dict[str, int]                    # anchor -> index in `pages`
    fonts: list[dict]                          # its placeholder fonts (`PlaceholderFont.to_json`)
    links: list[str]                           # the anchors its links go to (named destinations)
    content_pages: int                         # the unit's pages (without padding)
    catalog: dict[str, str] = field(default_factory=dict)  # catalog entries it supplies (front matter: /Lang …)
    info: int | None = None                    # its document information dictionary (front matter)
    diagnostics: list[dict] = field(default_factory=list)
    size: int = 0
    sha256: str = ""

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict) -> Segment | None:
        """A kept segment's record, or None if it is not of the expected form."""
        if not conforms(data, SEGMENT_SCHEMA) or set(data) != set(SEGMENT_SCHEMA):
            return None
        segment = cls(**data)
        segment.entries = [tuple(entry) for entry in segment.entries]
        return segment

    @property
    def end(self) -> int:
        return self.base + self.span

    @property
    def placeholder_fonts(self) -> list[PlaceholderFont]:
        return [PlaceholderFont.from_json(font) for font in self.fonts]


SEGMENT_SCHEMA = {
    "key": str, "base": int, "span": int, "entries": [[int]], "pages": [int], "numbered": [int],
    "number_forms": int, "boxes": [[float]], "kids": int, "anchors": Each(int), "fonts": [dict], "links": [str],
    "content_pages": int, "catalog": Each(str), "info": (int, None), "diagnostics": [dict], "size": int,
    "sha256": str}


class SegmentStore(Protocol):
    """Where segments are kept by key (`build/store.py: UnitCache`); a store that keeps nothing keeps them in
    memory for one volume."""

    def get_segment(self, key: str) -> tuple[Segment, bytes] | None: ...
    def put_segment(self, key: str, segment: Segment, data: bytes) -> None: ...


def segment_key(unit_identity: str, *, base: int, numbered: bool, metadata: bool, faces: FaceSlots) -> str:
    material = "\0".join((FORMAT, unit_identity, str(base), str(numbered), str(metadata), faces.digest))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


# ---- writing objects under the volume's numbers -----------------------------------------------------------


class _Numbering:
    """Objects of one pikepdf document written under volume numbers: those reachable from the roots, in breadth-
    first order from `first`; references to `fixed` objects (the page tree, font programs, page numbers' forms)
    become the numbers given for them."""

    def __init__(self, pdf: pikepdf.Pdf, fixed: dict[tuple[int, int], int], first: int):
        self.pdf, self.fixed, self.first = pdf, fixed, first
        self.order: list[pikepdf.Object] = []
        self.bodies: list[bytes] = []
        self.numbers: dict[tuple[int, int], int] = {}

    def add(self, roots: Iterable[pikepdf.Object]) -> None:
        queue = deque(roots)
        while queue:
            obj = queue.popleft()
            objgen = obj.objgen
            if objgen in self.numbers or objgen in self.fixed:
                continue
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") in ("/Catalog", "/Pages"):
                raise SegmentError(f"object {objgen} ({obj.get('/Type')}) cannot go into a segment")
            self.numbers[objgen] = self.first + len(self.order)
            self.order.append(obj)
            body = (obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj).unparse(resolved=True)
            self.bodies.append(body)
            for match in _TOKENS.finditer(body):
                if match.group(1) is not None:
                    queue.append(self.pdf.get_object(int(match.group(1)), int(match.group(2))))

    def number(self, obj: pikepdf.Object) -> int:
        return self.fixed.get(obj.objgen) or self.numbers[obj.objgen]

    def renumbered(self, body: bytes) -> bytes:
        def replace(match: re.Match) -> bytes:
            if match.group(1) is None:
                return match.group(0)
            objgen = (int(match.group(1)), int(match.group(2)))
            return b"%d 0 R" % (self.fixed.get(objgen) or self.numbers[objgen])

        return _TOKENS.sub(replace, body)


class _Objects:
    """Serialised objects of a segment or the tail: dictionaries and arrays packed into one object stream,
    streams written out, each with its cross-reference entry."""

    def __init__(self) -> None:
        self.packed: list[tuple[int, bytes]] = []
        self.streams: list[tuple[int, bytes, bytes]] = []

    def direct(self, number: int, body: bytes) -> None:
        self.packed.append((number, body))

    def stream(self, number: int, dictionary: bytes, data: bytes) -> None:
        self.streams.append((number, dictionary, data))

    def write(self, objstm_number: int, offset: int = 0) -> tuple[bytes, dict[int, tuple[int, int, int]]]:
        """The bytes (for a file position `offset`) and the cross-reference entry of every object."""
        out = io.BytesIO()
        entries: dict[int, tuple[int, int, int]] = {}
        for number, dictionary, data in self.streams:
            entries[number] = (1, offset + out.tell(), 0)
            out.write(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (number, dictionary, data))
        if self.packed:
            heads, bodies, position = [], [], 0
            for index, (number, body) in enumerate(self.packed):
                heads.append(b"%d %d" % (number, position))
                bodies.append(body)
                position += len(body) + 1
                entries[number] = (2, objstm_number, index)
            head = b" ".join(heads) + b"\n"
            data = zlib.compress(head + b"\n".join(bodies) + b"\n", 6)
            entries[objstm_number] = (1, offset + out.tell(), 0)
            out.write(b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                      % (objstm_number, len(self.packed), len(head), len(data)))
            out.write(data + b"\nendstream\nendobj\n")
        return out.getvalue(), entries


def _stream_parts(obj: pikepdf.Stream, numbering: _Numbering) -> tuple[bytes, bytes]:
    """A stream's dictionary (renumbered, its length direct) and its data, compressed when it was not."""
    data = obj.read_raw_bytes()
    dictionary = pikepdf.Dictionary({key: value for key, value in obj.stream_dict.items()})
    if "/Filter" not in dictionary and dictionary.get("/Type") != "/Metadata" and len(data) > 64:
        data = zlib.compress(data, 6)
        dictionary.Filter = pikepdf.Name.FlateDecode
    dictionary.Length = len(data)
    return numbering.renumbered(dictionary.unparse()), data


def serialise(numbering: _Numbering, objects: _Objects) -> None:
    for obj, body in zip(numbering.order, numbering.bodies, strict=True):
        number = numbering.numbers[obj.objgen]
        if isinstance(obj, pikepdf.Stream):
            objects.stream(number, *_stream_parts(obj, numbering))
        else:
            objects.direct(number, numbering.renumbered(body))


# ---- a segment from a unit --------------------------------------------------------------------------------


def write_segment(unit, *, key: str, base: int, numbered: bool, metadata: bool, faces: FaceSlots,
                  link_base: str) -> tuple[Segment, bytes]:
    """`unit` (`assemble.Unit`) as a segment whose numbers start at `base`: its running header stamped on pages 2…,
    with `numbered` a named place for the page number on every page (the tail draws the numbers), a blank page after
    an odd number of pages when `unit.pad`, links to the volume's anchors as named destinations; with `metadata`
    its document information, language and PDF/A metadata for the volume's catalog."""
    from .assemble import furniture_form, stamp

    with pikepdf.open(io.BytesIO(unit.data)) as pdf:
        header = furniture_form(pdf, unit) if unit.furniture else None
        pages = list(pdf.pages)[:unit.pages]
        fixed: dict[tuple[int, int], int] = {}
        for page in pages:
            fixed[page.obj.Parent.objgen] = base  # the unit's page tree: the segment's node
        number_places = []
        for offset, page in enumerate(pages):
            forms = [("/RgHeader", header)] if header is not None and offset else []
            if numbered:
                place = pdf.make_indirect(pikepdf.Dictionary())
                number_places.append(place)
                forms.append((f"/RgPageNumber{offset}", place))
            stamp(pdf, page, forms)
        for font in unit.fonts:
            descriptor = pdf.get_object(font.descriptor)
            program = pdf.make_indirect(pikepdf.Dictionary())
            fixed[program.objgen] = faces.of(font)
            descriptor[font.key] = program
        links = set()
        for page in pages:
            for annotation in page.obj.get("/Annots") or []:
                action = annotation.get("/A")
                uri = str(action.get("/URI", "")) if action is not None else ""
                if uri.startswith(link_base):
                    links.add(uri[len(link_base):])
                    annotation.A = pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.String(uri[len(link_base):]))
        if unit.pad and len(pages) % 2:
            box = pages[-1].mediabox
            blank = pdf.add_blank_page(page_size=(float(box[2]), float(box[3])))
            pages.append(blank)
        for place in number_places:
            fixed[place.objgen] = 0  # numbered below, after the segment's own objects
        numbering = _Numbering(pdf, fixed, base + 1)
        catalog_keys = ("/Lang", "/Metadata", "/OutputIntents") if metadata else ()
        extras = [pdf.Root[name] for name in catalog_keys if name in pdf.Root and pdf.Root[name].is_indirect]
        info = pdf.trailer.get("/Info") if metadata else None
        info = info if info is not None and info.is_indirect else None
        numbering.add([page.obj for page in pages] + extras + ([info] if info is not None else []))
        objstm = base + 1 + len(numbering.order)
        forms_from = objstm + 1
        for index, place in enumerate(number_places):
            fixed[place.objgen] = forms_from + index
        objects = _Objects()
        serialise(numbering, objects)
        page_numbers = [numbering.number(page.obj) for page in pages]
        objects.direct(base, b"<< /Type /Pages /Parent %d 0 R /Kids [%s] /Count %d >>" % (
            PAGE_TREE, b" ".join(b"%d 0 R" % number for number in page_numbers), len(pages)))
        data, entries = objects.write(objstm)
        catalog = {name: numbering.renumbered(pdf.Root[name].unparse()).decode("latin-1")
                   for name in catalog_keys if name in pdf.Root}
        used = forms_from + len(number_places) - base
        segment = Segment(
            key=key, base=base, span=-(-(used + ROOM) // ALIGN) * ALIGN,
            entries=[entries[number] for number in range(base, forms_from)],
            pages=page_numbers, numbered=list(range(len(number_places))), number_forms=forms_from,
            boxes=[[float(value) for value in page.mediabox] for page in pages[:len(number_places)]],
            kids=base, anchors=dict(unit.anchors), fonts=[font.to_json() for font in unit.fonts],
            links=sorted(links), content_pages=unit.pages, catalog=catalog,
            info=numbering.numbers[info.objgen] if info is not None else None,
            diagnostics=[item.to_json() for item in unit.diagnostics], size=len(data),
            sha256=hashlib.sha256(data).hexdigest())
        return segment, data


# ---- the volume: segments joined, then the tail ------------------------------------------------------------


@dataclass
class Part:
    """A segment in the volume's page order, with the printed number of its first page when it prints them."""

    segment: Segment
    data: bytes
    first_number: int | None = None


@dataclass
class OutlineNode:
    title: str
    page: int                                   # object number of its page
    children: list[OutlineNode] = field(default_factory=list)


def _string(text: str) -> bytes:
    return pikepdf.String(text).unparse()


class _Tail:
    def __init__(self, first: int):
        self.next = first
        self.objects = _Objects()

    def number(self) -> int:
        self.next += 1
        return self.next - 1


def _outline(tail: _Tail, nodes: list[OutlineNode], parent: int) -> tuple[int, int, int]:
    """Write outline items under `parent` (every item open): (first, last, visible descendants)."""
    numbers = [tail.number() for _node in nodes]
    visible = len(nodes)
    for index, (node, number) in enumerate(zip(nodes, numbers, strict=True)):
        parts = [b"/Title " + _string(node.title), b"/Parent %d 0 R" % parent, b"/Dest [ %d 0 R /Fit ]" % node.page]
        if index:
            parts.append(b"/Prev %d 0 R" % numbers[index - 1])
        if index + 1 < len(nodes):
            parts.append(b"/Next %d 0 R" % numbers[index + 1])
        count = 0
        if node.children:
            first, last, count = _outline(tail, node.children, number)
            parts += [b"/First %d 0 R" % first, b"/Last %d 0 R" % last]
            visible += count
        parts.append(b"/Count %d" % count)
        tail.objects.direct(number, b"<< " + b" ".join(sorted(parts)) + b" >>")
    return numbers[0], numbers[-1], visible


def write_volume(parts: list[Part], *, family: str, faces: FaceSlots, outline: list[OutlineNode],
                 labels: list[tuple[int, pikepdf.Dictionary]], programs=None) -> bytes:
    """The volume's PDF: `parts` joined in page order, then the tail (see the module docstring). `labels` are the
    page label ranges (first page index, label dictionary)."""
    from .fontprograms import FontProgramError, _program, installed_face
    from .pagenumbers import FONT_NAME, PageNumbers, number_content

    tail = _Tail(max(part.segment.end for part in parts))
    objects = tail.objects
    # The page numbers: each page's form, drawn by the name its segment gave it.
    drawn: dict[int, tuple[int, str]] = {}
    for part in parts:
        segment = part.segment
        for index, page in enumerate(segment.numbered):
            content, glyphs = number_content(family, part.first_number + page, segment.boxes[index])
            for glyph, nominal_and_text in glyphs.items():
                drawn.setdefault(glyph, nominal_and_text)
            data = zlib.compress(content, 6)
            objects.stream(segment.number_forms + index, b"<< /BBox [ %s ] /Filter /FlateDecode /Length %d "
                           b"/Resources << /Font << %s %d 0 R >> >> /Subtype /Form /Type /XObject >>" % (
                               " ".join(f"{value:g}" for value in segment.boxes[index]).encode(), len(data),
                               FONT_NAME.encode(), NUMBER_FONT), data)
    fonts = [font for part in parts for font in part.segment.placeholder_fonts]
    if drawn:  # the page numbers' font, a Type 0 font of the body face like the text's
        tiny = pikepdf.new()
        numbers = PageNumbers(family, tiny, drawn)
        font = numbers.font_dictionary()
        ((descriptor, number_font),) = numbers.finish()
        program = tiny.make_indirect(pikepdf.Dictionary())
        descriptor[number_font.key] = program
        fonts.append(number_font)
        numbering = _Numbering(tiny, {program.objgen: faces.of(number_font), font.objgen: NUMBER_FONT},
                               tail.next)
        numbering.add([font.DescendantFonts[0], font.ToUnicode])
        tail.next += len(numbering.order)
        serialise(numbering, objects)
        objects.direct(NUMBER_FONT, numbering.renumbered(font.unparse(resolved=True)))
    # One program per face holding every glyph the volume uses from it.
    groups: dict[tuple[str, int, str], dict] = {}
    for font in fonts:
        group = groups.setdefault(font.face, {"glyphs": set(), "keys": set(), "name": font.postscript})
        group["glyphs"].update(font.glyphs)
        group["keys"].add(font.key)
    for (path, index, expected), group in sorted(groups.items()):
        if installed_face(group["name"], expected) != (path, index):
            from generator.core.i18n import _

            raise FontProgramError(_("font {name} ({path}) changed or was removed while rendering; build again").format(
                name=group["name"], path=path))
        if len(group["keys"]) != 1:
            raise SegmentError(f"face {path}:{index} is embedded both as {sorted(group['keys'])}")
        program = _program(path, index, expected, group["glyphs"] | {0}, programs)
        kind = b"/Subtype /OpenType" if group["keys"] == {"/FontFile3"} else b"/Length1 %d" % int.from_bytes(
            program[:8], "big")
        objects.stream(faces.numbers[(path, index)], b"<< /Filter /FlateDecode /Length %d %s >>" % (
            len(program) - 8, kind), program[8:])
    # Page tree, named destinations, outline, page labels, catalog.
    objects.direct(PAGE_TREE, b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (
        b" ".join(b"%d 0 R" % part.segment.kids for part in parts), sum(len(part.segment.pages) for part in parts)))
    targets: dict[str, int] = {}
    for part in parts:
        for anchor, page in part.segment.anchors.items():
            targets.setdefault(anchor, part.segment.pages[page])
    linked = sorted({anchor for part in parts for anchor in part.segment.links if anchor in targets},
                    key=lambda anchor: _string(anchor))
    objects.direct(DESTINATIONS, b"<< /Names [ %s ] >>" % b" ".join(
        b"%s [ %d 0 R /Fit ]" % (_string(anchor), targets[anchor]) for anchor in linked))
    catalog = [b"/Type /Catalog", b"/Pages %d 0 R" % PAGE_TREE, b"/Names << /Dests %d 0 R >>" % DESTINATIONS]
    if outline:
        root = tail.number()
        first, last, visible = _outline(tail, outline, root)
        objects.direct(root, b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (first, last, visible))
        catalog.append(b"/Outlines %d 0 R" % root)
    nums = pikepdf.Array()
    for page, label in labels:
        nums.extend([page, label])
    catalog.append(b"/PageLabels << /Nums %s >>" % nums.unparse(resolved=True))
    info = None
    for part in parts:
        if part.segment.info is not None or part.segment.catalog:
            info = part.segment.info
            catalog += [name.encode("latin-1") + b" " + value.encode("latin-1")
                        for name, value in sorted(part.segment.catalog.items())]
            break
    objects.direct(CATALOG, b"<< " + b" ".join(catalog) + b" >>")
    return _join(parts, tail, info)


def _join(parts: list[Part], tail: _Tail, info: int | None) -> bytes:
    out = io.BytesIO()
    out.write(HEADER)
    entries: dict[int, tuple[int, int, int]] = {}
    identity = hashlib.md5(usedforsecurity=False)
    for part in parts:
        position = out.tell()
        out.write(part.data)
        identity.update(part.segment.sha256.encode())
        for number, (kind, value, index) in enumerate(part.segment.entries, start=part.segment.base):
            entries[number] = (kind, value + position if kind == 1 else value, index)
    objstm = tail.number()
    data, tail_entries = tail.objects.write(objstm, out.tell())
    out.write(data)
    identity.update(data)
    entries.update(tail_entries)
    xref = tail.number()
    entries[xref] = (1, out.tell(), 0)
    size = xref + 1
    rows = bytearray()
    for number in range(size):
        kind, value, index = entries.get(number, (0, 0, 65535 if number == 0 else 0))
        rows += kind.to_bytes(1, "big") + value.to_bytes(4, "big") + index.to_bytes(2, "big")
    stream = zlib.compress(bytes(rows), 6)
    ident = identity.hexdigest().encode()
    out.write(b"%d 0 obj\n<< /Type /XRef /Size %d /W [ 1 4 2 ] /Root %d 0 R%s /ID [ <%s> <%s> ] "
              b"/Filter /FlateDecode /Length %d >>\nstream\n" % (
                  xref, size, CATALOG, b" /Info %d 0 R" % info if info is not None else b"", ident, ident, len(stream)))
    out.write(stream + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % entries[xref][1])
    return out.getvalue()
