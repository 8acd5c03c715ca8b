"""The one module that touches private parts of WeasyPrint.

- `weasyprint.pdf.fonts`, where WeasyPrint reads a font's program (`get_hb_object_data`, imported there from
  `weasyprint.text.fonts`) and subsets it (`Font.subset`): `fonts_hooked` replaces both names for the duration
  of a render, so that a placeholder is embedded instead of the program (`fontprograms.deferred_programs`).
- `weasyprint.text.ffi`, WeasyPrint's cffi bindings of HarfBuzz and Pango: a table of a HarfBuzz face
  (`face_table`) and the native libraries' versions (`native_libraries`, for `reportgen doctor`).

None of these is WeasyPrint's documented API: `pyproject.toml` pins WeasyPrint to the major version the suite
runs against, and `tests/test_private_hooks.py` fails loudly if any of them changes shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


def fonts_module():
    """The module whose names `fonts_hooked` replaces."""
    from weasyprint.pdf import fonts

    return fonts


@contextmanager
def fonts_hooked(object_data: Callable[[Callable], Callable], subset: Callable[[Callable], Callable]
                 ) -> Iterator[None]:
    """Within this block, WeasyPrint's `get_hb_object_data(hb_object, ot_color=None, glyph=None)` is
    `object_data(original)` and `Font.subset(self, to_unicode, hinting)` is `subset(original)`: each factory
    gets the original function and returns its replacement, of the same signature."""
    fonts = fonts_module()
    original_data, original_subset = fonts.get_hb_object_data, fonts.Font.subset
    fonts.get_hb_object_data, fonts.Font.subset = object_data(original_data), subset(original_subset)
    try:
        yield
    finally:
        fonts.get_hb_object_data, fonts.Font.subset = original_data, original_subset


def face_table(hb_face, tag: bytes, *, read: bool = True) -> bytes | int:
    """A table of a HarfBuzz face (a cffi `hb_face_t *`, as WeasyPrint hands it to `get_hb_object_data`): its
    bytes, or with `read=False` only its length (a CJK `CFF ` table is 16 MB)."""
    from weasyprint.text.ffi import ffi, harfbuzz

    blob = harfbuzz.hb_face_reference_table(hb_face, harfbuzz.hb_tag_from_string(tag, -1))
    try:
        if not read:
            return harfbuzz.hb_blob_get_length(blob)
        length = ffi.new("unsigned int *")
        data = harfbuzz.hb_blob_get_data(blob, length)
        return b"" if data == ffi.NULL else ffi.unpack(data, int(length[0]))
    finally:
        harfbuzz.hb_blob_destroy(blob)


def native_libraries():
    """WeasyPrint's cffi handles of HarfBuzz, its subsetter (None when missing) and Pango."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset, pango

    return harfbuzz, harfbuzz_subset, pango
