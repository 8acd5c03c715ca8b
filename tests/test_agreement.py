"""Behaviours that two parts of reportgen once decided each in their own way now have one home and agree."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from generator.core.config import load_config
from generator.read.reader import draft_from_text
from generator.read.volume_source import read_volume_source
from generator.render.volume_pdf import volume_fields
from tests.helpers import corpus_project

VOLUME = "---\ntitle: 汇编\ndate: {date}\n---\n\n## 前言\n\n正文。\n"


@pytest.mark.parametrize(("written", "expected"), [("2022-1-5", dt.date(2022, 1, 5)),
                                                   ("2022-12-01", dt.date(2022, 12, 1))])
def test_a_volume_date_is_read_as_a_report_date_and_printed_as_it_is_stamped(tmp_path, written, expected):
    from generator.read.frontmatter import convert_field

    root = corpus_project(tmp_path, [])
    config = load_config(root / "reportgen.toml")
    path = root / "reports_src" / "2022" / "_volume.md"
    source = read_volume_source(config, "2022", draft_from_text(path, VOLUME.format(date=written)))
    assert source.diagnostics == () and source.date == expected
    # the printed date (the cover's) and the documents' timestamp come from the same reading
    assert volume_fields(config, "2022", source)["date_text"] == f"{expected.year}年{expected.month}月"
    report = draft_from_text(root / "reports_src" / "2022" / "r01.md", f"---\nsubmitted: {written}\n---\n")
    assert convert_field(report.fields["submitted"], config) == (expected, None)


def test_a_volume_date_that_does_not_exist_is_reported_like_a_report_date(tmp_path):
    root = corpus_project(tmp_path, [])
    config = load_config(root / "reportgen.toml")
    path = root / "reports_src" / "2022" / "_volume.md"
    source = read_volume_source(config, "2022", draft_from_text(path, VOLUME.format(date="2022-02-30")))
    assert [(item.code, item.line) for item in source.diagnostics] == [("FM109", 3)]
    assert source.date is None
    assert volume_fields(config, "2022", source)["date_text"] == "2022"


def _build(root, *args, monkeypatch, capsys):
    from generator.cli import main

    monkeypatch.chdir(root)
    code = main(["build", "--jobs", "1", "--to", "pdf", *args])
    capsys.readouterr()
    return code, json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))


def test_a_damaged_output_is_made_again_whether_a_report_or_a_volume(tmp_path, monkeypatch, capsys):
    """Reuse of a report and of a volume asks the same question of a file (`store.intact`: size and SHA-256)."""
    root = corpus_project(tmp_path, ["r02"])
    code, first = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and first["volumes"][0]["result"] == "built"
    for path in (root / "output" / "2022" / "volume.pdf", root / "output" / "2022" / "reports" / "r02.pdf"):
        data = path.read_bytes()
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # same size, other bytes
    code, second = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0
    assert second["reports"][0]["result"] == "built" and second["volumes"][0]["result"] == "built"
    (root / "output" / "2022" / "volume.pdf").write_bytes(b"%PDF-1.7 short")  # another size
    code, third = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert third["reports"][0]["result"] == "reused" and third["volumes"][0]["result"] == "built"


@pytest.mark.parametrize("name", ["_volume.md", "r02.md"])
def test_severity_overrides_apply_to_a_volume_as_to_a_report(tmp_path, monkeypatch, capsys, name):
    """An unknown field fails a report and a volume alike, and `off` lets both through."""
    root = corpus_project(tmp_path, ["r02"])
    draft = root / "reports_src" / "2022" / name
    draft.write_text(draft.read_text(encoding="utf-8").replace("---\n", "---\nreviewer_note: 待定\n", 1),
                     encoding="utf-8")
    code, manifest = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    failed = manifest["volumes"][0] if name == "_volume.md" else manifest["reports"][0]
    assert code == 1 and failed["result"] == "failed"
    assert "FM106" in {item["code"] for item in failed["diagnostics"]}
    config = root / "reportgen.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[check.severity]\n", '[check.severity]\nFM106 = "off"\n', 1),
                      encoding="utf-8")
    code, manifest = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0
    assert manifest["reports"][0]["result"] == "built" and manifest["volumes"][0]["result"] == "built"
    assert not any(item["code"] == "FM106" for item in manifest["volumes"][0]["diagnostics"])
