"""Typography of real-world-like drafts (tests/realworld/typo), built end to end: title line breaks, the running
header, paragraph ends, Word images and styles, quotes. Every check opens the produced PDF or DOCX."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import docx
import pytest
import rjieba
from docx.oxml.ns import qn
from pypdf import PdfReader

from generator.cli import main

from .helpers import REPO

DRAFTS = REPO / "tests" / "realworld" / "typo"
LONG = "以“党建+技能培养”推动高海拔地区历年统计年鉴编制工作的实践探索"
LATIN = "基于Markdown与Word模板的党建辅导员制项目课题报告排版规范研究：GFM与Pandoc扩展"
EMU_PER_MM = 36000


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`reportgen build` of the typography drafts in a project with the repository's configuration."""
    root = tmp_path_factory.mktemp("typo")
    drafts = root / "reports_src" / "2022"
    drafts.mkdir(parents=True)
    shutil.copy(REPO / "reportgen.toml", root)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "reports_src" / "registry.yaml", root / "reports_src")
    shutil.copytree(DRAFTS / "assets", drafts / "assets")
    for draft in DRAFTS.glob("*.md"):
        if draft.name != "README.md":  # _volume.md too: the volume has a long title
            shutil.copy(draft, drafts)
    cwd = os.getcwd()
    try:
        os.chdir(root)
        code = main(["build", "--jobs", "1"])
    finally:
        os.chdir(cwd)
    assert code == 0
    return root / "output" / "2022"


def _pdftotext(path, *args) -> str:
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def _title_lines(text: str, title: str) -> list[str]:
    """The consecutive lines of `text` that together spell `title`."""
    lines = [line.replace(" ", "") for line in text.splitlines()]  # pdftotext spaces Latin words out
    for start in range(len(lines)):
        joined = ""
        for end in range(start, len(lines)):
            joined += lines[end]
            if joined == title:
                return lines[start:end + 1]
            if not title.startswith(joined) or not joined:
                break
    raise AssertionError(f"{title} not found in {text[:400]!r}")


def _assert_broken_well(lines: list[str], title: str) -> None:
    """Several lines, each break between two of the segmenter's words, the last not shorter than a third of
    the line above."""
    assert len(lines) >= 2, lines
    boundaries = {0}
    for token in rjieba.cut(title, False):
        boundaries.add(max(boundaries) + len(token))
    position = 0
    for line in lines[:-1]:
        position += len(line)
        assert position in boundaries, (line, lines)
    assert len(lines[-1]) * 3 >= len(lines[-2]), lines


@pytest.mark.parametrize("report, title", [("t01_long_title", LONG), ("t02_latin_title", LATIN)])
def test_report_title_breaks_between_words_in_balanced_lines(built, report, title):
    lines = _title_lines(_pdftotext(built / "reports" / f"{report}.pdf", "-f", "1", "-l", "1"), title)
    _assert_broken_well(lines, title)
    assert "高" not in [line[-1:] for line in lines] and "展" != lines[-1]


@pytest.mark.parametrize("report, title", [("t01_long_title", LONG), ("t02_latin_title", LATIN)])
def test_word_title_has_the_same_line_breaks_as_the_pdf(built, report, title):
    document = docx.Document(built / "reports" / f"{report}.docx")
    paragraph = next(p for p in document.paragraphs if p.style.name == "Report Title")
    lines, current = [], ""
    for element in paragraph._p.iter(qn("w:t"), qn("w:br")):
        if element.tag == qn("w:br"):
            lines.append(current)
            current = ""
        else:
            current += element.text
    lines.append(current)
    _assert_broken_well(lines, title)
    assert lines == _title_lines(_pdftotext(built / "reports" / f"{report}.pdf", "-f", "1", "-l", "1"), title)


def test_toc_entry_breaks_between_words(built):
    toc = next(page for page in PdfReader(built.parent / "2022" / "volume.pdf").pages
               if "目录" in page.extract_text().replace(" ", "")[:40])
    text = toc.extract_text()
    lines = [re.sub(r"[.\s]*\d+$", "", line.strip()) for line in text.splitlines()]
    _assert_broken_well(_title_lines("\n".join(lines), LATIN), LATIN)


