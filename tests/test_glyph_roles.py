"""`check` and `build` agree on glyphs: each character is checked against the faces that will set it."""

from __future__ import annotations

import json
import shutil

from generator.cli import main

from .conftest import TESTS
from .helpers import corpus_project

FACES = TESTS / "realworld" / "glyphs" / "faces.md"


def test_each_run_is_checked_against_the_face_that_sets_it_at_its_line_and_column(check_file):
    found = [(d.code, d.line, d.col, d.message) for d in check_file(FACES)]
    # 㐀 is in the body face (Noto Serif CJK) but not in the 楷体 face (AR PL UKai) that sets quotes, emphasis
    # and （一） headings; ♞ is in none of the configured faces (code, table heads and footnotes are checked too).
    assert [(code, line, col) for code, line, col, _message in found] == [
        ("TXT410", 17, 7), ("TXT410", 19, 7), ("TXT410", 21, 5), ("TXT410", 23, 11), ("TXT410", 25, 5),
        ("TXT410", 31, 11)], found
    assert "不在二级标题、引文和强调所用的字体 AR PL UKai CN 中" in found[0][3]
    assert "代码所用" in found[2][3] and "一级标题所用" in found[4][3] and "正文所用" in found[5][3]


def test_a_draft_that_check_passes_renders_and_one_it_refuses_would_fail_at_render(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02"])
    draft = root / "reports_src" / "2022" / "r02.md"
    original = draft.read_text(encoding="utf-8")
    quoted = original.replace("\n## 二、", "\n> 引文里的♞字。\n\n正文里的㐀字。\n\n## 二、", 1)
    assert quoted != original
    monkeypatch.chdir(root)
    draft.write_text(quoted, encoding="utf-8")
    assert main(["check", "--no-source"]) == 1
    assert "TXT410" in capsys.readouterr().out
    # What check refuses is what the renderer cannot set: with the rule off, the build fails the report.
    config = root / "reportgen.toml"
    shutil.copy(config, tmp_path / "reportgen.toml.orig")
    config.write_text(config.read_text(encoding="utf-8").replace("[check.severity]\n",
                                                                 '[check.severity]\nTXT410 = "off"\n'), encoding="utf-8")
    assert main(["build", "--jobs", "1", "--no-volume"]) == 1
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert any(d["code"] == "RND602" for d in manifest["reports"][0]["diagnostics"])
    # Only in the body face's text, the same character passes check and renders.
    shutil.copy(tmp_path / "reportgen.toml.orig", config)
    draft.write_text(original.replace("\n## 二、", "\n正文里的㐀字。\n\n## 二、", 1), encoding="utf-8")
    assert main(["check", "--no-source"]) == 0
    assert main(["build", "--jobs", "1", "--no-volume"]) == 0
    capsys.readouterr()
