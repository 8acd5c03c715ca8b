"""Assembling the volume PDF from separately laid-out units (front matter, one part per report, back matter).

Each unit is a WeasyPrint PDF that can be cached on its own. The assembler concatenates them (every unit starts
on a right-hand page), stamps the printed page numbers onto the report parts, turns the units' placeholder links
into links to pages of the volume, builds the outline and page labels, and replaces the per-unit font subsets
by one subset per face: WeasyPrint subsets fonts keeping the original glyph ids, so the glyphs a unit uses are
the ids in its `/W` widths array, and one HarfBuzz subset of the installed face with the union of those ids
serves every unit.
"""

from __future__ import annotations

import io
import logging
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import pikepdf
import uharfbuzz
from fontTools.ttLib import TTFont

log = logging.getLogger(__name__)
LINK_BASE = "https://reportgen.invalid/goto/"
DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")


@dataclass
class Unit:
    data: bytes
    anchors: dict[str, int]            # anchor id -> page index within the unit
    pages: int
    stamp_from: int | None = None      # printed number of the first page, when numbers must be stamped
    pad: bool = True                   # add a blank page after an odd number of pages


@dataclass
class OutlineEntry:
    title: str
    anchor: str
    children: list["OutlineEntry"] = field(default_factory=list)


@dataclass
class Assembled:
    data: bytes
    pages: int
    anchor_pages: dict[str, int]       # anchor id -> 0-based physical page of the volume


