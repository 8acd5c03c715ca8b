"""The Word volume joined from the reports' kept segments (`render/docx_segments.py`): a segment is the same bytes
whichever writer made it, the joined package is sound (every id unique, every reference resolved), an edit makes
only its report's segment again, and a damaged segment is made again rather than trusted."""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
import shutil
import zipfile
from io import BytesIO

import pytest
from lxml import etree

from generator.cli import main
from generator.core.config import load_config
from generator.read.parse import parse
from generator.read.reader import read_draft
from generator.read.registry import load_registry
from generator.read.volume_source import read_volume_source
from generator.render import docx_segments
from generator.render.docx import render_report_docx
from generator.render.docx_segments import extract_segment, make_segment
from generator.render.html import report_view
from generator.render.volume_docx import render_volume_docx
from generator.render.volume_pdf import render_volume_pdf

from .helpers import corpus_project

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
STAMP = dt.datetime(2023, 1, 1)

# A draft with what a segment renumbers: footnotes (one with a link), two numbered lists and a bulleted one, an
# image, a link in the text.
RICH = """---
id: r90
title: 党建引领技能培养的实践与思考
company: 西南水泥有限公司
counselors: [张明]
theme: 党建+技能培养
status: 已审核
submitted: 2022-11-30
summary: 以党建带动班组技能提升。
keywords: [技能培养, 党建]
---

## 一、基本情况

公司开展“师带徒”活动[^1]，详见[集团网站](https://www.example.com/skills)。

1. 建立导师库；
2. 制定培养计划。

- 每月一次技能比武
- 每季度一次评优

![培训现场](assets/chart-training.png)

## 二、主要做法

3. 第三项从三开始；
4. 第四项。

再补充一条说明[^2]。

[^1]: 参见《技能人才培养办法》，<https://www.example.com/rules>。
[^2]: 数据来自人力资源部。
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return corpus_project(tmp_path, ["r01", "r03", "r05", "r06"])


def _docs(root, config, ids):
    return [parse(read_draft(root / "reports_src" / "2022" / f"{rid}.md"), config) for rid in ids]


def _with_rich_draft(root) -> None:
    assets = root / "reports_src" / "2022" / "assets"
    if not (assets / "chart-training.png").exists():
        source = next(assets.glob("*.png"))
        (assets / "chart-training.png").write_bytes(source.read_bytes())
    (root / "reports_src" / "2022" / "r90.md").write_text(RICH, encoding="utf-8")


def test_a_segment_is_the_same_bytes_from_the_reports_own_writer_and_made_afresh(project):
    """The worker keeps the blocks of the report's own DOCX (after its running header, with other relationship
    ids); the volume makes a missing one with a writer of its own: canonical ids make them one segment."""
    _with_rich_draft(project)
    config = load_config(project / "reportgen.toml")
    for doc in _docs(project, config, ["r01", "r05", "r90"]):
        view = report_view(doc, config)
        kept = []
        render_report_docx(doc, view, config, timestamp=STAMP,
                           keep=lambda writer, before, kept=kept: kept.append(extract_segment(writer, before)))
        afresh = make_segment(doc, view, config)
        assert kept[0].to_bytes("k") == afresh.to_bytes("k"), doc.report_id
        assert docx_segments.WordSegment.from_bytes(afresh.to_bytes("k"), "k") == afresh
        assert docx_segments.WordSegment.from_bytes(afresh.to_bytes("k"), "other") is None
    rich = make_segment(doc, view, config)
    assert rich.notes == 2 and rich.numbers == 2 and rich.drawings == 2  # the title block's logo, the image
    assert [kind for kind, _target in rich.links] == ["image", "link", "image", "note-link"]


def _sound(data: bytes) -> dict:
    """Every id the volume must hold once is held once, and everything referred to is there."""
    package = zipfile.ZipFile(BytesIO(data))
    document = etree.fromstring(package.read("word/document.xml"))
    rels = {rel.get("Id"): rel for rel in etree.fromstring(package.read("word/_rels/document.xml.rels"))}
    note_rels = ({rel.get("Id"): rel for rel in etree.fromstring(package.read("word/_rels/footnotes.xml.rels"))}
                 if "word/_rels/footnotes.xml.rels" in package.namelist() else {})
    footnotes = etree.fromstring(package.read("word/footnotes.xml"))
    numbering = etree.fromstring(package.read("word/numbering.xml"))

    notes = [note.get(W + "id") for note in footnotes.iter(W + "footnote")]
    assert len(notes) == len(set(notes))
    references = [ref.get(W + "id") for ref in document.iter(W + "footnoteReference")]
    assert len(references) == len(set(references)) and set(references) <= set(notes)
    nums = [num.get(W + "numId") for num in numbering.iter(W + "num")]
    assert len(nums) == len(set(nums))
    assert {num.get(W + "val") for num in document.iter(W + "numId")} <= set(nums)
    drawings = [element.get("id") for element in document.iter(
        "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")]
    assert drawings and len(drawings) == len(set(drawings))
    for part, known in ((document, rels), (footnotes, note_rels)):
        for element in part.iter():
            for name in (R + "id", R + "embed"):
                if element.get(name) is not None:
                    assert element.get(name) in known, element.get(name)
    names = {target.get("Target") for target in rels.values()}
    assert all(posixpath.normpath(f"word/{target.get('Target')}") in package.namelist() for target in rels.values()
               if target.get("TargetMode") != "External")
    marks = [mark.get(W + "name") for mark in document.iter(W + "bookmarkStart")]
    assert len(marks) == len(set(marks))
    starts = [mark.get(W + "id") for mark in document.iter(W + "bookmarkStart")]
    assert len(starts) == len(set(starts))
    assert sorted(starts) == sorted(end.get(W + "id") for end in document.iter(W + "bookmarkEnd"))
    pagerefs = re.findall(r"PAGEREF (\S+)", "".join(text.text or "" for text in document.iter(W + "instrText")))
    assert pagerefs and set(pagerefs) <= set(marks)
    assert b"reportgen-segment" not in package.read("word/document.xml")
    return {"names": names, "notes": footnotes, "document": document, "note_rels": note_rels}


def test_the_joined_volume_is_sound_and_holds_every_reports_blocks(project):
    _with_rich_draft(project)
    config = load_config(project / "reportgen.toml")
    docs = _docs(project, config, ["r01", "r03", "r05", "r90"])
    source = read_volume_source(config, "2022")
    plan = render_volume_pdf(config, "2022", docs, source, load_registry(config.registry_path), timestamp=STAMP,
                             assemble_pdf=False, page_counts={str(doc.path): 4 for doc in docs})
    data, _problems = render_volume_docx(config, "2022", docs, source, plan, timestamp=STAMP)
    found = _sound(data)
    text = "".join(found["document"].itertext())
    for doc in docs:
        assert doc.meta.title in text
    assert "建立导师库" in text and "第三项从三开始" in text
    notes = "".join(found["notes"].itertext())
    assert "技能人才培养办法" in notes and "数据来自人力资源部" in notes
    assert any(rel.get("Target") == "https://www.example.com/rules" for rel in found["note_rels"].values())
    assert any(rel.get("Target") == "https://www.example.com/skills" for rel in etree.fromstring(
        zipfile.ZipFile(BytesIO(data)).read("word/_rels/document.xml.rels")))
    # the second numbered list starts at 3, the first at 1: their numbers are distinct w:num with their starts
    numbering = etree.fromstring(zipfile.ZipFile(BytesIO(data)).read("word/numbering.xml"))
    starts = [override.get(W + "val") for override in numbering.iter(W + "startOverride")]
    assert "3" in starts and "1" in starts
    # the same volume from segments made by the reports' own writers (as a build's workers keep them)
    kept = {}
    for doc in docs:
        view = report_view(doc, config)
        render_report_docx(doc, view, config, timestamp=STAMP,
                           keep=lambda writer, before, doc=doc: kept.__setitem__(doc.report_id,
                                                                                   extract_segment(writer, before)))
    again, _problems = render_volume_docx(config, "2022", docs, source, plan, timestamp=STAMP,
                                          segments=lambda doc, view: kept[doc.report_id])
    assert again == data


def _build(root, monkeypatch, capsys) -> bytes:
    monkeypatch.chdir(root)
    code = main(["build", "--jobs", "2"])
    out, _err = capsys.readouterr()
    assert code == 0, out
    return (root / "output" / "2022" / "volume.docx").read_bytes()


def _kept(units) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in units.glob("*.wordseg")}


def test_an_edit_makes_only_its_reports_segment_and_a_damaged_one_is_made_again(project, tmp_path, monkeypatch,
                                                                                 capsys):
    first = _build(project, monkeypatch, capsys)
    _sound(first)
    units = project / "output" / ".cache" / "2022" / "units"
    before = _kept(units)
    manifest = json.loads((project / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert len(before) == len(manifest["volumes"][0]["reports"]) == 4  # one for each report of the volume

    path = project / "reports_src" / "2022" / "r05.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n本段为测试添加的一句话。\n", encoding="utf-8")
    edited = _build(project, monkeypatch, capsys)
    after = _kept(units)
    kept = set(before) & set(after)
    assert len(kept) == 3 and len(after) == 4                 # the edited report's old segment is pruned
    assert all(before[name] == after[name] for name in kept)  # the others are not even written again
    assert "本段为测试添加的一句话" in "".join(etree.fromstring(
        zipfile.ZipFile(BytesIO(edited)).read("word/document.xml")).itertext())

    # Every kept segment damaged (a byte in the middle changed): found out by the CRCs, made again, and the
    # volume is a cold build's.
    for victim in units.glob("*.wordseg"):
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0x55
        victim.write_bytes(bytes(data))
    path.write_text(path.read_text(encoding="utf-8") + "\n再加一句。\n", encoding="utf-8")
    again = _build(project, monkeypatch, capsys)
    assert not set(_kept(units).items()) & set(after.items())
    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns("output"))
    assert again == _build(fresh, monkeypatch, capsys)
    _sound(again)


def test_a_build_without_the_volume_keeps_what_the_volume_is_made_from(project, monkeypatch, capsys):
    """`--no-volume` leaves the volume's kept units and segments (its last record names them) for the next
    volume: it is not laid out and joined again from nothing."""
    _build(project, monkeypatch, capsys)
    units = project / "output" / ".cache" / "2022" / "units"
    kept = {path.name for path in units.iterdir()}
    assert any(name.endswith(".pdfseg") for name in kept) and any(name.endswith(".wordseg") for name in kept)
    path = project / "reports_src" / "2022" / "r06.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n本段为测试添加的一句话。\n", encoding="utf-8")
    assert main(["build", "--jobs", "2", "--no-volume"]) == 0
    capsys.readouterr()
    after = {path.name for path in units.iterdir()}
    volume = {name for name in kept if name.endswith((".pdfseg", ".segment", ".wordseg"))}
    assert volume <= after
