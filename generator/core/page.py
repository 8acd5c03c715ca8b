"""Page geometry shared by every renderer: paper sizes, margins (the 版心) and the page numbers' size.

The CSS templates get these through `html.brand_context` (`page_margins`, `number_size`, `figure_max_height`),
the Word writer and the page-number stamper read them here, so a PDF page, its stamped number and a Word page agree.
"""

from __future__ import annotations

PAPER_MM = {"A4": (210, 297), "A5": (148, 210), "B5": (176, 250)}
MARGINS_MM = {"top": 37, "right": 26, "bottom": 35, "left": 28}
NUMBER_SIZE_PT = 10.5
HEADER_SIZE_PT = 8.5  # the running header's text (report.css.j2, the Word Header style)
FIGURE_MAX_HEIGHT_MM = 150  # a figure with its caption stays on one page; a taller image is scaled down


# The font role and size of each heading level, as base.css.j2 and docx_styles.py set them (both indent the first
# line by two characters): what the line breaks of a heading are measured with (`generator/typeset.py`).
HEADING_FACES = {1: ("heading1", 14), 2: ("heading1", 14), 3: ("heading2", 13), 4: ("heading3", 12),
                 5: ("heading3", 12), 6: ("heading3", 12)}
HEADING_INDENT_EM = 2


def text_area_mm(paper: str) -> tuple[float, float]:
    """The width and height of the 版心 (the page inside its margins)."""
    width, height = PAPER_MM[paper]
    return width - MARGINS_MM["left"] - MARGINS_MM["right"], height - MARGINS_MM["top"] - MARGINS_MM["bottom"]


def mm_to_pt(value: float) -> float:
    return value * 72 / 25.4


def css_margins() -> str:
    return " ".join(f"{MARGINS_MM[side]}mm" for side in ("top", "right", "bottom", "left"))
