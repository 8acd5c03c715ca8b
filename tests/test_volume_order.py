"""`volume_order` (issue 17): an optional front-matter field, a positive whole number, that places a report
within its theme in the volume before the reports without one (then submission date, then id)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import pytest

import generator
from generator.cli import main
from generator.core.config import KNOWN_FIELDS
from generator.core.i18n import messages_in
from generator.core.model import Document, Draft, FieldValue, Position, ReportMeta
from generator.read.frontmatter import convert_field
from generator.render.volume_plan import theme_groups

from .helpers import corpus_project


def _field(value) -> FieldValue:
    return FieldValue("volume_order", value, Position(12, 1), Position(12, 15))


@pytest.mark.parametrize("value,expected", [("1", 1), ("12", 12), (" 3 ", 3)])
def test_a_positive_whole_number_converts(project_config, value, expected):
    assert "volume_order" in KNOWN_FIELDS
    assert convert_field(_field(value), project_config) == (expected, None)


@pytest.mark.parametrize("value,shown", [("0", "'0'"), ("abc", "'abc'"), ("-2", "'-2'"), ("1.5", "'1.5'"),
                                         ("", "''"), (["1"], "列表")])
def test_anything_else_is_fm107_with_a_precise_message(project_config, value, shown):
    with messages_in("zh_CN"):
        converted, problem = convert_field(_field(value), project_config)
    assert converted is None
    assert problem.code == "FM107" and problem.position == Position(12, 15)
    assert problem.message == f"字段“volume_order”应为正整数（如 1、2、3），实际为 {shown}"


def test_check_reports_a_wrong_volume_order_at_its_value(project_config):
    path = project_config.sources_dir / "2022" / "r02.md"
    text = (Path(__file__).parents[1] / "reports_src" / "2022" / "r02.md").read_text(encoding="utf-8")
    for value, codes in (("2", []), ("0", ["FM107"]), ("abc", ["FM107"])):
        changed = text.replace("\n---\n", f"\nvolume_order: {value}\n---\n", 1)
        line = changed.split("\n").index(f"volume_order: {value}") + 1
        found = [(item.code, item.line, item.col) for item in
                 generator.check_text(changed, path=path, config=project_config) if item.code.startswith("FM1")]
        assert found == [(code, line, 15) for code in codes], value
        meta = generator.parse_text(changed, path=path, config=project_config).meta
        assert meta.volume_order == (2 if value == "2" else None)


def _doc(report_id: str, submitted: str, order: int | None, theme: str = "党建+绿色发展") -> Document:
    draft = Draft(path=Path(f"{report_id}.md"), report_id=report_id, year_dir="2022", text="", fields={}, body="",
                  body_line=1)
    return Document(draft=draft, meta=ReportMeta(theme=theme, submitted=dt.date.fromisoformat(submitted),
                                                  volume_order=order), outline=())


def test_theme_groups_place_the_ordered_reports_first_then_by_date_and_id(project_config):
    docs = [_doc("a", "2022-10-01", None), _doc("b", "2022-11-01", 2), _doc("c", "2022-12-01", 1),
            _doc("d", "2022-09-01", None), _doc("e", "2022-09-01", None), _doc("f", "2022-08-01", 2),
            _doc("g", "2022-01-01", None, theme="党建+安全生产")]
    groups = {theme: [doc.report_id for doc in members] for theme, members in theme_groups(project_config, docs)}
    assert groups == {"党建+安全生产": ["g"], "党建+绿色发展": ["c", "f", "b", "d", "e", "a"]}
    # without any volume_order: submission date, then id, as before
    plain = [_doc("a", "2022-10-01", None), _doc("b", "2022-09-01", None), _doc("c", "2022-09-01", None)]
    assert [doc.report_id for doc in theme_groups(project_config, plain)[0][1]] == ["b", "c", "a"]


def test_set_front_matter_value_adds_and_removes_a_field(project_config):
    path = project_config.sources_dir / "2022" / "r90.md"
    text = "---\ntitle: 标题\nstatus: 草稿   # 工作流\n---\n\n正文 volume_order: 1\n"
    added = generator.set_front_matter_value(text, "volume_order", "3", path=path, config=project_config, add=True)
    assert added == text.replace("工作流\n---", "工作流\nvolume_order: 3\n---", 1)
    changed = generator.set_front_matter_value(added, "volume_order", "10", path=path, config=project_config)
    assert changed == added.replace("volume_order: 3", "volume_order: 10")
    assert generator.set_front_matter_value(changed, "volume_order", None, path=path, config=project_config) == text
    assert generator.set_front_matter_value(text, "volume_order", None, path=path, config=project_config) == text
    with pytest.raises(generator.ReportgenError):   # without add=True a missing field is still an error
        generator.set_front_matter_value(text, "volume_order", "3", path=path, config=project_config)


def _set_order(root: Path, report_id: str, order: int | None) -> None:
    path = root / "reports_src" / "2022" / f"{report_id}.md"
    config = generator.load_config(root / "reportgen.toml")
    text = path.read_text(encoding="utf-8")
    path.write_text(generator.set_front_matter_value(text, "volume_order", None if order is None else str(order),
                                                     path=path, config=config, add=True), encoding="utf-8")


def _toc_order(pdf: Path, titles: dict[str, str]) -> list[str]:
    """The report ids in the order the volume's table of contents lists their titles (pdftotext)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.split("\f")
    toc = next(text for page in pages if "目录" in (text := re.sub(r"\s+", "", page)) and re.search(r"\.{5,}\d", text))
    found = {report_id: toc.find(re.sub(r"\s+", "", title)[:12]) for report_id, title in titles.items()}
    assert all(index >= 0 for index in found.values()), (found, toc[:400])
    return sorted(found, key=found.get)


