"""Issue 18 in the workspace: a .docx uploaded on the New report page is converted, shown with its diagnostics
for review, and becomes a draft (with its images) only when the reviewed text is saved."""

from __future__ import annotations

import io
import re

import pytest


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (179, 38, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _docx(counselor: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("以“党建+三精管理”推动云岭公司降本增效", style="Title")
    for line in ("课题单位：云岭西南水泥有限公司", f"辅导员：{counselor}", "课题主题：党建+三精管理"):
        document.add_paragraph(line)
    for number, title in zip("一二三四五六", ["课题背景", "问题分析", "辅导过程", "主要做法", "取得成效", "经验启示"]):
        document.add_heading(f"{number}、{title}", level=1)
        document.add_paragraph("云岭公司以工序成本核算为抓手，吨熟料标准煤耗下降3.3kgce/t。")
    document.add_picture(io.BytesIO(_png()))
    document.add_paragraph("图1 云岭公司吨熟料煤耗变化")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_docx_is_shown_for_review_and_saved_as_a_new_draft(client_as, sources):
    client = client_as("owner")
    response = client.post("/import/", {"year": "2022", "report_id": "r97", "docx": _upload("报告.docx", _docx("周文博"))})
    page = response.content.decode("utf-8")
    assert response.status_code == 200 and 'id="imported-draft"' in page
    assert "## 一、课题背景" in page and "![图1 云岭公司吨熟料煤耗变化](assets/r97-1.png)" in page
    assert 'data-code="IMP706"' in page and "submitted" in page   # the date is not in the document: reported
    assert 'data-code="AST501"' not in page                        # the picture waits to be saved with the draft
    assert not (sources / "2022" / "r97.md").exists() and not (sources / "2022" / "assets" / "r97-1.png").exists()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    text = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    import html

    text = html.unescape(text).replace("submitted: \"\"", "submitted: 2022-11-30")
    # another account cannot save someone else's import
    assert client_as("other").post("/import/", {"token": token, "year": "2022", "report_id": "r97",
                                                "text": text}).status_code == 403
    response = client.post("/import/", {"token": token, "year": "2022", "report_id": "r97", "text": text})
    assert response.status_code == 302 and response["Location"].endswith("/r/2022/r97/")
    assert (sources / "2022" / "r97.md").read_text(encoding="utf-8") == text
    assert (sources / "2022" / "assets" / "r97-1.png").read_bytes() == _png()
    # saving the same import again never overwrites the draft
    response = client.post("/import/", {"token": token, "year": "2022", "report_id": "r97", "text": text + "x"})
    assert response.status_code == 404 or "already exists" in response.content.decode() or \
        "已存在" in response.content.decode()
    assert (sources / "2022" / "r97.md").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("name, data", [
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
    ("wps.docx", b'<?xml version="1.0"?><w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"/>'),
    ("../../escape.docx", b"PK\x03\x04 not really a zip"),
])
def test_files_that_are_not_docx_are_refused_in_chinese(client_as, sources, name, data):
    response = client_as("owner").post("/import/", {"year": "2022", "docx": _upload(name, data)})
    page = response.content.decode("utf-8")
    assert response.status_code == 400 and "请另存为 .docx 格式" in page and "Traceback" not in page
    assert len(list((sources / "2022").glob("r*.md"))) == 28   # nothing was written


def test_anonymous_users_cannot_import(client_as):
    response = client_as(None).post("/import/", {"year": "2022", "docx": _upload("a.docx", _docx("周文博"))})
    assert response.status_code in (302, 403)


def test_a_document_over_the_size_cap_is_refused_unread(client_as, sources):
    from generator.web import views

    big = b"PK\x03\x04" + b"\x00" * (views.IMPORT_MAX_BYTES + 10)
    response = client_as("owner").post("/import/", {"year": "2022", "docx": _upload("big.docx", big)})
    assert response.status_code == 400 and "20 MB" in response.content.decode("utf-8")
    assert len(list((sources / "2022").glob("r*.md"))) == 28
