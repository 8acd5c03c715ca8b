"""Page geometry shared by every renderer: paper sizes, margins (the 版心) and the page numbers' size.

The CSS templates get these through `html.brand_context` (`page_margins`, `number_size`), the Word writer and the
page-number stamper read them here, so a PDF page, its stamped number and a Word page agree.
"""

from __future__ import annotations

PAPER_MM = {"A4": (210, 297), "A5": (148, 210), "B5": (176, 250)}
MARGINS_MM = {"top": 37, "right": 26, "bottom": 35, "left": 28}
NUMBER_SIZE_PT = 10.5


def mm_to_pt(value: float) -> float:
    return value * 72 / 25.4


def css_margins() -> str:
    return " ".join(f"{MARGINS_MM[side]}mm" for side in ("top", "right", "bottom", "left"))
