"""Rendering options and guarantees: PDF/A-3b, a user's reference.docx, CJK soft line breaks, time limits,
and `reportgen doctor`."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import time

import docx
import pikepdf
from docx.shared import Pt
from pypdf import PdfReader

from generator.cli import main
from generator.core.config import load_config
from generator.read.parse import parse
from generator.read.reader import draft_from_text, read_draft
from generator.render.docx import render_report_docx
from generator.render.html import report_view
from generator.render.units import report_pdf

from .conftest import PROJECT, REPO

VALID = PROJECT / "reports_src" / "2022" / "valid.md"


def _pdf(doc, config) -> bytes:
    return report_pdf(doc, config, timestamp=dt.datetime(2022, 11, 15)).data


def test_pdf_a3b_variant_from_configuration(project_config):
    config = project_config.model_copy(update={
        "brand": project_config.brand.model_copy(update={"pdf_variant": "pdf/a-3b"})})
    reader = PdfReader(io.BytesIO(_pdf(parse(read_draft(VALID), config), config)))
    root = reader.trailer["/Root"]
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    metadata = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in metadata and b'pdfaid:conformance="B"' in metadata


def test_pdf_ua_structure_refers_only_to_pages_of_the_report(project_config):
    """The page furniture's page is removed when a report is finished, and so is its element in the structure."""
    config = project_config.model_copy(update={
        "brand": project_config.brand.model_copy(update={"pdf_variant": "pdf/ua-1"})})
    with pikepdf.open(io.BytesIO(_pdf(parse(read_draft(VALID), config), config))) as pdf:
        pages = {page.objgen for page in pdf.pages}
        referenced, stack = [], [pdf.Root.StructTreeRoot]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
            elif isinstance(node, pikepdf.Dictionary) and node.get("/Type") != "/Page":
                if "/Pg" in node:
                    referenced.append(node.Pg.objgen)
                stack.extend(value for key, value in node.items() if key == "/K")
        assert referenced and set(referenced) <= pages


def test_cjk_soft_line_breaks_are_joined_in_pdf_and_docx(project_config):
    text = VALID.read_text(encoding="utf-8").replace("公司下设5个党支部，党员96名。", "厚德\n载物，自强\n不息 and\nmore。")
    doc = parse(draft_from_text(VALID, text), project_config)
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(_pdf(doc, project_config))).pages)
    assert "厚德载物，自强不息 and more。" in pdf_text
    data, _problems = render_report_docx(doc, report_view(doc, project_config), project_config,
                                         timestamp=dt.datetime(2022, 1, 1))
    assert "厚德载物，自强不息 and more。" in [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def test_reference_docx_provides_the_styles(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    reference = docx.Document()
    body = reference.styles["Body Text"]
    body.font.size = Pt(15)
    body.font.name = "AR PL UKai CN"
    reference.add_paragraph("this content is dropped")
    reference.save(templates / "reference.docx")
    config_text = (PROJECT / "reportgen.toml").read_text(encoding="utf-8").replace(
        'templates = "../../templates"', f'templates = "{templates}"')
    (tmp_path / "reportgen.toml").write_text(config_text, encoding="utf-8")
    config = load_config(tmp_path / "reportgen.toml").model_copy(update={"root": PROJECT})
    doc = parse(read_draft(VALID), config)
    data, _problems = render_report_docx(doc, report_view(doc, config), config, timestamp=dt.datetime(2022, 1, 1))
    result = docx.Document(io.BytesIO(data))
    assert result.styles["Body Text"].font.size == Pt(15)
    assert "this content is dropped" not in [p.text for p in result.paragraphs]
    assert result.styles["Report Title"] is not None  # missing house styles are added


def test_a_render_over_its_time_limit_fails_alone(project_config):
    from generator.build import worker
    worker.initialise(project_config, "zh_CN")
    started = time.monotonic()
    message = worker.limited(time.sleep, 1, VALID, 30)
    assert time.monotonic() - started < 5
    assert message == "排版超过 1 秒，已中止"
    assert worker.limited(lambda: "done", 5, VALID) == "done"


def test_doctor_reports_versions_fonts_and_smoke_render(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for item in ("WeasyPrint", "Pango", "python-docx", "HarfBuzz", "Noto Serif CJK SC", "AR PL UKai CN", "单页试排"):
        assert item in out
    assert "[ERR]" not in out