def _header_line(pdf, page: int) -> list[str]:
    """The text lines in the top margin (37 mm) of a page: where the running header is."""
    text = _pdftotext(pdf, "-layout", "-f", str(page), "-l", str(page), "-y", "0", "-H", "105", "-W", "600", "-x", "0")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_running_header_is_one_line_with_the_short_title_or_an_ellipsis(built):
    assert _header_line(built / "reports" / "t01_long_title.pdf", 2) == [
        "西南水泥有限公司 西南水泥党建辅导员项目课题报告 高海拔地区历年统计年鉴编制的实践探索"]
    header = _header_line(built / "reports" / "t02_latin_title.pdf", 2)
    assert len(header) == 1 and header[0].endswith("…") and "基于Markdown与Word模板" in header[0]
    for report, expected in (("t01_long_title", "高海拔地区历年统计年鉴编制的实践探索"), ("t02_latin_title", "…")):
        header = docx.Document(built / "reports" / f"{report}.docx").sections[0].header.paragraphs[0].text
        assert header.endswith(expected) and LONG not in header and LATIN not in header


def test_a_heading_inside_a_quote_is_no_bookmark_and_no_word_heading(built):
    reader = PdfReader(built / "reports" / "t02_latin_title.pdf")

    def titles(items):
        for item in items:
            yield from titles(item) if isinstance(item, list) else [item.title]

    assert "一、课题背景" in list(titles(reader.outline)) and "规范的三条原则" not in list(titles(reader.outline))
    document = docx.Document(built / "reports" / "t02_latin_title.docx")
    quoted = next(p for p in document.paragraphs if p.text == "规范的三条原则")
    assert quoted.style.name == "Quote"


def test_word_scales_a_tall_image_to_fit_the_page_as_the_pdf_does(built):
    document = docx.Document(built / "reports" / "t03_tall_image.docx")
    width, height = max(((int(extent.get("cx")), int(extent.get("cy")))
                         for extent in document.element.body.iter(qn("wp:extent"))), key=lambda size: size[1])
    assert height <= 150 * EMU_PER_MM and abs(width * 4 - height) <= 4 * 9525  # 600 x 2400 px, proportions kept


def test_no_word_house_style_is_italic(built):
    styles = docx.Document(built / "reports" / "t02_latin_title.docx").styles
    for name in ("Quote", "Emphasis", "Heading 4"):
        assert styles[name].font.italic is False, name  # explicitly upright: Word's stock styles are italic


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_lays_out_the_word_titles_and_the_whole_tall_image(built, tmp_path):
    for report in ("t02_latin_title", "t03_tall_image"):
        result = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                                 "--convert-to", "pdf", "--outdir", str(tmp_path),
                                 str(built / "reports" / f"{report}.docx")], capture_output=True, text=True,
                                timeout=180)
        assert result.returncode == 0, result.stderr
    lines = _title_lines(_pdftotext(tmp_path / "t02_latin_title.pdf", "-f", "1", "-l", "1"), LATIN)
    _assert_broken_well(lines, LATIN)
    assert not any(line.endswith("Markdow") for line in lines)
    header = _header_line(tmp_path / "t02_latin_title.pdf", 2)  # the running header, laid out by LibreOffice
    assert len(header) == 1 and header[0].endswith("…"), header
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "t03_tall_image.pdf")], capture_output=True,
                            text=True, check=True).stdout.splitlines()[2:]
    assert len(images) >= 1


def test_no_paragraph_ends_with_one_character_alone_on_its_last_line(built):
    """t01 has a paragraph whose last line would hold “质。” alone; it ends “…内在 / 气质。”."""
    text = _pdftotext(built / "reports" / "t01_long_title.pdf")
    assert "气质。" in text.replace("\n", "")
    lone = [line for line in text.splitlines() if re.fullmatch(r"[\u4e00-\u9fff][，。；：？！”）]*", line.strip())]
    assert lone == [] and "\n气质。" in text


def _characters_drawn_with(pdf_path, face: str) -> set[str]:
    """The characters a PDF draws with a face, from the ToUnicode maps of its fonts of that name."""
    import pikepdf

    drawn: set[str] = set()
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for font in (page.obj.get("/Resources", {}).get("/Font") or {}).values():
                if face not in str(font.get("/BaseFont", "")) or "/ToUnicode" not in font:
                    continue
                cmap = font.ToUnicode.read_bytes().decode("latin-1")
                for block in re.findall(r"beginbf(?:char|range)(.*?)endbf(?:char|range)", cmap, re.S):
                    for line in block.splitlines():
                        codes = re.findall(r"<([0-9A-Fa-f]+)>", line)
                        if len(codes) == 2:  # bfchar: code, text
                            drawn.add(bytes.fromhex(codes[1]).decode("utf-16-be"))
                        elif len(codes) == 3:  # bfrange: first code, last code, text of the first
                            first = int(codes[2], 16)
                            drawn.update(chr(first + n) for n in range(int(codes[1], 16) - int(codes[0], 16) + 1))
    return drawn