def _docx_contents_order(path: Path, titles: dict[str, str]) -> list[str]:
    """The report ids in the order the Word volume's contents first name their titles."""
    import docx

    text = re.sub(r"\s+", "", "".join(paragraph.text for paragraph in docx.Document(str(path)).paragraphs))
    found = {report_id: text.find(re.sub(r"\s+", "", title)[:12]) for report_id, title in titles.items()}
    assert all(index >= 0 for index in found.values()), found
    return sorted(found, key=found.get)


def test_the_volume_and_its_contents_follow_volume_order(tmp_path, monkeypatch, capsys):
    """Three approved reports of one theme (submitted r25, r17, r06): ordered r06, r25 by volume_order, r17
    after them; then clearing r06's order puts it last, and the volume is rebuilt (its key holds the drafts'
    bytes through the reports' keys)."""
    ids = ["r25", "r17", "r06"]
    root = corpus_project(tmp_path, ids)
    _set_order(root, "r06", 1)
    _set_order(root, "r25", 2)
    titles = {report_id: generator.parse_text(
        (path := root / "reports_src" / "2022" / f"{report_id}.md").read_text(encoding="utf-8"), path=path,
        config=generator.load_config(root / "reportgen.toml")).meta.title for report_id in ids}
    monkeypatch.chdir(root)

    def build():
        code = main(["build", "--jobs", "1"])
        out, _err = capsys.readouterr()
        assert code == 0, out
        return json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))["volumes"][0]

    volume = build()
    assert [entry["id"] for entry in volume["reports"]] == ["r06", "r25", "r17"]
    assert _toc_order(root / "output" / "2022" / "volume.pdf", titles) == ["r06", "r25", "r17"]
    assert _docx_contents_order(root / "output" / "2022" / "volume.docx", titles) == ["r06", "r25", "r17"]
    pages = [entry["start_page"] for entry in volume["reports"]]
    assert pages == sorted(pages)

    _set_order(root, "r06", None)
    volume = build()
    assert volume["result"] == "built"
    assert [entry["id"] for entry in volume["reports"]] == ["r25", "r17", "r06"]
    assert _toc_order(root / "output" / "2022" / "volume.pdf", titles) == ["r25", "r17", "r06"]
    assert _docx_contents_order(root / "output" / "2022" / "volume.docx", titles) == ["r25", "r17", "r06"]
