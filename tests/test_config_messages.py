"""Configuration and command-line messages: every configuration key validated and named in the user's language,
argparse's messages translated, what the configuration names verified on this machine, and the scaffold of
`reportgen new` (its date, its placeholders) and the volume summary telling the truth."""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import io
import json
import re
from pathlib import Path

import docx
import pytest

from generator.core.config import Config, require_resources
from generator.core.errors import ConfigError
from generator.core.i18n import ARGPARSE_MESSAGES, _catalog

from .conftest import PROJECT, RULE_FIXTURES
from .helpers import corpus_project
from .test_cli import make_project, run

ENGLISH_PYDANTIC = re.compile(r"Input should|Value error|String should|Extra inputs|Field required|List should")


THEMES = 'themes = ["党建+安全生产", "党建+绿色发展", "党建+技能培养"]\n'


def _config_errors(tmp_path, capsys, monkeypatch, toml: str, *args: str) -> tuple[int, list[str]]:
    """Exit code and the listed problems of `reportgen check` with `toml` as the configuration (and the test
    project's themes)."""
    root = make_project(tmp_path)
    (root / "reportgen.toml").write_text(toml if "themes =" in toml else THEMES + toml, encoding="utf-8")
    code, _out, err = run(["check", *args], root, capsys, monkeypatch)
    return code, [line[4:] for line in err.splitlines() if line.startswith("  - ")]


def test_empty_sections_is_a_configuration_error_not_an_internal_error_per_draft(tmp_path, capsys, monkeypatch):
    code, problems = _config_errors(tmp_path, capsys, monkeypatch, "sections = []")
    assert code == 2
    assert problems == ["sections：应至少有 1 项；实际值为 []"]


def test_unknown_key_under_volume_is_named_with_a_suggestion(tmp_path, capsys, monkeypatch):
    code, problems = _config_errors(tmp_path, capsys, monkeypatch, '[volume]\ntheme_ordr = ["党建+安全生产"]\n')
    assert code == 2
    assert problems == ["volume.theme_ordr：未知配置项；是否应为“theme_order”？"]


def test_cross_checked_key_is_named_not_the_root_with_the_whole_configuration(tmp_path, capsys, monkeypatch):
    code, problems = _config_errors(tmp_path, capsys, monkeypatch,
                                    '[volume]\ntheme_order = ["党建+安全生产", "党建+不存在"]\n'
                                    '[front_matter]\napproved_status = "通过"\n')
    assert code == 2
    assert problems == [
        "front_matter.approved_status：应为“草稿”、“已提交”、“已审定”之一（即“statuses”所列的值）；实际值为 '通过'",
        "volume.theme_order[1]：应为“党建+安全生产”、“党建+绿色发展”、“党建+技能培养”之一（即“themes”所列的值）；"
        "实际值为 '党建+不存在'"]


def test_pydantic_errors_are_translated_by_type_with_key_expected_and_received(tmp_path, capsys, monkeypatch):
    toml = "\n".join([
        'language = "fr"',
        "[brand]", 'primary_colour = "red"', "paper = 4",
        "[brand.fonts]", "title = []",
        "[check]", 'max_nesting = "12"', "max_table_rows = true", "max_draft_bytes = 10",
        "[[sections]]", "level = 2",
        "[[sections]]", 'title = "一、"',
        "[volume]", 'pdf_name = "out/volume.pdf"', 'front_matter = "preface.md"',
    ])
    code, problems = _config_errors(tmp_path, capsys, monkeypatch, toml)
    assert code == 2
    assert problems == [
        "language：应为“zh_CN”、“en”之一；实际值为 'fr'",
        "brand.primary_colour：应为写作 #RRGGBB 的颜色，例如 #B3261E；实际值为 'red'",
        "brand.paper：应为“A4”、“A5”、“B5”之一；实际值为 4",
        "brand.fonts.title：应至少有 1 项；实际值为 []",
        "sections[0].title：缺少必需的配置项",
        "check.max_draft_bytes：应不小于 1024；实际值为 10",
        "check.max_nesting：应为整数；实际值为 '12'",
        "check.max_table_rows：应为整数；实际值为 true",
        "volume.pdf_name：应为以 .pdf 结尾、不含目录的文件名；实际值为 'out/volume.pdf'",
        # Without its `_`, the volume's front matter would be checked and built as a draft.
        "volume.front_matter：应为以“_”开头、以 .md 结尾、不含目录的文件名；实际值为 'preface.md'",
    ]


