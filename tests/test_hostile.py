"""Hostile drafts (tests/hostile/) built unattended: bounded time, no traceback, the expected diagnostic,
no byte of a secret outside the project in any output (decompressed PDF streams and DOCX parts included),
and no PDF attachment."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from .helpers import corpus_project

HOSTILE = Path(__file__).parent / "hostile"
CANARY = b"CANARY-3f9d2b7a-DO-NOT-LEAK"
# draft id -> (expected result, a code that must be reported)
EXPECTED = {
    "h01_file_url_image": ("failed", "AST501"), "h02_http_image": ("failed", "AST501"),
    "h03_data_uri_image": ("failed", "AST501"), "h04_traversal_image": ("failed", "AST501"),
    "h05_dev_zero_image": ("failed", "AST501"), "h06_symlink_image": ("failed", "AST501"),
    "h07_link_attachment": ("built", "AST504"), "h08_style_import": ("built", "AST504"),
    "h09_img_tag_file": ("built", "AST504"), "h10_deep_list": ("failed", "RND605"),
    "h11_nested_quotes": ("failed", "RND605"), "h12_huge_table": ("failed", "RND606"),
    "h13_cdata": ("built", "AST504"), "h14_spaces_after_fence": ("built", None),
    "h15_control_characters": ("built", "TXT409"), "h16_template_syntax": ("built", "AST504"),
    "h17_alias_bomb": ("failed", "FM111"), "h18_python_tag": ("failed", "FM112"),
    "h19_huge_image": ("failed", "AST503"), "h20_broken_image": ("failed", "AST503"),
    "h21_bidi_zero_width": ("built", "TXT408"), "h22 unsafe id": ("failed", "FM117"),
    "h23_file_links": ("built", None), "h24_svg_image": ("failed", "AST503"),
    "h25_oversized": ("failed", "FM118"),
}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    outside = tmp / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_bytes(CANARY + b"\n")
    root = corpus_project(tmp, [])
    drafts = root / "reports_src" / "2022"
    for path in sorted(HOSTILE.glob("h*.md")):
        text = path.read_text(encoding="utf-8").replace("@@SECRET@@", str(secret))
        (drafts / path.name).write_text(text, encoding="utf-8")
    (drafts / "h25_oversized.md").write_text((HOSTILE / "h14_spaces_after_fence.md").read_text(encoding="utf-8")
                                             + "占" * 800_000, encoding="utf-8")
    assets = drafts / "assets"
    Image.new("1", (12000, 12000)).save(assets / "huge.png")
    good = io.BytesIO()
    Image.new("RGB", (300, 200), "blue").save(good, "PNG")
    (assets / "broken.png").write_bytes(good.getvalue()[:200])
    (assets / "evil.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><image href="file://{secret}"/></svg>')
    os.symlink(secret, assets / "link.png")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--jobs", "2", "--format", "json"],
                            cwd=root, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    return result, elapsed, manifest, root


def test_hostile_build_is_bounded_and_has_no_traceback(hostile_build):
    result, elapsed, manifest, _root = hostile_build
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert elapsed < 180
    assert len(list(HOSTILE.glob("h*.md"))) >= 20


@pytest.mark.parametrize("report_id", sorted(EXPECTED))
def test_each_hostile_draft_gets_the_expected_result_and_diagnostic(hostile_build, report_id):
    _result, _elapsed, manifest, _root = hostile_build
    report = next(r for r in manifest["reports"] if r["id"] == report_id)
    expected_result, code = EXPECTED[report_id]
    assert report["result"] == expected_result, report["diagnostics"]
    codes = {d["code"] for d in report["diagnostics"]}
    if code:
        assert code in codes, codes
    assert not {"INT901", "RND601"} & codes


def _pdf_payloads(path: Path):
    reader = PdfReader(path)
    yield path.read_bytes()
    numbers = set(reader.xref_objStm)
    for entries in reader.xref.values():
        numbers |= set(entries)
    assert numbers
    for number in sorted(numbers):
        obj = reader.get_object(IndirectObject(number, 0, reader))
        if obj is None:
            continue
        if isinstance(obj, StreamObject):
            yield obj.get_data()
        else:
            yield repr(obj).encode("utf-8", "replace")


def test_no_canary_in_any_output_and_no_attachment(hostile_build):
    _result, _elapsed, _manifest, root = hostile_build
    outputs = [path for path in (root / "output").rglob("*") if path.suffix in (".pdf", ".docx")]
    assert any(path.suffix == ".pdf" for path in outputs)
    for path in outputs:
        if path.suffix == ".pdf":
            reader = PdfReader(path)
            assert "/EmbeddedFiles" not in (reader.trailer["/Root"].get("/Names") or {})
            assert not reader.attachments
            for page in reader.pages:
                for annotation in page.get("/Annots") or []:
                    assert annotation.get_object().get("/Subtype") != "/FileAttachment"
            for payload in _pdf_payloads(path):
                assert CANARY not in payload, path
            for page in reader.pages:  # text is stored as glyph ids: look at the extracted text too
                assert CANARY.decode() not in page.extract_text(), path
        else:
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    assert CANARY not in archive.read(name), (path, name)


def test_the_canary_scan_finds_a_leak_when_there_is_one(tmp_path):
    import weasyprint

    leaky = tmp_path / "leaky.pdf"
    weasyprint.HTML(string=f"<p>{CANARY.decode()}</p>").write_pdf(leaky, attachments=[
        weasyprint.Attachment(string=CANARY.decode(), name="secret.txt")])
    reader = PdfReader(leaky)
    assert reader.attachments
    assert any(CANARY in payload for payload in _pdf_payloads(leaky))
    assert CANARY.decode() in reader.pages[0].extract_text()


def test_template_syntax_and_markup_are_printed_literally(hostile_build):
    _result, _elapsed, _manifest, root = hostile_build
    reader = PdfReader(root / "output" / "2022" / "reports" / "h16_template_syntax.pdf")
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")
    assert "{{7*7}}<script>alert(1)</script>" in text
    assert "{{config}}{%include'/etc/passwd'%}" in text
    import docx

    document = docx.Document(root / "output" / "2022" / "reports" / "h16_template_syntax.docx")
    assert document.paragraphs[1].text == "{{ 7*7 }} <script>alert(1)</script>"
    assert document.core_properties.title == "{{ 7*7 }} <script>alert(1)</script>"
