"""Finishing PDFs from laid-out units: a single report here, the volume in `segments.py`.

A unit is a PDF WeasyPrint laid out without page numbers and with placeholder font programs
(`render/fontprograms.py`); it is cached on its own. Each report is laid out once, as one unit, and that unit
serves both its own PDF and its part of the volume:

- `finish_report` stamps the running header and the numbers 1…n onto the unit in place (keeping its bookmarks,
  metadata and PDF/A or PDF/UA structure) and embeds the font subsets;
- `segments.write_segment` stamps the running header onto a report's part of the volume (and names the place of
  each page number, which the volume's tail draws), and `segments.write_volume` joins the parts.

A report's unit ends with its page furniture: one more page that carries only the running header, which is drawn
over every page of the report but the first, as a form XObject, and then removed (WeasyPrint would lay the header
out again on every page). Page numbers are drawn straight into the page the same way (`pagenumbers.py`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pikepdf

from generator.core.config import Config

from .fontprograms import PlaceholderFont, embed_programs
from .pagenumbers import PageNumbers

LINK_BASE = "https://reportgen.invalid/goto/"


@dataclass
class Unit:
    data: bytes
    anchors: dict[str, int]            # anchor id -> page index within the unit
    pages: int                         # pages of content (the page furniture not counted)
    stamp_from: int | None = None      # printed number of the first page, when numbers must be stamped
    furniture: bool = False            # a last page with the running header to stamp on pages 2…
    pad: bool = True                   # add a blank page after an odd number of pages
    diagnostics: tuple = ()            # what laying it out reported (kept with the cached unit)
    fonts: tuple[PlaceholderFont, ...] = ()  # its fonts, whose programs are placeholders until finished
    key: str = ""                      # its key in the unit cache, when it has one

    @property
    def identity(self) -> str:
        """What names this unit's content: its cache key, or a hash of its bytes."""
        import hashlib

        return self.key or hashlib.sha256(self.data).hexdigest()


@dataclass
class OutlineEntry:
    title: str
    anchor: str
    children: list["OutlineEntry"] = field(default_factory=list)


def finish_report(unit: Unit, config: Config) -> bytes:
    """A single report's PDF: its unit with the running header and the page numbers 1…n stamped on, its page
    furniture removed and its fonts embedded."""
    with pikepdf.open(io.BytesIO(unit.data)) as pdf:
        header = furniture_form(pdf, unit) if unit.furniture else None
        if unit.furniture:
            _drop_structure(pdf.Root.get("/StructTreeRoot"), pdf.pages[unit.pages].obj)
            del pdf.pages[unit.pages:]
        numbers = PageNumbers(config.brand.fonts.body[0], pdf)
        _stamp_pages(pdf, list(pdf.pages), header=("/RgHeader", header), numbers=numbers, first_number=1)
        fonts = [(pdf.get_object(font.descriptor), font) for font in unit.fonts]
        embed_programs(pdf, fonts + numbers.finish())
        return _save(pdf)


def _stamp_pages(pdf: pikepdf.Pdf, pages: list[pikepdf.Page], *, header: tuple[str, pikepdf.Object | None],
                 numbers: PageNumbers, first_number: int | None) -> None:
    """Stamp one unit's pages: the running header on all but the first, and, from `first_number` on, the page
    numbers."""
    name, form = header
    for offset, page in enumerate(pages):
        forms = [(name, form)] if form is not None and offset else []
        if first_number is not None:
            forms.append(numbers.form(first_number + offset, page))
        stamp(pdf, page, forms)


def furniture_form(pdf: pikepdf.Pdf, unit: Unit) -> pikepdf.Object:
    if len(pdf.pages) != unit.pages + 1:
        raise ValueError(f"a unit with page furniture has {unit.pages} + 1 pages, not {len(pdf.pages)}")
    return pdf.make_indirect(pdf.pages[unit.pages].as_form_xobject())


def _save(pdf: pikepdf.Pdf) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _drop_structure(node, page: pikepdf.Object) -> None:
    """Remove from a tagged PDF's structure tree the elements on `page` (the page furniture's empty block, whose
    page is removed: its header is drawn as an artifact)."""
    if node is None:
        return
    children = node.get("/K")
    if isinstance(children, pikepdf.Array):
        for index in reversed(range(len(children))):
            child = children[index]
            if isinstance(child, pikepdf.Dictionary) and child.get("/Pg") is not None and child.Pg.objgen == page.objgen:
                del children[index]
            elif isinstance(child, pikepdf.Dictionary):
                _drop_structure(child, page)
    elif isinstance(children, pikepdf.Dictionary):
        _drop_structure(children, page)


def stamp(pdf: pikepdf.Pdf, page: pikepdf.Page, forms: list[tuple[str, pikepdf.Object]]) -> None:
    """Draw `forms` (pages of the same size, as form XObjects) over `page`. Resource names are fixed (pikepdf's
    own `add_overlay` picks random ones, which would make two builds differ) and differ between the forms of
    different pages, since WeasyPrint's pages share one resource dictionary."""
    if not forms:
        return
    for name, form in forms:
        page.add_resource(form, pikepdf.Name.XObject, name=pikepdf.Name(name))
    # WeasyPrint leaves its coordinate transformation in force at the end of a page: isolate the page's own
    # content so that the stamps are drawn in the page's default coordinates.
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    drawn = "".join(f" q {name} Do Q" for name, _form in forms)
    page.contents_add(pikepdf.Stream(pdf, f"\nQ{drawn}".encode()), prepend=False)