def test_section_names_must_be_words_and_name_one_section(tmp_path, capsys, monkeypatch):
    base = '[[sections]]\ntitle = "课题背景"\n[[sections]]\ntitle = "问题分析"\naliases = ["现状", "一、课题 背景"]\n'
    code, problems = _config_errors(tmp_path / "alias", capsys, monkeypatch, base)
    assert code == 2
    assert problems == ["sections[1].aliases[1]：“一、课题 背景”已用于章节“课题背景”，一个标题只能对应一个章节"]
    code, problems = _config_errors(tmp_path / "numbering", capsys, monkeypatch, '[[sections]]\ntitle = "（一）"\n')
    assert problems == ["sections[0].title：章节标题除编号外还须有文字；实际值为 '（一）'"]


def test_lists_of_names_are_checked_item_by_item(tmp_path, capsys, monkeypatch):
    toml = '[front_matter]\nrequired = ["title", "reviewer"]\nextra_fields = ["summary"]\nstatuses = ["草稿", "草稿", "已审定"]\n'
    code, problems = _config_errors(tmp_path, capsys, monkeypatch, toml)
    assert code == 2
    assert problems[0].startswith("front_matter.required[1]：应为“title”、“year”")
    assert problems[1:] == ["front_matter.extra_fields[0]：“summary”已是内置字段，此处只列其他字段",
                            "front_matter.statuses[1]：“草稿”重复列出"]


def test_severity_override_of_an_unknown_rule_is_an_error_with_a_suggestion(tmp_path, capsys, monkeypatch):
    code, problems = _config_errors(tmp_path, capsys, monkeypatch,
                                    '[check.severity]\nXYZ999 = "off"\nTXT44 = "off"\nraw-html = "loud"\n')
    assert code == 2
    assert problems == [
        "check.severity.XYZ999：“XYZ999”不是规则代码或名称（`reportgen rules` 列出全部规则）",
        "check.severity.TXT44：“TXT44”不是规则代码或名称（`reportgen rules` 列出全部规则）；是否应为“TXT404”？",
        "check.severity.raw-html：应为“error”、“warning”、“info”、“off”之一；实际值为 'loud'"]


def test_severity_overrides_by_code_and_by_name_still_apply(tmp_path, capsys, monkeypatch):
    code, _problems = _config_errors(tmp_path, capsys, monkeypatch,
                                     '[check.severity]\nREG305 = "off"\ncompany-without-report = "off"\n', "--strict")
    assert code == 0  # the test registry's unused entries (REG305, REG306 warnings) are turned off


def test_keys_set_by_the_loader_cannot_be_written_in_the_file(tmp_path, capsys, monkeypatch):
    code, problems = _config_errors(tmp_path, capsys, monkeypatch, 'root = "/etc"')
    assert code == 2
    assert problems[0].startswith("root：未知配置项；可用的配置项：language、project、brand")


def test_configuration_errors_in_english_with_lang_en(tmp_path, capsys, monkeypatch):
    code, problems = _config_errors(tmp_path, capsys, monkeypatch, '[check]\nmax_nesting = "x"\n', "--lang", "en")
    assert code == 2
    assert problems == ["check.max_nesting: expected a whole number; received 'x'"]


def test_no_error_type_the_schema_produces_falls_back_to_english(tmp_path, capsys, monkeypatch):
    toml = "\n".join(["themes = 3", 'language = 1', "[project]", "sources = []", "[brand]", "fonts = 1",
                      "[front_matter]", 'summary_max_chars = 1.5', "[[sections]]", 'title = "a"', "level = 0",
                      "[text]", 'script = "old"', "[build]", 'report_timeout = "a"'])
    code, problems = _config_errors(tmp_path, capsys, monkeypatch, toml)
    assert code == 2 and len(problems) >= 8
    for problem in problems:
        assert not ENGLISH_PYDANTIC.search(problem) and "值无效" not in problem, problem


@pytest.mark.parametrize("toml, problem", [
    ('[brand]\npaper = A4\n', "不是有效的 TOML：第 3 行第 9 列：不是有效的值（文本须加引号，例如 \"A4\"）"),
    ('[brand]\n[brand]\n', "不是有效的 TOML：第 3 行第 7 列：表“brand”声明了两次"),
    ('[check]\nmax_nesting = 1\nmax_nesting = 2\n', "不是有效的 TOML：第 4 行第 16 列：同一配置项赋值了两次"),
    ('[volume]\npdf_name = "a.pdf\n', "不是有效的 TOML：第 3 行第 18 列：此处不能出现字符 '\\n'"),
    ('[volume\n', "不是有效的 TOML：第 2 行第 8 列：表头末尾应为“]”"),
])
def test_toml_syntax_errors_say_where_and_what_in_the_users_language(toml, problem, tmp_path, capsys, monkeypatch):
    code, problems = _config_errors(tmp_path, capsys, monkeypatch, toml)
    assert code == 2 and problems == [problem]


