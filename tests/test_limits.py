"""Structural limits: a pathological draft is refused before it is parsed or rendered, naming the limit and the
line (check.max_*), and gets no other diagnostic."""

from __future__ import annotations

import pytest

from .conftest import RULE_FIXTURES

BASE = RULE_FIXTURES / "TXT410_glyph_not_in_font.md"  # a valid draft but for its one 😀, removed below
ANCHOR = "## 二、问题分析"


def _draft(tmp_path, insert: str = "", title: str | None = None):
    text = BASE.read_text(encoding="utf-8").replace("😀", "")
    if title is not None:
        text = text.replace("title: 以“党建+安全生产”推动本质安全型企业建设", f"title: {title}")
    text = text.replace(ANCHOR, insert + "\n\n" + ANCHOR, 1)
    path = tmp_path / "r01.md"
    path.write_text(text, encoding="utf-8")
    return path, text


CASES = {
    "list items": ("RND610", "\n".join(["- 项"] * 2001), "2000"),
    "footnotes": ("RND611", "正文" + "".join(f"[^{n}]" for n in range(301)) + "\n\n"
                  + "\n".join(f"[^{n}]: 注" for n in range(301)), "300"),
    "nested brackets": ("RND612", "[" * 40 + "字" + "]" * 40, "32"),
    "emphasis run": ("RND612", "*" * 40 + "字" + "*" * 40, "32"),
    "lines": ("RND609", "\n".join(["正文。"] * 10_001), "10000"),
    "line length": ("RND613", "a" * 10_001, "10000"),
    "nested quotes": ("RND605", "> " * 13 + "引文", "12"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_draft_over_a_structural_limit_is_refused_with_that_limit_alone(name, tmp_path, check_file):
    code, insert, limit = CASES[name]
    path, text = _draft(tmp_path, insert)
    found = check_file(path)
    assert [item.code for item in found] == [code], found
    assert limit in found[0].message
    assert 1 <= found[0].line <= text.count("\n") + 1


def test_a_title_over_the_limit_is_refused(tmp_path, check_file):
    path, _text = _draft(tmp_path, title="以" + "党建" * 60 + "推动工作")
    found = check_file(path)
    assert [(item.code, item.line) for item in found] == [("FM126", 2)], found
    assert "100" in found[0].message


def test_a_draft_within_every_limit_gets_none_of_them(tmp_path, check_file):
    path, _text = _draft(tmp_path, "\n".join(["- 项"] * 100) + "\n\n" + "[" * 5 + "字" + "]" * 5)
    assert not [item for item in check_file(path) if item.code in {"RND609", "RND610", "RND611", "RND612", "RND613"}]


def test_control_and_bidi_characters_written_as_yaml_escapes_are_reported_and_never_reach_a_renderer(
        tmp_path, check_file, project_config):
    import datetime as dt

    from generator.read.parse import parse
    from generator.read.reader import read_draft
    from generator.render.units import report_pdf

    path, _text = _draft(tmp_path, title='"以“党建+安全生产”\\x00推动本质安全\\u202E型企业建设"')
    found = [(item.code, item.line, item.severity.label) for item in check_file(path)]
    assert ("TXT409", 2, "warning") in found and ("TXT408", 2, "warning") in found, found
    doc = parse(read_draft(path), project_config)
    assert "\x00" not in doc.meta.title
    result = report_pdf(doc, project_config, timestamp=dt.datetime(2022, 11, 15))
    assert result.pages >= 1


def test_only_regular_files_of_the_project_are_read_as_drafts(tmp_path, monkeypatch, capsys):
    """A link to /dev/zero or to a file outside the project, a FIFO and a link loop are refused unread (FM118) by
    check and build alike; the other drafts are built, and a link loop that is no draft stops nothing."""
    import json
    import os

    from generator.cli import main

    from .helpers import corpus_project

    root = corpus_project(tmp_path, ["r02"])
    drafts = root / "reports_src" / "2022"
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0:CANARY\n", encoding="utf-8")
    (drafts / "r90.md").symlink_to("/dev/zero")
    (drafts / "r91.md").symlink_to(outside)
    os.mkfifo(drafts / "r92.md")
    (drafts / "r93.md").symlink_to(drafts / "r93.md")  # a link loop named as a draft
    (drafts / "loop").symlink_to(drafts / "loop")  # and one that is not
    monkeypatch.chdir(root)
    assert main(["check", "--no-source"]) == 1
    out = capsys.readouterr().out
    assert out.count("FM118") == 4 and "CANARY" not in out
    assert "不是普通文件" in out and "项目之外" in out
    assert main(["build", "--jobs", "1", "--no-volume"]) == 1
    capsys.readouterr()
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert {r["id"]: r["result"] for r in manifest["reports"]} == {
        "r02": "built", "r90": "failed", "r91": "failed", "r92": "failed", "r93": "failed"}


def test_a_build_refuses_each_pathological_draft_and_builds_the_others(tmp_path, monkeypatch, capsys):
    """The table of issue 20 at reduced sizes, in one build beside a sample draft: each hostile draft fails with
    the code of the limit it passes (none of them is parsed or laid out), the sample report and the volume are
    built, the manifest is written and the exit code is 1."""
    import json
    import os

    from generator.cli import main

    from .helpers import corpus_project

    root = corpus_project(tmp_path, ["r02"])
    drafts = root / "reports_src" / "2022"
    base = (drafts / "r02.md").read_text(encoding="utf-8")
    anchor = base.index("\n## ", base.index("\n## ") + 1)

    def with_body(extra: str) -> str:
        return base[:anchor] + "\n\n" + extra + "\n" + base[anchor:]

    title = base[base.index("title:"):base.index("\n", base.index("title:"))]
    hostile = {
        "h1": (with_body("\n".join(["- 项"] * 2_500)), "RND610"),
        "h2": (with_body("正文" + "".join(f"[^{n}]" for n in range(400)) + "\n\n"
                         + "\n".join(f"[^{n}]: 注" for n in range(400))), "RND611"),
        "h3": (with_body("[" * 500 + "字" + "]" * 500), "RND612"),
        "h4": (with_body("\n".join(["> " * 12 + "引文"] * 10_500)), "RND609"),
        "h5": (base.replace(title, "title: 以" + "党建" * 200), "FM126"),
        "h6": (with_body("a" * 20_000), "RND613"),
    }
    for name, (text, _code) in hostile.items():
        (drafts / f"{name}.md").write_text(text.replace("以“党建+", f"以“{name}党建+", 1), encoding="utf-8")
    (drafts / "h7.md").write_text(base.replace(title, 'title: "以“党建+安全生产”\\x00推动工作"'), encoding="utf-8")
    (drafts / "h8.md").write_text(base, encoding="utf-8")
    real_open = os.open

    def unreadable(path, *args, **kwargs):  # chmod 000 for a user who is not root (the tests run as root)
        if str(path).endswith("h8.md"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("generator.read.reader.os.open", unreadable)
    monkeypatch.chdir(root)
    assert main(["build", "--jobs", "2", "--format", "json"]) == 1
    capsys.readouterr()
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    reports = {r["id"]: r for r in manifest["reports"]}
    assert reports["r02"]["result"] == "built" and (root / "output" / reports["r02"]["outputs"]["pdf"]["path"]).is_file()
    for name, (_text, code) in hostile.items():
        assert reports[name]["result"] == "failed", name
        assert [d["code"] for d in reports[name]["diagnostics"] if d["severity"] == "error"][0] == code, name
    assert reports["h8"]["result"] == "failed" and [d["code"] for d in reports["h8"]["diagnostics"]] == ["FM118"]
    assert "权限" in reports["h8"]["diagnostics"][0]["message"]
    assert reports["h7"]["result"] == "built"  # a NUL written as a YAML escape: reported, printed as a space
    assert "TXT409" in [d["code"] for d in reports["h7"]["diagnostics"]]
    assert manifest["volumes"][0]["result"] == "built" and manifest["exit_status"] == 1
