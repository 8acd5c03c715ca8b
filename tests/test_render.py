"""Rendered reports, opened and inspected: PDF text, fonts, outline, metadata; DOCX styles and structure."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile

import docx
import pikepdf
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from generator.read.parse import parse
from generator.read.reader import read_draft
from generator.render.docx import render_report_docx
from generator.render.fontprograms import is_placeholder
from generator.render.html import render_report_html, report_view
from generator.render.pdf import embedded_fonts, render_pdf
from generator.render.units import report_pdf

from .conftest import PROJECT

VALID = PROJECT / "reports_src" / "2022" / "valid.md"
PARAGRAPHS = ["云岭公司拥有一条4500t/d熟料生产线，现有职工400人", "公司下设5个党支部，党员96名。", "隐患排查“查得少”；",
              "外包队伍管理薄弱", "安全生产是企业的生命线，党员要走在前面。", "辅导按照“八个步骤、三大阶段”推进。",
              "建立党员安全责任区；", "隐患整改率", "99.1%", "员工主动上报占比", "图1 隐患排查趋势",
              "党建与安全生产深度融合，是本质安全的根本保证", "数据截至2021年12月31日。", "见西南水泥党委工作部年度总结。"]


@pytest.fixture(scope="module")
def document(project_config):
    return parse(read_draft(VALID), project_config)


@pytest.fixture(scope="module")
def pdf(document, project_config):
    return report_pdf(document, project_config, timestamp=dt.datetime(2022, 11, 15))


@pytest.fixture(scope="module")
def docx_bytes(document, project_config):
    data, problems = render_report_docx(document, report_view(document, project_config), project_config,
                                        timestamp=dt.datetime(2022, 11, 15))
    assert problems == []
    return data


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "").replace(" ", "")


def test_pdf_contains_every_paragraph_table_cell_and_footnote(pdf):
    assert pdf.diagnostics == ()
    text = _text(pdf.data)
    for paragraph in PARAGRAPHS:
        assert paragraph.replace(" ", "") in text, paragraph


def test_pdf_has_title_block_metadata_bookmarks_and_embedded_configured_fonts(pdf, project_config):
    reader = PdfReader(io.BytesIO(pdf.data))
    assert reader.metadata.title == "以“党建+安全生产”推动本质安全型企业建设"
    assert reader.metadata.author == "张明远, 李华清"
    assert reader.metadata.subject == "党建+安全生产"
    assert "安全生产" in reader.metadata["/Keywords"]
    assert reader.metadata["/CreationDate"].startswith("D:20221115")
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles[0] == "以“党建+安全生产”推动本质安全型企业建设"
    nested = [entry.title for item in reader.outline if isinstance(item, list) for entry in item
              if not isinstance(entry, list)]
    assert "一、课题背景" in nested and "六、经验启示" in nested
    fonts = embedded_fonts(pikepdf.open(io.BytesIO(pdf.data)))
    assert any("Noto-Serif-CJK-SC" in name for name in fonts) and any("Noto-Sans-CJK-SC" in name for name in fonts)
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font.get_object() else font.get_object()
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is not None:
                descriptor = descriptor.get_object()
                key = next(key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor)
                program = descriptor[key].get_object().get_data()
                assert not is_placeholder(program) and len(program) > 10_000, "font not embedded"
    first_page = reader.pages[0].extract_text()
    assert "课题单位" in first_page and "云岭西南水泥有限公司" in first_page and "摘要" in first_page


def test_pdf_page_numbers_in_chinese_style(pdf):
    reader = PdfReader(io.BytesIO(pdf.data))
    for number, page in enumerate(reader.pages, start=1):
        assert f"—{number}—" in page.extract_text().replace(" ", ""), number
    assert len(reader.pages) == pdf.pages >= 2


def test_running_header_on_every_page_but_the_first(pdf, document, project_config, tmp_path):
    """The header is laid out once, on the unit's page-furniture page, and stamped on pages 2…n; the furniture
    page itself is not in the finished PDF."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.data)

    def top_of_page(number: int) -> str:  # the top margin (37 mm): where the running header is
        result = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-x", "0", "-y", "0", "-W", "600",
                                 "-H", "105", str(path), "-"], capture_output=True, text=True, check=True)
        return re.sub(r"\s+", "", result.stdout)

    header = project_config.brand.organisation + project_config.brand.header_text
    assert pdf.pages >= 2 and len(PdfReader(io.BytesIO(pdf.data)).pages) == pdf.pages
    assert top_of_page(1) == ""
    for number in range(2, pdf.pages + 1):
        assert top_of_page(number) == header + document.meta.title.replace(" ", ""), number
    last = re.sub(r"\s+", "", PdfReader(io.BytesIO(pdf.data)).pages[-1].extract_text())
    assert PARAGRAPHS[-1] in last  # the last page is the report's, not the furniture page


