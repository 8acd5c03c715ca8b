"""The command line as users and scripts meet it: formats, exit codes, language, configuration errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest

from generator.cli import main

from .conftest import PROJECT, REPO, RULE_FIXTURES


def make_project(tmp_path: Path) -> Path:
    """A copy of the test project with only the valid draft, to mutate freely."""
    root = tmp_path / "project"
    (root / "reports_src" / "2022").mkdir(parents=True)
    shutil.copy(PROJECT / "reportgen.toml", root)
    shutil.copy(PROJECT / "reports_src" / "registry.yaml", root / "reports_src")
    shutil.copy(PROJECT / "reports_src" / "2022" / "valid.md", root / "reports_src" / "2022" / "r01.md")
    shutil.copytree(PROJECT / "reports_src" / "2022" / "assets", root / "reports_src" / "2022" / "assets")
    return root


def run(args, cwd: Path, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_clean_corpus_exits_zero(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    code, out, _err = run(["check"], root, capsys, monkeypatch)
    # The test registry names counselors and companies the one draft does not: corpus warnings only.
    assert code == 0
    assert "REG305" in out and "0 个错误" in out


def test_check_reports_path_line_col_code_and_exit_one(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    shutil.copy(RULE_FIXTURES / "SEC201_missing_required_section.md", root / "reports_src" / "2022" / "r02.md")
    code, out, _err = run(["check", "reports_src/2022/r02.md"], root, capsys, monkeypatch)
    assert code == 1
    assert "reports_src/2022/r02.md:29:1: SEC201 缺少必需章节“取得成效”（应位于“主要做法”之后、“经验启示”之前）" in out
    assert "   29 | ## 六、经验启示" in out


def test_strict_turns_warnings_into_failure(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    assert run(["check"], root, capsys, monkeypatch)[0] == 0
    assert run(["check", "--strict"], root, capsys, monkeypatch)[0] == 1


def test_english_messages_with_lang_option(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    shutil.copy(RULE_FIXTURES / "REG301_unknown_counselor.md", root / "reports_src" / "2022" / "r02.md")
    code, out, _err = run(["check", "--lang", "en", "reports_src/2022/r02.md"], root, capsys, monkeypatch)
    assert code == 1
    assert "counselor “李华” is not in the registry; did you mean “李华清”?" in out


def test_english_locale_selects_english(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    _code, out, _err = run(["check"], root, capsys, monkeypatch)
    assert "Checked 1 file(s)" in out


def test_json_format(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    shutil.copy(RULE_FIXTURES / "FM109_invalid_date.md", root / "reports_src" / "2022" / "r02.md")
    code, out, _err = run(["check", "--format", "json"], root, capsys, monkeypatch)
    data = json.loads(out)
    assert code == 1
    assert data["files_checked"] == 2
    item = next(d for d in data["diagnostics"] if d["code"] == "FM109")
    assert item == {"path": "reports_src/2022/r02.md", "line": 8, "column": 12, "code": "FM109",
                    "name": "invalid-date", "severity": "error", "message": "“submitted”中的日期 2022-02-30 不存在",
                    "fixable": False}
    assert data["summary"]["errors"] >= 1


def test_junit_format_has_one_case_per_file_and_failures(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    shutil.copy(RULE_FIXTURES / "FM109_invalid_date.md", root / "reports_src" / "2022" / "r02.md")
    _code, out, _err = run(["check", "--format", "junit"], root, capsys, monkeypatch)
    suite = etree.fromstring(out.encode()).find("testsuite")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert "reports_src/2022/r01.md" in cases and "reports_src/2022/r02.md" in cases
    assert cases["reports_src/2022/r02.md"].find("failure") is not None
    assert cases["reports_src/2022/r01.md"].find("failure") is None


def test_sarif_format(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    shutil.copy(RULE_FIXTURES / "FM109_invalid_date.md", root / "reports_src" / "2022" / "r02.md")
    _code, out, _err = run(["check", "--format", "sarif", "reports_src/2022/r02.md"], root, capsys, monkeypatch)
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "FM109"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 8, "startColumn": 12}
    assert sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "FM109"


def test_config_error_names_key_and_value_and_exits_two(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    (root / "reportgen.toml").write_text('[brand]\nprimary_colour = "red"\npaper = "Letter"\ncolour = 1\n',
                                         encoding="utf-8")
    code, _out, err = run(["check"], root, capsys, monkeypatch)
    assert code == 2
    assert "brand.primary_colour" in err and "'red'" in err
    assert "brand.paper" in err and "'Letter'" in err
    assert "brand.colour：未知配置项" in err


def test_config_found_in_parent_directory(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    code, out, _err = run(["check"], root / "reports_src" / "2022", capsys, monkeypatch)
    assert code == 0 and "共检查 1 个文件" in out


def test_missing_path_is_a_usage_error(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    code, _out, err = run(["check", "nope.md"], root, capsys, monkeypatch)
    assert code == 2 and "nope.md" in err


def test_unknown_option_exits_two(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        run(["check", "--bogus"], root, capsys, monkeypatch)
    assert exit_info.value.code == 2


def test_new_scaffolds_a_draft_that_passes_structure_checks_and_never_overwrites(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    args = ["new", "--id", "r09", "--year", "2022", "--company", "巴山西南水泥有限公司",
            "--counselor", "李华清", "--counselor", "王建国", "--theme", "党建+绿色发展"]
    code, out, _err = run(args, root, capsys, monkeypatch)
    path = root / "reports_src" / "2022" / "r09.md"
    assert code == 0 and path.exists()
    text = path.read_text(encoding="utf-8")
    assert "counselors: ['李华清', '王建国']" in text and "## 六、经验启示" in text
    code, out, _err = run(["check", "--format", "json", "reports_src/2022/r09.md"], root, capsys, monkeypatch)
    # Structure complete; what remains are the placeholders left to fill (and the date, for a past year).
    assert {item["code"] for item in json.loads(out)["diagnostics"]} <= {"SEC208", "FM116"}
    path.write_text("edited", encoding="utf-8")
    code, _out, err = run(args, root, capsys, monkeypatch)
    assert code == 2 and "已存在" in err
    assert path.read_text(encoding="utf-8") == "edited"


def test_new_refuses_unregistered_company_with_suggestion(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    code, _out, err = run(["new", "--id", "r10", "--year", "2022", "--company", "巴山公司", "--counselor", "李华清",
                           "--theme", "党建+绿色发展"], root, capsys, monkeypatch)
    assert code == 2 and "巴山西南水泥有限公司" in err


def test_corpus_rules_duplicates_and_unused_registry_entries(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    shutil.copy(root / "reports_src" / "2022" / "r01.md", root / "reports_src" / "2022" / "R01.md")
    code, out, _err = run(["check", "--format", "json"], root, capsys, monkeypatch)
    codes = {(d["code"], d["path"]) for d in json.loads(out)["diagnostics"]}
    assert code == 1
    assert ("REG303", "reports_src/2022/r01.md") in codes or ("REG303", "reports_src/2022/R01.md") in codes
    assert any(code == "REG304" for code, _path in codes)
    assert ("REG305", "reports_src/registry.yaml") in codes
    assert ("REG306", "reports_src/registry.yaml") in codes


def test_python_dash_m_generator_works():
    result = subprocess.run([sys.executable, "-m", "generator", "rules"], capture_output=True, text=True,
                            cwd=REPO, check=False)
    assert result.returncode == 0
    assert "SEC201  missing-required-section" in result.stdout


def test_repository_config_documents_the_defaults():
    from generator.core.config import Config, load_config

    loaded = load_config(REPO / "reportgen.toml")
    assert loaded == Config(root=loaded.root, path=loaded.path)


def test_parallel_check_gives_the_same_diagnostics_as_serial(project_config, project_registry, monkeypatch):
    from generator.check import engine as check_module
    paths = sorted(RULE_FIXTURES.glob("*.md")) * 3
    _docs, serial = check_module.check_paths(paths, project_config, project_registry, whole_corpus=False, jobs=1)
    monkeypatch.setattr(check_module, "PARALLEL_MINIMUM", 2)
    docs, parallel = check_module.check_paths(paths, project_config, project_registry, whole_corpus=False, jobs=2)
    assert parallel == serial and len(docs) == len(paths)


def test_the_suite_uses_a_user_cache_of_its_own():
    from generator.core.usercache import user_cache_dir

    assert "reportgen-test-cache-" in str(user_cache_dir())
    assert not str(user_cache_dir()).startswith(str(Path.home() / ".cache"))


def test_check_reuses_the_diagnostics_of_unchanged_drafts_and_sees_every_change(tmp_path, capsys, monkeypatch):
    """`check` keeps its results in the user cache (one memo per project): a second run checks no draft again, and
    a changed draft, registry or image, or --no-cache, gives what a fresh check gives."""
    from generator.check import engine as check_module
    from generator.core.usercache import user_cache_dir

    root = make_project(tmp_path)
    draft = root / "reports_src" / "2022" / "r01.md"
    first = run(["check", "--format", "json"], root, capsys, monkeypatch)
    memos = set((user_cache_dir() / "check").glob("*.json"))
    assert memos and "r01.md" in "".join(path.read_text(encoding="utf-8") for path in memos)

    def not_again(doc, ctx):
        raise AssertionError(f"{doc.path} was checked again")

    with monkeypatch.context() as patched:
        patched.setattr(check_module, "check_document", not_again)
        assert run(["check", "--format", "json"], root, capsys, monkeypatch) == first
    assert run(["check", "--format", "json", "--no-cache"], root, capsys, monkeypatch) == first

    draft.write_text(draft.read_text(encoding="utf-8").replace("党建与安全生产深度融合，", "党建与安全生产深度融合,"),
                     encoding="utf-8")
    code, out, _err = run(["check", "--format", "json"], root, capsys, monkeypatch)
    assert "TXT403" in out and "TXT403" not in first[1] and (code, out) == run(["check", "--format", "json", "--no-cache"], root, capsys,
                                                  monkeypatch)[:2]
    registry = root / "reports_src" / "registry.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace("张明远", "张明违"), encoding="utf-8")
    changed = run(["check", "--format", "json"], root, capsys, monkeypatch)
    assert changed != (code, out, _err) and changed == run(["check", "--format", "json", "--no-cache"], root, capsys,
                                                          monkeypatch)


def test_check_sees_a_missing_image_that_appears_and_one_that_goes(tmp_path, capsys, monkeypatch):
    """The memo's key holds every file a draft's images name, there or not: an image added after a check that
    found it missing is seen (AST501 no more), and so is one removed again."""
    root = make_project(tmp_path)
    draft = root / "reports_src" / "2022" / "r01.md"
    draft.write_text(draft.read_text(encoding="utf-8") + "\n![新图](assets/new-chart.png)\n", encoding="utf-8")
    image = root / "reports_src" / "2022" / "assets" / "new-chart.png"
    code, out, _err = run(["check", "--format", "json"], root, capsys, monkeypatch)
    assert code == 1 and "AST501" in out
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(next((REPO / "reports_src" / "2022" / "assets").glob("*.png")).read_bytes())
    code, out, _err = run(["check", "--format", "json"], root, capsys, monkeypatch)
    assert "AST501" not in out and (code, out) == run(["check", "--format", "json", "--no-cache"], root, capsys,
                                                      monkeypatch)[:2]
    image.unlink()
    code, out, _err = run(["check", "--format", "json"], root, capsys, monkeypatch)
    assert code == 1 and "AST501" in out


def test_parallel_check_takes_unchanged_drafts_from_the_memo(project_config, project_registry, tmp_path,
                                                              monkeypatch):
    from generator.build.store import CheckMemo
    from generator.check import engine as check_module

    paths = sorted(RULE_FIXTURES.glob("*.md"))
    monkeypatch.setattr(check_module, "PARALLEL_MINIMUM", 2)
    memo_path = tmp_path / "memo.json"
    _docs, _found = check_module.check_paths(paths[::2], project_config, project_registry, whole_corpus=False,
                                             jobs=2, memo=CheckMemo(memo_path, "salt"))
    _docs, first = check_module.check_paths(paths, project_config, project_registry, whole_corpus=False, jobs=2)
    assert CheckMemo(memo_path, "salt").held(paths) == len(paths[::2])
    check_document = check_module.check_document

    def not_again(doc, ctx):
        if doc.path in paths[::2]:
            raise AssertionError(f"{doc.path} was checked again")
        return check_document(doc, ctx)

    monkeypatch.setattr(check_module, "check_document", not_again)   # the forked workers inherit it
    docs, again = check_module.check_paths(paths, project_config, project_registry, whole_corpus=False, jobs=2,
                                           memo=CheckMemo(memo_path, "salt"))   # the others, in workers
    assert again == first and len(docs) == len(paths)
    assert CheckMemo(memo_path, "salt").held(paths) == len(paths) and CheckMemo(memo_path, "other").held(paths) == 0
    with pytest.raises(AssertionError, match="checked again"):   # another salt: nothing is taken from the memo
        check_module.check_paths(paths, project_config, project_registry, whole_corpus=False, jobs=1,
                                 memo=CheckMemo(memo_path, "another salt"))