# ---- argparse -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["check", "--bogus"], "reportgen：用法错误：无法识别的参数：--bogus"),
    (["chek"], "reportgen：用法错误：参数 COMMAND：无效的选择 'chek'（可选：'check', 'build'"),
    (["check", "--format", "xml"], "reportgen：用法错误：参数 --format：无效的选择 'xml'（可选：'text', 'json'"),
    (["new", "--id", "r30"], "reportgen：用法错误：缺少必需的参数：--year, --company, --counselor, --theme"),
    (["build", "--jobs", "two"], "reportgen：用法错误：参数 --jobs/-j：应为整数，实际为 'two'"),
])
def test_usage_errors_are_in_the_users_language(args, message, tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit) as exit_info:
        run(args, make_project(tmp_path), capsys, monkeypatch)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("用法：reportgen") and message in err


def test_help_is_in_the_users_language_and_english_stays_english(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    with pytest.raises(SystemExit):
        run(["--help"], root, capsys, monkeypatch)
    out = capsys.readouterr().out
    assert out.startswith("用法：reportgen") and "位置参数" in out and "选项" in out
    assert "显示此帮助信息并退出" in out and "显示版本号并退出" in out
    with pytest.raises(SystemExit):
        run(["check", "--bogus", "--lang", "en"], root, capsys, monkeypatch)
    err = capsys.readouterr().err
    assert err.startswith("usage: reportgen") and "unrecognized arguments: --bogus" in err


def test_translated_argparse_messages_are_the_ones_this_python_writes():
    """argparse's messages are looked up by their exact English text: a Python whose argparse words them
    differently would print them untranslated."""
    source = ast.parse(Path(argparse.__file__).read_text(encoding="utf-8"))
    written = {node.args[0].value for node in ast.walk(source)
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
               and node.args and isinstance(node.args[0], ast.Constant)}
    assert set(ARGPARSE_MESSAGES) - written == set()
    chinese = _catalog("zh_CN")
    assert [message for message in ARGPARSE_MESSAGES if chinese.gettext(message) == message] == []


# ---- what the configuration names on this machine ------------------------------------------------------


def test_font_not_installed_fails_check_and_build_naming_the_key(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    path = root / "reportgen.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[brand.fonts]\ntitle = ["No Such Serif SC"]\n',
                    encoding="utf-8")
    expected = "  - brand.fonts.title：字体“No Such Serif SC”未安装（可运行 `reportgen doctor` 查看字体）"
    code, _out, err = run(["check"], root, capsys, monkeypatch)
    assert code == 2 and expected in err.splitlines()
    code, _out, err = run(["build", "--jobs", "1"], root, capsys, monkeypatch)
    assert code == 2 and expected in err.splitlines()
    assert not (root / "output" / "2022").exists()


def test_missing_logo_fails_the_build_naming_the_key(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    path = root / "reportgen.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("../../templates/logo.png", "missing.png"),
                    encoding="utf-8")
    code, _out, err = run(["build", "--jobs", "1"], root, capsys, monkeypatch)
    assert code == 2
    assert f"  - brand.logo_raster：文件 {root / 'missing.png'} 不存在（不使用标志请写 \"\"）" in err.splitlines()
    assert not (root / "output" / "2022").exists()
    assert run(["check"], root, capsys, monkeypatch)[0] == 0  # checking does not draw the logo


def test_missing_registry_is_a_configuration_error_naming_the_key(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    (root / "reports_src" / "registry.yaml").unlink()
    code, _out, err = run(["check"], root, capsys, monkeypatch)
    assert code == 2
    assert f"  - project.registry：文件 {root / 'reports_src' / 'registry.yaml'} 不存在" in err.splitlines()


def test_unreadable_draft_says_why_in_the_users_language(tmp_path):
    from generator.read.reader import read_source

    _text, problems, _bom, _crlf, _digest = read_source(tmp_path / "gone.md")
    assert [(item.code, item.message) for item in problems] == [("FM118", "无法读取文件：文件不存在")]
    (tmp_path / "folder.md").mkdir()
    _text, problems, _bom, _crlf, _digest = read_source(tmp_path / "folder.md")
    assert [item.message for item in problems] == ["无法读取文件：这是目录，不是文件"]


def test_no_logo_is_written_as_an_empty_path():
    config = Config(root=PROJECT, brand={"logo": "", "logo_raster": ""}, project={"templates": "../../templates"})
    require_resources(config, rendering=True)
    with pytest.raises(ConfigError) as error:
        require_resources(Config(root=PROJECT, project={"templates": "nowhere"}), rendering=True)
    assert any(problem.startswith("project.templates：目录 ") for problem in error.value.problems)


# ---- reportgen new ---------------------------------------------------------------------------------------


def test_new_leaves_the_submission_date_of_another_year_empty_and_its_placeholders_fail(tmp_path, capsys,
                                                                                        monkeypatch):
    root = make_project(tmp_path)
    year = dt.date.today().year - 5
    args = ["new", "--id", "r31", "--year", str(year), "--company", "巴山西南水泥有限公司", "--counselor", "李华清",
            "--theme", "党建+绿色发展"]
    assert run(args, root, capsys, monkeypatch)[0] == 0
    path = root / "reports_src" / str(year) / "r31.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert "submitted:" in lines and dt.date.today().isoformat() not in "\n".join(lines)
    code, out, _err = run(["check", "--format", "json", str(path)], root, capsys, monkeypatch)
    assert code == 1
    found = [(item["line"], item["code"]) for item in json.loads(out)["diagnostics"]]
    submitted = lines.index("submitted:") + 1
    summary = next(number for number, line in enumerate(lines, start=1) if line.startswith("summary:"))
    placeholders = [number for number, line in enumerate(lines, start=1) if line == "（在此撰写本节内容）"]
    assert len(placeholders) == 6
    assert found == [(submitted, "FM116"), (summary, "SEC208")] + [(number, "SEC208") for number in placeholders]


def test_new_dates_a_draft_of_this_year_today(tmp_path, capsys, monkeypatch):
    from generator.check.scaffold import render_scaffold

    config = Config(root=tmp_path)
    text = render_scaffold(config, year=2026, company="c", counselors=["n"], theme="t", title=None,
                           today=dt.date(2026, 3, 4))
    assert "\nsubmitted: 2026-03-04\n" in text
    text = render_scaffold(config, year=2025, company="c", counselors=["n"], theme="t", title=None,
                           today=dt.date(2026, 3, 4))
    assert "\nsubmitted:\n" in text


def test_placeholder_of_an_english_scaffold_is_recognised_in_chinese(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path)
    args = ["new", "--lang", "en", "--id", "r32", "--year", "2022", "--company", "巴山西南水泥有限公司",
            "--counselor", "李华清", "--theme", "党建+绿色发展"]
    assert run(args, root, capsys, monkeypatch)[0] == 0
    assert "(write this section)" in (root / "reports_src" / "2022" / "r32.md").read_text(encoding="utf-8")
    code, out, _err = run(["check", "reports_src/2022/r32.md", "--no-source"], root, capsys, monkeypatch)
    assert code == 1
    assert out.count("SEC208 “(write this section)”是 `reportgen new` 生成的占位文字，请撰写本节内容") == 6
    assert "SEC208 摘要仍是 `reportgen new` 生成的占位文字，请填写报告摘要" in out


# ---- AST504 and escaped HTML -------------------------------------------------------------------------------


def test_escaped_angle_bracket_prints_without_its_backslash(project_config):
    from generator.read.parse import parse
    from generator.read.reader import read_draft
    from generator.render.docx import render_report_docx
    from generator.render.html import report_view

    doc = parse(read_draft(RULE_FIXTURES / "AST504_raw_html.md"), project_config)
    data, _problems = render_report_docx(doc, report_view(doc, project_config), project_config,
                                         timestamp=dt.datetime(2022, 11, 15))
    text = "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs)
    assert "在标题中写 <title> 即可显示尖括号，而 \\<i>斜体</i> 不会变成斜体。" in text


# ---- the volume summary ------------------------------------------------------------------------------------


def test_word_only_volume_prints_no_page_count(tmp_path, capsys, monkeypatch):
    root = corpus_project(tmp_path, ["r01", "r02"])
    code, out, _err = run(["volume", "--year", "2022", "--to", "docx", "--jobs", "1"], root, capsys, monkeypatch)
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("2022年度汇编："))
    assert line == "2022年度汇编：已生成 output/2022/volume.docx"
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["volumes"][0]["pages"] is None