def test_layout_defers_font_programs_and_finishing_embeds_one_subset_per_face(document, project_config):
    """The WeasyPrint hook still takes effect: a unit holds placeholders, a finished PDF real subsets."""
    html = render_report_html(document, project_config)
    unit = render_pdf(html, base_url=VALID.parent, config=project_config, source=VALID, identifier="t/unit")

    def programs(data: bytes) -> dict[tuple, bytes]:
        found = {}
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                    stream = obj.get("/FontFile3") or obj.get("/FontFile2")
                    found[stream.objgen] = stream.read_bytes()
        return found

    assert all(is_placeholder(program) for program in programs(unit.data).values())
    assert len(unit.data) < 200_000  # no font program was written
    finished = report_pdf(document, project_config, timestamp=dt.datetime(2022, 11, 15))
    faces = programs(finished.data)
    assert faces and not any(is_placeholder(program) for program in faces.values())
    assert len(faces) == len(embedded_fonts(pikepdf.open(io.BytesIO(finished.data))))  # one program per face


def test_docx_styles_structure_and_east_asian_fonts(docx_bytes):
    document = docx.Document(io.BytesIO(docx_bytes))
    styles = [paragraph.style.name for paragraph in document.paragraphs]
    assert styles[:2] == ["Report Org Line", "Report Title"]
    assert {"Heading 1", "Heading 2", "Body Text", "List Paragraph", "Quote", "Caption", "Table Caption"} <= set(styles)
    by_text = {paragraph.text: paragraph.style.name for paragraph in document.paragraphs}
    assert by_text["一、课题背景"] == "Heading 1" and by_text["（一）基本情况"] == "Heading 2"
    assert by_text["表1 主要指标对比"] == "Table Caption"
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    for paragraph in PARAGRAPHS[:8]:
        if "%" not in paragraph and paragraph not in ("隐患整改率",):
            assert paragraph in text, paragraph
    table = document.tables[0]
    assert [cell.text for cell in table.rows[0].cells] == ["指标", "辅导前", "辅导后"]
    assert table.rows[1].cells[2].text == "99.1%"
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert len(document.inline_shapes) >= 1
    body_font = document.styles["Body Text"].element.rPr.find(qn("w:rFonts"))
    assert body_font.get(qn("w:eastAsia")) == "Noto Serif CJK SC"
    assert document.styles["Normal"].element.rPr.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert document.styles["Heading 1"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "Noto Sans CJK SC"
    properties = document.core_properties
    assert properties.title == "以“党建+安全生产”推动本质安全型企业建设"
    assert properties.author == "张明远、李华清" and properties.subject == "党建+安全生产"
    assert properties.created == dt.datetime(2022, 11, 15, tzinfo=dt.timezone.utc) and properties.last_modified_by != "python-docx"


def test_docx_lists_use_word_numbering_and_footnotes_are_word_footnotes(docx_bytes):
    archive = zipfile.ZipFile(io.BytesIO(docx_bytes))
    document_xml = archive.read("word/document.xml").decode()
    assert document_xml.count("<w:numPr>") == 7  # 3 ordered items, 2 nested bullets, 2 bullets
    footnotes = archive.read("word/footnotes.xml").decode()
    assert "数据截至2021年12月31日。" in footnotes and "见西南水泥党委工作部年度总结。" in footnotes
    assert document_xml.count("<w:footnoteReference") == 2
    numbering = archive.read("word/numbering.xml").decode()
    assert 'w:numFmt w:val="decimal"' in numbering and 'w:numFmt w:val="bullet"' in numbering
    headers = [name for name in archive.namelist() if name.startswith("word/header")]
    assert headers and any("PAGE" in archive.read(name).decode()
                           for name in archive.namelist() if name.startswith("word/footer"))
    assert "docProps/thumbnail.jpeg" not in archive.namelist()


def test_docx_is_byte_reproducible(document, project_config, docx_bytes):
    again, _problems = render_report_docx(document, report_view(document, project_config), project_config,
                                          timestamp=dt.datetime(2022, 11, 15))
    assert again == docx_bytes


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_converts_the_docx(docx_bytes, tmp_path):
    source = tmp_path / "report.docx"
    source.write_bytes(docx_bytes)
    result = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    text = _text((tmp_path / "report.pdf").read_bytes())
    assert "以“党建+安全生产”推动本质安全型企业建设" in text and "数据截至2021年12月31日。" in text


def test_raw_html_and_template_syntax_stay_literal(project_config, tmp_path):
    from generator.read.reader import draft_from_text

    text = VALID.read_text(encoding="utf-8").replace(
        "title: 以“党建+安全生产”推动本质安全型企业建设", "title: '{{ 7*7 }} <script>alert(1)</script>'").replace(
        "公司下设5个党支部，党员96名。", "公司<b>下设</b>{% raw %}5个{{ config }}党支部<img src=file:///etc/passwd>。")
    doc = parse(draft_from_text(VALID, text), project_config)
    html = render_report_html(doc, project_config)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html
    result = report_pdf(doc, project_config, timestamp=dt.datetime(2022, 11, 15))
    extracted = _text(result.data)
    assert "{{7*7}}<script>alert(1)</script>" in extracted
    assert "公司<b>下设</b>{%raw%}5个{{config}}党支部<imgsrc=file:///etc/passwd>。" in extracted
    assert b"root:x:0:0" not in result.data


def test_parsed_trees_read_back_from_the_build_cache_are_the_trees_parsed(tmp_path):
    """Workers share parsed trees through the build cache: what they read back must be what parsing gives."""
    import xml.etree.ElementTree as etree

    from generator.read.parse import markdown_tree

    from .conftest import REPO

    bodies = [VALID.read_text(encoding="utf-8")] + [path.read_text(encoding="utf-8")
                                                     for path in sorted((REPO / "reports_src" / "2022").glob("r*.md"))]
    for body in bodies:
        parsed, notes = markdown_tree(body)
        markdown_tree(body, store=tmp_path)  # parses and stores
        stored, stored_notes = markdown_tree(body, store=tmp_path)  # reads back
        assert etree.tostring(stored) == etree.tostring(parsed)
        assert [(key, etree.tostring(item)) for key, item in stored_notes] == \
            [(key, etree.tostring(item)) for key, item in notes]
    assert len(list(tmp_path.glob("*.xml"))) == len(set(bodies))


def test_compiled_templates_are_kept_and_a_changed_template_is_compiled_again(tmp_path, monkeypatch):
    """Templates are compiled once into the user cache (every worker's start used to compile them); an edited
    template is never served from the old compiled code, and an unwritable cache is no error."""
    from generator.render.html import template_environment

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html.j2").write_text("<p>{{ text }} 第一版</p>", encoding="utf-8")

    def render() -> str:
        template_environment.cache_clear()  # a new process, as far as Jinja is concerned
        return template_environment(templates).get_template("page.html.j2").render(text="<b>")

    assert render() == "<p>&lt;b&gt; 第一版</p>"
    assert list((tmp_path / "cache" / "reportgen").glob("templates-*/*.cache"))
    assert render() == "<p>&lt;b&gt; 第一版</p>"  # from the compiled code
    (templates / "page.html.j2").write_text("<p>{{ text }} 第二版</p>", encoding="utf-8")
    assert render() == "<p>&lt;b&gt; 第二版</p>"

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("jinja2.bccache.tempfile.NamedTemporaryFile", disk_full)
    (templates / "page.html.j2").write_text("<p>{{ text }} 第三版</p>", encoding="utf-8")
    try:
        assert render() == "<p>&lt;b&gt; 第三版</p>"
    finally:
        template_environment.cache_clear()


def test_the_styled_empty_word_document_is_kept_in_the_user_cache(document, project_config, tmp_path, monkeypatch):
    """A worker's first Word file opens the styled empty document from the user cache instead of styling it; the
    result is the same file as one styled afresh."""
    from generator.render import docx_styles

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    view = report_view(document, project_config)
    outputs = []
    for _process in range(2):
        docx_styles._BASE_DOCUMENTS.clear()  # as in a new process
        data, _problems = render_report_docx(document, view, project_config, timestamp=dt.datetime(2022, 11, 15))
        outputs.append(data)
    kept = list((tmp_path / "reportgen").glob("docx-base-*.docx"))
    assert len(kept) == 1
    kept[0].write_bytes(b"not a zip")  # a damaged entry is styled again, never an error
    docx_styles._BASE_DOCUMENTS.clear()
    outputs.append(render_report_docx(document, view, project_config, timestamp=dt.datetime(2022, 11, 15))[0])
    assert outputs[0] == outputs[1] == outputs[2]