def assemble(units: list[Unit], *, numbers: bytes | None, outline: list[OutlineEntry],
             labels: list[tuple[str, dict]], metadata_unit: int = 0) -> Assembled:
    volume = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(unit.data)) for unit in units]  # kept open until saved
    number_pages = pikepdf.open(io.BytesIO(numbers)) if numbers else None
    anchor_pages: dict[str, int] = {}
    for unit, source in zip(units, sources, strict=True):
        start = len(volume.pages)
        volume.pages.extend(source.pages)
        for anchor, index in unit.anchors.items():
            anchor_pages.setdefault(anchor, start + index)
        if unit.stamp_from is not None and number_pages is not None:
            for offset in range(len(source.pages)):
                number = unit.stamp_from + offset
                _stamp(volume, volume.pages[start + offset], number_pages.pages[number - 1], number)
        if unit.pad and len(volume.pages) % 2:
            box = volume.pages[-1].mediabox
            volume.add_blank_page(page_size=(float(box[2]), float(box[3])))
    _resolve_links(volume, anchor_pages)
    _build_outline(volume, outline, anchor_pages)
    _page_labels(volume, labels, anchor_pages)
    metadata = sources[metadata_unit]
    volume.docinfo = volume.copy_foreign(metadata.docinfo)
    if "/Lang" in metadata.Root:
        volume.Root.Lang = metadata.Root.Lang
    share_font_subsets(volume)
    buffer = io.BytesIO()
    volume.save(buffer, deterministic_id=True, compress_streams=True,
                object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return Assembled(buffer.getvalue(), len(volume.pages), anchor_pages)


def _stamp(volume: pikepdf.Pdf, page: pikepdf.Page, overlay: pikepdf.Page, number: int) -> None:
    """Draw `overlay` (a page of the same size) over `page`. The resource name is fixed per number (pikepdf's
    own `add_overlay` picks a random one, which would make two builds differ) and unique per page, since
    WeasyPrint's pages share one resource dictionary."""
    name = f"/RgPageNumber{number}"
    form = volume.copy_foreign(overlay.as_form_xobject())
    page.add_resource(form, pikepdf.Name.XObject, name=pikepdf.Name(name))
    # WeasyPrint leaves its coordinate transformation in force at the end of a page: isolate the page's own
    # content so that the stamp is drawn in the page's default coordinates.
    page.contents_add(pikepdf.Stream(volume, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(volume, f"\nQ q {name} Do Q".encode()), prepend=False)


def _resolve_links(volume: pikepdf.Pdf, anchor_pages: dict[str, int]) -> None:
    """Placeholder URI links (`LINK_BASE + anchor`) become links to the anchor's page."""
    for page in volume.pages:
        for annotation in page.obj.get("/Annots") or []:
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(LINK_BASE) and uri[len(LINK_BASE):] in anchor_pages:
                target = volume.pages[anchor_pages[uri[len(LINK_BASE):]]].obj
                annotation.A = pikepdf.Dictionary(S=pikepdf.Name.GoTo,
                                                  D=pikepdf.Array([target, pikepdf.Name.Fit]))


def _build_outline(volume: pikepdf.Pdf, outline: list[OutlineEntry], anchor_pages: dict[str, int]) -> None:
    def item(entry: OutlineEntry) -> pikepdf.OutlineItem:
        node = pikepdf.OutlineItem(entry.title, anchor_pages[entry.anchor])
        node.children.extend(item(child) for child in entry.children if child.anchor in anchor_pages)
        return node

    with volume.open_outline() as root:
        root.root.extend(item(entry) for entry in outline if entry.anchor in anchor_pages)


def _page_labels(volume: pikepdf.Pdf, labels: list[tuple[str, dict]], anchor_pages: dict[str, int]) -> None:
    numbers = pikepdf.Array()
    for anchor, style in labels:
        if anchor == "" or anchor in anchor_pages:
            numbers.append(0 if anchor == "" else anchor_pages[anchor])
            numbers.append(pikepdf.Dictionary({f"/{key}": value for key, value in style.items()}))
    volume.Root.PageLabels = pikepdf.Dictionary(Nums=numbers)


# ---- one font subset per face -------------------------------------------------------------------------------


def _used_glyphs(widths: Iterable) -> set[int]:
    """Glyph ids listed in a CIDFont `/W` array: `c [w1 w2 …]` or `c_first c_last w`."""
    items = list(widths)
    glyphs: set[int] = set()
    index = 0
    while index < len(items):
        first = int(items[index])
        if isinstance(items[index + 1], pikepdf.Array):
            glyphs.update(range(first, first + len(items[index + 1])))
            index += 2
        else:
            glyphs.update(range(first, int(items[index + 1]) + 1))
            index += 3
    return glyphs


@lru_cache(maxsize=32)
def _installed_face(postscript_name: str) -> tuple[str, int] | None:
    result = subprocess.run(["fc-list", f":postscriptname={postscript_name}", "--format", "%{file}\t%{index}\n"],
                            capture_output=True, text=True, check=False)
    for row in result.stdout.splitlines():
        path, _tab, index = row.partition("\t")
        return path, int(index or 0)
    return None


def _subset(path: str, index: int, glyphs: set[int]) -> bytes:
    face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(path), index)
    request = uharfbuzz.SubsetInput()
    for glyph in sorted(glyphs | {0}):
        request.glyph_set.add(glyph)
    request.flags = (uharfbuzz.SubsetFlags.RETAIN_GIDS | uharfbuzz.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                     | uharfbuzz.SubsetFlags.DESUBROUTINIZE)
    dropped = request.sets(uharfbuzz.SubsetInputSets.DROP_TABLE_TAG)
    for tag in DROPPED_TABLES:
        dropped.add(int.from_bytes(tag.encode(), "big"))
    return bytes(uharfbuzz.subset(face, request).blob.data)


def share_font_subsets(volume: pikepdf.Pdf) -> None:
    """Replace the font programs of every unit by one subset per face holding all glyphs the volume uses."""
    groups: dict[str, dict] = {}
    for obj in volume.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font" or obj.get("/Subtype") != "/Type0":
            continue
        descendant = obj.DescendantFonts[0]
        descriptor = descendant.get("/FontDescriptor")
        if descriptor is None:
            continue
        key = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2" if "/FontFile2" in descriptor else None
        if key is None:
            continue
        name = str(obj.BaseFont).split("+", 1)[-1]
        group = groups.setdefault(name, {"glyphs": set(), "descriptors": [], "key": key, "program": None})
        group["glyphs"] |= _used_glyphs(descendant.get("/W") or [])
        group["descriptors"].append(descriptor)
        if group["program"] is None:
            group["program"] = descriptor[key].read_bytes()
    for name, group in groups.items():
        if len(group["descriptors"]) < 2:
            continue
        try:
            postscript = TTFont(io.BytesIO(group["program"]), lazy=True)["name"].getDebugName(6)
        except Exception:  # not a font fontTools can read: keep the unit's own subsets
            log.debug("cannot read the embedded font %s", name, exc_info=True)
            continue
        face = _installed_face(postscript) if postscript else None
        if face is None:
            continue
        data = _subset(face[0], face[1], group["glyphs"])
        stream = pikepdf.Stream(volume, data)
        if group["key"] == "/FontFile3":
            stream.Subtype = pikepdf.Name.OpenType
        else:
            stream.Length1 = len(data)
        shared = volume.make_indirect(stream)
        for descriptor in group["descriptors"]:
            descriptor[group["key"]] = shared
