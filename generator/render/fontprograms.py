"""Font programs: WeasyPrint lays out, the assembler embeds.

Every PDF reportgen writes is assembled from laid-out units (`render/assemble.py`): a single report is its unit
with page numbers stamped on, the volume is many units joined. WeasyPrint, for each document it writes, copies
every font file it used whole into memory (a Noto CJK collection is 20–27 MB) and subsets it twice; the
assembler then subsets each face again for the finished file. So while `deferred_programs()` is active,
WeasyPrint embeds a small placeholder naming the installed face instead of a program (outline fonts only;
bitmap, colour and variable fonts, and faces fontconfig cannot name, are embedded as WeasyPrint does), and
`embed_programs()` replaces the placeholders of a finished PDF by one HarfBuzz subset per face holding every
glyph its pages use. WeasyPrint keeps original glyph ids and lists the glyphs a font uses in its `/W` widths
array, so the subset keeps glyph ids too and nothing else in the PDF changes. Each unit's placeholder fonts and
their glyphs are found once, when it is laid out (`placeholder_fonts`), and kept with the unit: finishing a
volume of thirty units neither searches its thousands of objects nor reads a hundred width arrays again.

This hooks two names inside `weasyprint.pdf.fonts` (`get_hb_object_data` and `Font.subset`) for the duration
of a render only, through `_weasyprint_private.py`, the one module that touches WeasyPrint's private parts;
`tests/test_private_hooks.py` checks their shape and `tests/test_render.py` that the hook still takes effect.
A placeholder that cannot be resolved when embedding is an error, never a PDF with a missing font.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import pikepdf
import uharfbuzz

from generator.core.i18n import _

from ._weasyprint_private import face_table, fonts_hooked

MAGIC = b"reportgen-deferred-font\n"
DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")
# Tables that make WeasyPrint rework the program itself (variable, bitmap or colour fonts): embedded as usual.
REWORKED_TABLES = (b"fvar", b"EBDT", b"CBDT", b"sbix", b"SVG ", b"COLR")


class FontProgramError(RuntimeError):
    """A placeholder names a face that is no longer installed as it was when the unit was laid out."""


def fingerprint(head: bytes, maxp: bytes) -> str:
    """Identifies one face of one version of a font file (its `head` and `maxp` tables)."""
    return hashlib.sha256(head + b"\0" + maxp).hexdigest()[:24]


@lru_cache(maxsize=64)
def installed_face(postscript_name: str, expected: str) -> tuple[str, int] | None:
    """The installed file and face index with this PostScript name and fingerprint, as fontconfig lists them."""
    from generator.core.fonts import installed_faces

    for path, index in sorted({(path, index) for path, index, _families, _style, postscript in installed_faces()
                               if postscript == postscript_name}):
        try:
            face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(path), index)
        except Exception:  # an unreadable file is simply not a candidate
            continue
        if fingerprint(bytes(face.reference_table("head").data), bytes(face.reference_table("maxp").data)) == expected:
            return path, index
    return None


def _postscript_name(name_table: bytes) -> str | None:
    from fontTools.ttLib import newTable

    table = newTable("name")
    try:
        table.decompile(name_table, None)
    except Exception:
        return None
    name = table.getDebugName(6)
    return name or None


# ---- while WeasyPrint writes: placeholders ------------------------------------------------------------------


def _placeholder(hb_face) -> bytes | None:
    def table(tag: bytes, *, read: bool = True) -> bytes | int:
        return face_table(hb_face, tag, read=read)

    if any(table(tag, read=False) for tag in REWORKED_TABLES):
        return None
    name = _postscript_name(table(b"name"))
    identity = fingerprint(table(b"head"), table(b"maxp"))
    face = installed_face(name, identity) if name else None
    if face is None:
        return None
    return _encode_placeholder(*face, identity, name, cff=bool(table(b"CFF ", read=False) or table(b"CFF2", read=False)))


def _encode_placeholder(path: str, index: int, identity: str, name: str, *, cff: bool) -> bytes:
    # WeasyPrint tells CFF from TrueType programs by their first four bytes; `is_cff` reads them back.
    record = {"file": path, "index": index, "fingerprint": identity, "postscript": name}
    return (b"OTTO" if cff else b"\0\1\0\0") + MAGIC + json.dumps(record, sort_keys=True).encode()


def is_cff(program: bytes) -> bool:
    return program[:4] == b"OTTO"


def placeholder_program(path: str, index: int) -> tuple[bytes, str]:
    """The placeholder program and PostScript name of an installed face, for fonts reportgen writes itself (the
    page numbers, `pagenumbers.py`)."""
    face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(path), index)
    name = _postscript_name(bytes(face.reference_table("name").data))
    if not name:
        raise FontProgramError(_("font {name} ({path}) changed or was removed while rendering; build again").format(
            name="?", path=path))
    identity = fingerprint(bytes(face.reference_table("head").data), bytes(face.reference_table("maxp").data))
    cff = bool(len(face.reference_table("CFF ")) or len(face.reference_table("CFF2")))  # lengths: no 20 MB copy
    return _encode_placeholder(path, index, identity, name, cff=cff), name


def is_placeholder(program: bytes) -> bool:
    return program[4:4 + len(MAGIC)] == MAGIC


@contextmanager
def deferred_programs() -> Iterator[None]:
    """Within this block WeasyPrint embeds placeholders instead of font programs (see the module docstring)."""
    with fonts_hooked(_placeholder_data, _placeholder_subset):
        yield


def _placeholder_data(original_data):
    def object_data(hb_object, ot_color=None, glyph=None):
        if ot_color is None:
            placeholder = _placeholder(hb_object)
            if placeholder is not None:
                return placeholder
        return original_data(hb_object, ot_color, glyph)

    return object_data


def _placeholder_subset(original_subset):
    def subset(self, to_unicode, hinting):
        if not is_placeholder(self.file_content):
            original_subset(self, to_unicode, hinting)

    return subset


# ---- when a PDF is finished: one subset per face -----------------------------------------------------------


_W_TOKENS = re.compile(rb"\[|\]|-?[0-9.]+")


def _used_glyphs(widths: pikepdf.Object | None) -> set[int]:
    """Glyph ids listed in a CIDFont `/W` array: `c [w1 w2 …]` or `c_first c_last w` (read from the array's
    PDF syntax in one pass: walking it object by object cost more than subsetting)."""
    glyphs: set[int] = set()
    if widths is None:
        return glyphs
    tokens = _W_TOKENS.findall(widths.unparse())[1:-1]  # without the outer brackets
    index = 0
    while index < len(tokens):
        first = int(float(tokens[index]))
        if tokens[index + 1] == b"[":
            end = tokens.index(b"]", index + 2)
            glyphs.update(range(first, first + end - index - 2))
            index = end + 1
        else:
            glyphs.update(range(first, int(float(tokens[index + 1])) + 1))
            index += 3
    return glyphs


def subset_face(path: str, index: int, glyphs: set[int]) -> bytes:
    face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(path), index)
    request = uharfbuzz.SubsetInput()
    for glyph in sorted(glyphs | {0}):
        request.glyph_set.add(glyph)
    request.flags = (uharfbuzz.SubsetFlags.RETAIN_GIDS | uharfbuzz.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                     | uharfbuzz.SubsetFlags.DESUBROUTINIZE | uharfbuzz.SubsetFlags.NO_HINTING)
    dropped = request.sets(uharfbuzz.SubsetInputSets.DROP_TABLE_TAG)
    for tag in DROPPED_TABLES:
        dropped.add(int.from_bytes(tag.encode(), "big"))
    return bytes(uharfbuzz.subset(face, request).blob.data)


class ProgramStore(Protocol):
    """Where finished font programs are kept between builds (`units.UnitCache`): by a key naming the face and
    the glyphs, so that a volume whose reports use the same glyphs as last time subsets nothing."""

    def get_program(self, key: str) -> bytes | None: ...
    def put_program(self, key: str, data: bytes) -> None: ...


def _program(path: str, index: int, fingerprint_: str, glyphs: set[int], store: ProgramStore | None) -> bytes:
    """The subset of a face holding `glyphs`, zlib-compressed, preceded by its uncompressed length (8 bytes)."""
    digest = hashlib.sha256(f"{path}\0{index}\0{fingerprint_}\0".encode())
    digest.update(",".join(map(str, sorted(glyphs))).encode())
    key = digest.hexdigest()[:32]
    cached = store.get_program(key) if store is not None else None
    if cached is not None and _valid_program(cached, glyphs):
        return cached
    if cached is not None:
        from generator.core.verify import discard

        discard(f"font program {key}", "it does not parse or lacks glyphs")
    data = subset_face(path, index, glyphs)
    # Compressed here, quickly: a retain-gids CJK subset is about a megabyte, and the writer's default level took
    # nearly twice as long for 3 % less.
    program = len(data).to_bytes(8, "big") + zlib.compress(data, 1)
    if store is not None:
        store.put_program(key, program)
    return program


def _valid_program(program: bytes, glyphs: set[int]) -> bool:
    """Whether a kept program (`_program`'s format) is whole and a font holding every glyph id in `glyphs`."""
    try:
        data = zlib.decompress(program[8:])
        if len(data) != int.from_bytes(program[:8], "big"):
            return False
        face = uharfbuzz.Face(uharfbuzz.Blob(data))
    except (zlib.error, ValueError, TypeError):
        return False
    return face.glyph_count > max(glyphs, default=0) and len(face.reference_table("head")) > 0


@dataclass(frozen=True)
class PlaceholderFont:
    """A font of a laid-out PDF whose program is a placeholder: its font descriptor (by object number), the key
    that holds the program there, the face the placeholder names and the glyphs the PDF uses from it. Found once
    when a unit is laid out (`placeholder_fonts`) and kept with it, so that finishing a PDF, a volume of many
    units above all, neither searches the PDF's objects nor reads width arrays again."""

    descriptor: tuple[int, int]
    key: str                           # /FontFile2 (TrueType outlines) or /FontFile3 (CFF)
    file: str
    index: int
    fingerprint: str
    postscript: str
    glyphs: tuple[int, ...]

    @property
    def face(self) -> tuple[str, int, str]:
        return self.file, self.index, self.fingerprint

    def to_json(self) -> dict:
        return {"descriptor": list(self.descriptor), "key": self.key, "file": self.file, "index": self.index,
                "fingerprint": self.fingerprint, "postscript": self.postscript, "glyphs": list(self.glyphs)}

    @classmethod
    def from_json(cls, data: dict) -> PlaceholderFont:
        return cls(tuple(data["descriptor"]), data["key"], data["file"], data["index"], data["fingerprint"],
                   data["postscript"], tuple(data["glyphs"]))

    @classmethod
    def of(cls, descriptor: pikepdf.Object, key: str, program: bytes, glyphs: Iterable[int]) -> PlaceholderFont:
        record = json.loads(program[4 + len(MAGIC):])
        return cls(descriptor.objgen, key, record["file"], record["index"], record["fingerprint"],
                   record["postscript"], tuple(sorted(set(glyphs))))


def placeholder_fonts(pdf: pikepdf.Pdf) -> tuple[PlaceholderFont, ...]:
    """Every font of `pdf` whose program is a placeholder, with the glyphs its `/W` array lists."""
    found = []
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font" or obj.get("/Subtype") != "/Type0":
            continue
        descendant = obj.DescendantFonts[0]
        descriptor = descendant.get("/FontDescriptor")
        key = next((k for k in ("/FontFile3", "/FontFile2") if descriptor is not None and k in descriptor), None)
        if key is None:
            continue
        program = descriptor[key].read_bytes()
        if is_placeholder(program):
            found.append(PlaceholderFont.of(descriptor, key, program, _used_glyphs(descendant.get("/W"))))
    return tuple(found)


def embed_programs(pdf: pikepdf.Pdf, fonts: Iterable[tuple[pikepdf.Object, PlaceholderFont]],
                   store: ProgramStore | None = None) -> None:
    """Replace the placeholder programs of `fonts` (each a font descriptor of `pdf` and what it holds) by one
    subset per face holding every glyph they use."""
    groups: dict[tuple[str, int, str], dict] = {}
    for descriptor, font in fonts:
        group = groups.setdefault(font.face, {"glyphs": set(), "descriptors": [], "name": font.postscript})
        group["glyphs"].update(font.glyphs)
        group["descriptors"].append((descriptor, font.key))
    for (path, index, expected), group in sorted(groups.items()):
        if installed_face(group["name"], expected) != (path, index):
            raise FontProgramError(_("font {name} ({path}) changed or was removed while rendering; build again").format(
                name=group["name"], path=path))
        program = _program(path, index, expected, group["glyphs"] | {0}, store)
        shared = {}
        for descriptor, key in group["descriptors"]:
            if key not in shared:  # one stream per face and kind (CFF or TrueType outlines)
                stream = pikepdf.Stream(pdf, b"")
                stream.write(program[8:], filter=pikepdf.Name.FlateDecode)
                if key == "/FontFile3":
                    stream.Subtype = pikepdf.Name.OpenType
                else:
                    stream.Length1 = int.from_bytes(program[:8], "big")
                shared[key] = pdf.make_indirect(stream)
            descriptor[key] = shared[key]
