"""The annual volume built from the whole sample corpus, opened and checked page by page."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile

import docx
import pytest
from pypdf import PdfReader

from generator.cli import main
from generator.core.config import load_config
from generator.read.parse import parse
from generator.read.reader import read_draft
from generator.read.registry import load_registry

from .conftest import REPO
from .helpers import corpus_project

FOOTER = re.compile(r"—\s*(\d+)\s*—")
FOOTER_END = re.compile(r"—([0-9]+|[IVXLC]+)—$")  # a page's printed number, its text stripped of spaces


@pytest.fixture(scope="module")
def corpus_build(tmp_path_factory):
    """`reportgen build` of the sample corpus, once for this module."""
    out = tmp_path_factory.mktemp("corpus-output")
    cwd = __import__("os").getcwd()
    try:
        __import__("os").chdir(REPO)
        code = main(["build", "--out", str(out), "--format", "json"])
    finally:
        __import__("os").chdir(cwd)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return code, out, manifest


@pytest.fixture(scope="module")
def volume_pages(corpus_build):
    _code, out, _manifest = corpus_build
    reader = PdfReader(out / "2022" / "volume.pdf")
    return reader, [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def approved_documents():
    config = load_config(REPO / "reportgen.toml")
    docs = [parse(read_draft(path), config) for path in sorted((REPO / "reports_src" / "2022").glob("r*.md"))]
    return [doc for doc in docs if doc.meta.status == "已审定"]


def test_corpus_builds_cleanly(corpus_build):
    code, out, manifest = corpus_build
    assert code == 0
    assert len(manifest["reports"]) == 28
    assert all(report["result"] == "built" for report in manifest["reports"])
    assert (out / "2022" / "volume.pdf").stat().st_size <= 6 * 1024 * 1024


def test_volume_holds_only_approved_reports_in_theme_order(corpus_build):
    _code, _out, manifest = corpus_build
    ids = [entry["id"] for entry in manifest["volumes"][0]["reports"]]
    approved = approved_documents()
    assert sorted(ids) == sorted(doc.report_id for doc in approved)
    assert not {"r12", "r22", "r27"} & set(ids)
    config = load_config(REPO / "reportgen.toml")
    themes = {doc.report_id: doc.meta.theme for doc in approved}
    order = [config.themes.index(themes[report_id]) for report_id in ids]
    assert order == sorted(order)


def test_toc_page_numbers_are_the_printed_numbers_where_reports_start(corpus_build, volume_pages):
    _code, _out, manifest = corpus_build
    _reader, pages = volume_pages
    toc_start = next(index for index, text in enumerate(pages) if text.startswith("目录"))
    first_report = next(index for index, text in enumerate(pages) if index > toc_start and "课题单位" in text)
    toc_text = "".join(pages[toc_start:first_report])
    for entry in manifest["volumes"][0]["reports"]:
        title = entry["title"].replace(" ", "")
        toc_number = int(re.search(re.escape(title) + r"\.+(\d+)", toc_text).group(1))
        start = next(index for index in range(first_report, len(pages))
                     if "课题单位" in pages[index] and title in pages[index])
        printed = int(FOOTER.findall(pages[start])[-1])
        assert toc_number == printed == entry["start_page"], entry
        assert start % 2 == 0, f"{entry['id']} does not start on a right-hand (odd) page"


def test_overview_numbers_are_computed_from_the_drafts(volume_pages):
    _reader, pages = volume_pages
    approved = approved_documents()
    counselors = len({name for doc in approved for name in doc.meta.counselors})
    companies = len({doc.meta.company for doc in approved})
    sentence = f"本年度，{counselors}位党建辅导员对{companies}个基层公司进行了深入辅导，形成了{len(approved)}份项目课题报告"
    assert any(sentence in text for text in pages)
    assert (counselors, companies, len(approved)) == (23, 16, 25)


def test_front_matter_is_roman_and_body_arabic(volume_pages):
    _reader, pages = volume_pages
    preface = next(index for index, text in enumerate(pages) if "前言" in text[:40])
    assert re.search(r"—\s*I\s*—", pages[preface]) or "—I—" in pages[preface]
    assert "课题单位" in next(text for text in pages if "—1—" in text)


def test_outline_has_theme_report_and_section_levels(volume_pages, corpus_build):
    reader, _pages = volume_pages
    _code, _out, manifest = corpus_build

    def walk(items, depth=0):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title

    entries = list(walk(reader.outline))
    titles_at = {depth: [title for d, title in entries if d == depth] for depth in (0, 1, 2)}
    assert "党建+安全生产" in titles_at[0] and "目录" in "".join(titles_at[0])
    assert len(titles_at[1]) >= len(manifest["volumes"][0]["reports"])
    assert "一、课题背景" in titles_at[2]
    assert reader.metadata.title.startswith("党建辅导员制项目课题成果汇编")


def test_indexes_list_every_counselor_and_company_with_pages(volume_pages):
    _reader, pages = volume_pages
    index_text = "".join(text for text in pages if "党建辅导员索引" in text[:60] or "基层公司索引" in text[:60])
    for doc in approved_documents():
        for name in doc.meta.counselors:
            assert name in index_text
    assert re.search(r"王建国安全环保部[\d，]+", index_text)


def test_docx_volume_contents_link_to_bookmarks_with_page_fields_cached_from_the_pdf(corpus_build):
    _code, out, manifest = corpus_build
    data = (out / "2022" / "volume.docx").read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(data))
    document_xml = archive.read("word/document.xml").decode()
    assert '<w:updateFields w:val="true"/>' in archive.read("word/settings.xml").decode()
    bookmarks = set(re.findall(r'<w:bookmarkStart w:id="\d+" w:name="(_Toc\d+)"/>', document_xml))
    references = re.findall(r"PAGEREF (_Toc\d+) \\h", document_xml)
    assert references and set(references) <= bookmarks
    document = docx.Document(io.BytesIO(data))
    toc = {p.text.split("\t")[0]: p.text.split("\t")[-1] for p in document.paragraphs if p.style.name.startswith("TOC")}
    # a title is set in balanced lines (generator/typeset.py): its paragraph has line breaks between them
    titles = {p.text.replace("\n", "") for p in document.paragraphs if p.style.name == "Report Title"}
    for entry in manifest["volumes"][0]["reports"]:
        assert entry["title"] in titles
        assert toc[entry["title"]] == str(entry["start_page"])
    sections = document.sections
    assert len(sections) >= len(manifest["volumes"][0]["reports"]) + 2
    # Only the front matter and the first report restart their numbering.
    assert re.findall(r"<w:pgNumType [^>]*>", document_xml).count('<w:pgNumType w:fmt="decimal" w:start="1"/>') == 1


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_docx_volume_as_libreoffice_lays_it_out_prints_the_page_numbers_its_contents_and_indexes_give(
        corpus_build, tmp_path):
    """Word's layout is not the PDF's: whatever the volume.docx says a report starts on is the number printed on
    the page where it does start, in the contents and in both indexes, and body pages number on from 1."""
    _code, out, manifest = corpus_build
    shutil.copy(out / "2022" / "volume.docx", tmp_path / "volume.docx")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "volume.docx")], capture_output=True, check=True,
                   timeout=300)
    text = subprocess.run(["pdftotext", str(tmp_path / "volume.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = [re.sub(r"\s+", "", page) for page in text.split("\f")]
    printed = [match.group(1) if (match := FOOTER_END.search(page)) else None for page in pages]
    toc_pages = [index for index, page in enumerate(pages) if re.search(r"\.{6,}\d+", page)]
    toc_text = "".join(pages[index] for index in toc_pages)
    first_body = toc_pages[-1] + 1
    starts = {}
    for entry in manifest["volumes"][0]["reports"]:
        title = entry["title"].replace(" ", "")
        start = next(index for index in range(first_body, len(pages))
                     if "课题单位" in pages[index] and title in pages[index])
        starts[entry["id"]] = printed[start]
        assert re.search(re.escape(title) + r"\.+(\d+)", toc_text).group(1) == printed[start], entry
    for heading in ("党建辅导员索引", "基层公司索引", "编后记"):
        page = next(index for index in range(first_body, len(pages)) if pages[index].startswith(heading))
        assert re.search(re.escape(heading) + r"\.+(\d+)", toc_text).group(1) == printed[page]
    numbered = [int(number) for number in printed[first_body:] if number and number.isdigit()]
    # On from 1, never restarted (LibreOffice leaves out the blank pages it inserts before a right-hand page).
    assert numbered[0] == 1 and all(0 < after - before <= 2 for before, after in zip(numbered, numbered[1:]))

    config = load_config(REPO / "reportgen.toml")
    registry = load_registry(config.registry_path)
    index_text = "".join(page for page in pages if page.startswith(("党建辅导员索引", "基层公司索引")))
    for doc in approved_documents():
        for name in doc.meta.counselors:
            label = name + (registry.counselor(name) or {}).get("department", "")
            listed = re.search(re.escape(label) + r"([\d，]+)", index_text).group(1).split("，")
            assert starts[doc.report_id] in listed, (name, doc.report_id, listed)


def test_include_drafts_marks_every_draft_page(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r12"])
    monkeypatch.chdir(root)
    assert main(["volume", "--year", "2022", "--include-drafts", "--jobs", "1"]) == 0
    capsys.readouterr()
    reader = PdfReader(root / "output" / "2022" / "volume.pdf")
    pages = [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]
    draft_pages = [text for text in pages if "以“党建+学习教育”推动峨眉公司学习常态化" in text and "课题单位" in text]
    assert draft_pages
    start = pages.index(draft_pages[0])
    until_index = next(i for i, text in enumerate(pages[start:]) if "索引" in text[:60])
    numbered = [text for text in pages[start:start + until_index] if text.strip() and FOOTER.search(text)]
    assert len(numbered) >= 3  # the report's own pages, each marked
    assert all("草稿·已提交" in text for text in numbered)


def test_stamped_page_numbers_sit_at_the_page_foot(volume_pages):
    reader, pages = volume_pages
    start = next(index for index, text in enumerate(pages) if "—1—" in text)
    for index in (start, start + 1):
        found = []

        def visit(text, cm, tm, font, size):
            if re.fullmatch(r"\s*—?\s*\d+\s*—?\s*", text or "") and text.strip():
                found.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])  # y of the text origin on the page

        reader.pages[index].extract_text(visitor_text=visit)
        assert found and min(found) < 150, (index, found)  # points from the bottom edge of an A4 page


def test_volume_embeds_one_real_subset_per_face_for_every_font(corpus_build):
    """Every font of the volume, on its pages, in the running-header forms and in the page numbers, ends up with
    a real program (the units' placeholders are all found through the fonts recorded with each unit), and each
    face is embedded once."""
    import pikepdf

    from generator.render.fontprograms import is_placeholder

    _code, out, _manifest = corpus_build
    programs: dict[tuple, bytes] = {}
    descriptors = 0
    with pikepdf.open(out / "2022" / "volume.pdf") as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                descriptors += 1
                stream = obj.get("/FontFile3") or obj.get("/FontFile2")
                programs[stream.objgen] = stream.read_bytes()
        names = {str(font.get("/BaseFont")).split("+", 1)[-1] for obj in pdf.objects
                 if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"
                 and obj.get("/Subtype") == "/Type0" for font in [obj]}
    assert descriptors > len(programs) >= 4  # the units' descriptors share their face's one program
    assert not any(is_placeholder(program) for program in programs.values())
    assert all(len(program) > 10_000 for program in programs.values())
    assert len(programs) <= len(names)