def test_latin_text_in_kai_quotes_is_set_in_the_latin_companion_face(built, tmp_path):
    """AR PL UKai's Latin letters are typewriter-like: Latin text in a 楷体 quote is set in Noto Serif CJK SC, in
    the PDF and in the Word file as LibreOffice lays it out."""
    pdf = built / "reports" / "t02_latin_title.pdf"
    kai = _characters_drawn_with(pdf, "UKai")
    assert "排" in kai and not any(character.isascii() and character.isalpha() for character in "".join(kai))
    document = docx.Document(built / "reports" / "t02_latin_title.docx")
    fonts = document.styles["Quote"].element.rPr.find(qn("w:rFonts"))
    assert (fonts.get(qn("w:eastAsia")), fonts.get(qn("w:ascii"))) == ("AR PL UKai CN", "Noto Serif CJK SC")
    if shutil.which("soffice"):
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                        "--outdir", str(tmp_path), str(built / "reports" / "t02_latin_title.docx")],
                       capture_output=True, timeout=180, check=True)
        kai = "".join(_characters_drawn_with(tmp_path / "t02_latin_title.pdf", "UKai"))
        assert "排" in kai and "B" not in kai and "K" not in kai


def test_toc_entries_starting_with_an_opening_quote_are_not_indented(built, tmp_path):
    """The ink of “党建+学习教育”… starts where the ink of 基于… does (the quote's blank left half trimmed), not
    half a character to the right of it."""
    from PIL import Image

    volume = built / "volume.pdf"
    page = next(number for number, page in enumerate(PdfReader(volume).pages, start=1)
                if "目录" in page.extract_text().replace(" ", "")[:40])
    boxes = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>',
                       _pdftotext(volume, "-bbox", "-f", str(page), "-l", str(page)))
    subprocess.run(["pdftoppm", "-png", "-r", "144", "-f", str(page), "-l", str(page), str(volume),
                    str(tmp_path / "toc")], check=True)
    image = Image.open(next(tmp_path.glob("toc*.png"))).convert("L")
    scale = 144 / 72

    def ink_start(word: str) -> float:
        _x, top, bottom, _text = next(box for box in boxes if box[3].startswith(word))
        band = image.crop((0, int(float(top) * scale), image.width // 2, int(float(bottom) * scale)))
        columns = [x for x in range(band.width) if any(band.getpixel((x, y)) < 128 for y in range(band.height))]
        return columns[0] / scale

    assert abs(ink_start("“党建+学习教育”") - ink_start("基于Markdown")) < 0.25 * 11.5


VOLUME_TITLE = "西南水泥有限公司党建辅导员制项目课题成果汇编暨优秀案例选编"


def test_volume_cover_title_breaks_between_words_in_pdf_and_word(built):
    _assert_broken_well(_title_lines(_pdftotext(built / "volume.pdf", "-f", "1", "-l", "1"), VOLUME_TITLE),
                        VOLUME_TITLE)
    document = docx.Document(built / "volume.docx")
    cover = next(p for p in document.paragraphs if p.text.replace("\n", "") == VOLUME_TITLE)
    _assert_broken_well(cover.text.split("\n"), VOLUME_TITLE)


def test_every_face_embedded_is_a_configured_one(built):
    """pdffonts of every PDF built: only the configured faces (the Latin companion is one of them), embedded."""
    from generator.core.config import load_config
    from generator.render.pdf import _font_key, configured_font_keys

    allowed = configured_font_keys(load_config(REPO / "reportgen.toml"))
    for pdf in [built / "volume.pdf", *sorted((built / "reports").glob("*.pdf"))]:
        rows = _pdffonts(pdf)
        assert rows, pdf
        for name, embedded in rows:
            assert embedded == "yes" and any(_font_key(name).startswith(key) for key in allowed), (pdf.name, name)


def _pdffonts(pdf) -> list[tuple[str, str]]:
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    return [(line.split()[0], line.split()[-5]) for line in lines[2:] if line.strip()]


def test_word_cuts_are_remembered_and_the_segmenter_loads_only_for_a_new_text(tmp_path, monkeypatch):
    """jieba's dictionary takes 0.2 s and memory to load: a build whose titles were cut before never loads it."""
    import sys

    from generator.core import typeset, usercache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    title = "以“党建+技能培养”推动高海拔地区历年统计年鉴编制工作的实践探索"
    first = usercache.Memo(typeset._cuts_memo_name, typeset._cut, [str], deferred=True)
    cut = first(title)
    first.keep()
    monkeypatch.delitem(sys.modules, "rjieba", raising=False)
    monkeypatch.setattr(typeset, "_cut", lambda text: (_ for _ in ()).throw(AssertionError("segmenter loaded")))
    again = usercache.Memo(typeset._cuts_memo_name, typeset._cut, [str], deferred=True)
    assert again(title) == cut and "高海拔" in "".join(cut)
    assert "rjieba" not in sys.modules
