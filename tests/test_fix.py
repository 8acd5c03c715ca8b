"""`check --fix`: safe fixes only, atomic, original kept, idempotent, code and URLs untouched."""

from __future__ import annotations

import shutil

from .conftest import RULE_FIXTURES
from .test_cli import make_project, run

FIXABLE = ["TXT401_pinyin_gloss_artifact.md", "TXT402_wrong_script.md", "TXT403_halfwidth_punctuation.md",
           "TXT404_cjk_latin_spacing.md", "TXT405_repeated_punctuation.md", "TXT406_fullwidth_alphanumeric.md",
           "TXT407_space_between_han.md", "TXT411_ascii_quotes.md"]


def test_fix_repairs_text_keeps_backup_and_second_run_changes_nothing(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    drafts = root / "reports_src" / "2022"
    for number, name in enumerate(FIXABLE, start=2):
        shutil.copy(RULE_FIXTURES / name, drafts / f"r{number:02d}.md")
    originals = {path.name: path.read_text(encoding="utf-8") for path in drafts.glob("r*.md")}
    code, out, err = run(["check", "--fix"], root, capsys, monkeypatch)
    assert "TXT4" not in out, out
    fixed = {path.name: path.read_text(encoding="utf-8") for path in drafts.glob("r*.md")}
    assert "改革创新，推动发展。" in fixed["r02.md"]
    assert "党建辅导员制是一种组织方法。党建辅导员制度。" in fixed["r03.md"]
    assert "公司党委高度重视，多次研究部署；成效明显（见下表）。" in fixed["r04.md"]
    assert "上线了ERP系统，覆盖18个基层公司。" in fixed["r05.md"]
    assert "成效明显。继续努力，再创佳绩。" in fixed["r06.md"]
    assert "全年完成123项整改，通过ISO认证。" in fixed["r07.md"]
    assert "安全生产是企业的生命线。" in fixed["r08.md"]
    assert "推行“党建+安全生产”工作法。" in fixed["r09.md"]
    for name, text in originals.items():
        if name != "r01.md":
            assert (drafts / f"{name}.bak").read_text(encoding="utf-8") == text
    assert not (drafts / "r01.md.bak").exists()
    # Second run: nothing left to fix, no new backups.
    run(["check", "--fix"], root, capsys, monkeypatch)
    assert {path.name: path.read_text(encoding="utf-8") for path in drafts.glob("r*.md")} == fixed
    assert not list(drafts.glob("*.bak.1"))


def test_fix_with_diff_prints_and_writes_nothing(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    target = root / "reports_src" / "2022" / "r02.md"
    shutil.copy(RULE_FIXTURES / "TXT405_repeated_punctuation.md", target)
    before = target.read_bytes()
    _code, out, _err = run(["check", "--fix", "--diff", "reports_src/2022/r02.md"], root, capsys, monkeypatch)
    assert "-成效明显。。继续努力，，再创佳绩。" in out and "+成效明显。继续努力，再创佳绩。" in out
    assert target.read_bytes() == before


def test_fix_preserves_bom_and_crlf(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    target = root / "reports_src" / "2022" / "r02.md"
    text = (RULE_FIXTURES / "TXT405_repeated_punctuation.md").read_text(encoding="utf-8")
    target.write_bytes(("\ufeff" + text).replace("\n", "\r\n").encode("utf-8"))
    run(["check", "--fix", "reports_src/2022/r02.md"], root, capsys, monkeypatch)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert "成效明显。继续努力".encode() in data


def test_fix_never_touches_code_urls_or_keys(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    target = root / "reports_src" / "2022" / "r02.md"
    text = (RULE_FIXTURES / "text_in_code_is_ignored.md").read_text(encoding="utf-8")
    target.write_text(text + "\n公司 ERP 系统。`a , b 中`\n", encoding="utf-8")
    run(["check", "--fix", "reports_src/2022/r02.md"], root, capsys, monkeypatch)
    fixed = target.read_text(encoding="utf-8")
    assert "中文,英文; 创(chuàng)" in fixed and "https://example.com/a,b" in fixed and "`a , b 中`" in fixed
    assert "公司ERP系统。" in fixed
