"""The programme's own source article (converter artifacts, Traditional script, half-width punctuation)
pasted into a draft: every artifact reported at its line and column, `--fix` yields clean Simplified Chinese,
and fixing again changes nothing."""

from __future__ import annotations

import re
import shutil

import opencc

from generator.check.rules.text import PINYIN_GLOSS, TONED

from .conftest import PROJECT
from .test_cli import make_project, run

SEED = PROJECT / "reports_src" / "seed" / "seed_article.md"
GLOSS = re.compile(rf"(?<=[\u4e00-\u9fff])\(([a-zü{TONED}]+)\)")


def _expected_glosses(text: str) -> list[tuple[int, int]]:
    """(line, column) of every pinyin gloss, found independently of the rule's own code."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        for match in GLOSS.finditer(line):
            if any(mark in match.group(1) for mark in TONED):
                found.append((number, match.start() + 1))
    return found


def test_every_converter_artifact_is_reported_at_its_line_and_column(check_file):
    text = SEED.read_text(encoding="utf-8")
    diagnostics = check_file(SEED)
    glosses = [(d.line, d.col) for d in diagnostics if d.code == "TXT401"]
    assert glosses == _expected_glosses(text)
    assert len(glosses) >= 90
    lines = text.split("\n")
    for d in diagnostics:
        if d.code == "TXT402":
            found = d.message.split("“")[1].split("”")[0]
            assert lines[d.line - 1][d.col - 1:].startswith(found)
    assert {d.code for d in diagnostics} == {"TXT401", "TXT402", "TXT403"}


def test_fix_gives_clean_simplified_chinese_and_a_second_fix_is_a_no_op(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    target = root / "reports_src" / "2022" / "r02.md"
    shutil.copy(SEED, target)
    run(["check", "--fix", "reports_src/2022/r02.md"], root, capsys, monkeypatch)
    fixed = target.read_text(encoding="utf-8")
    assert "西南水泥“党建辅导员制”的改革创新之路" in fixed
    assert "“党建辅导员制”实施以来，已有23位党建辅导员对18个基层公司进行了深入辅导" in fixed
    assert not PINYIN_GLOSS.search(fixed)
    assert opencc.OpenCC("t2s").convert(fixed) == fixed
    code, out, _err = run(["check", "reports_src/2022/r02.md"], root, capsys, monkeypatch)
    assert code == 0 and "TXT" not in out
    run(["check", "--fix", "reports_src/2022/r02.md"], root, capsys, monkeypatch)
    assert target.read_text(encoding="utf-8") == fixed
    assert not (target.parent / "r02.md.bak.1").exists()
