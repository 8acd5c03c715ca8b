"""One fixture draft per rule (tests/project/reports_src/rules/<CODE>_<name>.md): code, line and message."""

from __future__ import annotations

import pytest

from generator.core.codes import CODES

from .conftest import PROJECT, RULE_FIXTURES

# fixture -> [(code, line, column or None, fragment of the Chinese message)]
EXPECTED = {
    "FM101_missing_front_matter.md": [("FM101", 1, 1, "第一行应为“---”")],
    "FM102_unterminated_front_matter.md": [("FM102", 1, 1, "前置信息未结束")],
    "FM103_yaml_syntax_error.md": [("FM103", 3, None, "YAML 语法错误")],
    "FM104_front_matter_not_mapping.md": [("FM104", 2, 1, "映射")],
    "FM105_missing_required_field.md": [("FM105", 10, 1, "缺少必填字段“title”")],
    "FM106_unknown_field.md": [("FM106", 11, 1, "未知字段“keyword”；是否应为“keywords”")],
    "FM107_invalid_field_value.md": [("FM107", 3, 7, "四位年份"), ("FM107", 6, 13, "应为列表，例如 counselors: [张明远]")],
    "FM108_value_not_allowed.md": [("FM108", 4, 8, "字段“theme”的值“党建+安全”不在允许范围内；可选值：党建+安全生产、党建+绿色发展、党建+技能培养")],
    "FM109_invalid_date.md": [("FM109", 8, 12, "日期 2022-02-30 不存在")],
    "FM110_duplicate_field.md": [("FM110", 4, 1, "字段“title”重复出现（首次在第 2 行）")],
    "FM111_yaml_anchor_alias.md": [("FM111", 9, None, "锚点和别名"), ("FM111", 10, None, "锚点和别名")],
    "FM112_yaml_tag.md": [("FM112", 2, 8, "YAML 标签")],
    "FM113_tab_indentation.md": [("FM103", 7, 1, "YAML 语法错误"), ("FM113", 7, 1, "制表符")],
    "FM115_summary_too_long.md": [("FM115", 9, 10, "摘要共 301 字")],
    "FM116_empty_field.md": [("FM116", 9, None, "字段“summary”为空")],
    "报告一.md": [("FM117", 1, 1, "只能使用英文字母")],
    "FM118_unreadable_draft.md": [("FM118", 2, 8, "不是有效的 UTF-8")],
    "FM119_duplicate_list_item.md": [("FM119", 6, 24, "“张明远”在“counselors”中重复出现")],
    "FM120_too_many_keywords.md": [("FM120", 10, 11, "关键词共 9 个")],
    "FM125_title_too_long_for_header.md": [("FM125", 2, 8, "页眉只能显示“以“党建+技能培养”推动高海拔地区历年统计年鉴…”")],
    "SEC201_missing_required_section.md": [("SEC201", 29, 1, "缺少必需章节“取得成效”（应位于“主要做法”之后、“经验启示”之前）")],
    "SEC202_section_out_of_order.md": [("SEC202", 21, 1, "章节“问题分析”应位于“辅导过程”之前")],
    "SEC203_section_wrong_level.md": [("SEC203", 25, 1, "应写作“## 四、主要做法”")],
    "SEC204_empty_section.md": [("SEC204", 25, 1, "章节“主要做法”没有内容")],
    "SEC205_duplicate_section.md": [("SEC205", 37, 1, "章节“取得成效”重复出现（首次在第 29 行）")],
    "SEC206_unknown_section.md": [("SEC206", 37, 1, "“七、经验启迪”不是规定的章节；是否应为“经验启示”")],
    "SEC207_title_heading_in_body.md": [("SEC207", 13, 1, "正文中出现一级标题")],
    "SEC208_scaffold_placeholder.md": [("SEC208", 9, 10, "摘要仍是 `reportgen new` 生成的占位文字"),
                                       ("SEC208", 19, 1, "“（在此撰写本节内容）”是 `reportgen new` 生成的占位文字"),
                                       ("SEC208", 27, 1, "“(write this section)”是")],
    "REG301_unknown_counselor.md": [("REG301", 6, 19, "辅导员“李华”不在名录中；是否应为“李华清”")],
    "REG302_unknown_company.md": [("REG302", 5, 10, "基层公司“云岭西南水泥公司”不在名录中；是否应为“云岭西南水泥有限公司”")],
    "REG302_short_company_name.md": [("REG302", 5, 10, "是否应为“云岭西南水泥有限公司”")],
    "AST501_unusable_image.md": [("AST501", 33, 1, "图片“assets/none.png”不存在"),
                                 ("AST501", 35, 1, "位于源目录之外"), ("AST501", 37, 1, "只能引用与草稿一同存放的图片")],
    "AST503_invalid_image.md": [("AST503", 33, 1, "图片“assets/truncated.png”：图片无法读取（OSError）"),
                                ("AST503", 35, 1, "不支持 SVG 格式的图片")],
    # Every tag of a line; not `\<title>` (escaped: the text itself); the source, URLs included.
    "AST504_raw_html.md": [("AST504", 15, 3, "HTML 代码“<b>”不会被解释"), ("AST504", 15, 10, "“</b>”"),
                           ("AST504", 17, 1, "“<script>”"), ("AST504", 17, 17, "“</script>”"),
                           ("AST504", 23, 28, "“<i>”"), ("AST504", 23, 33, "“</i>”"),
                           ("AST504", 25, 4, '“<img src="https://example.com/chart.png" width="300">”')],
    "RND605_structure_too_deep.md": [("RND605", 17, 1, "嵌套 13 层，最多允许 12 层")],
    "RND606_table_too_large.md": [("RND606", 31, 1, "表格一行有 41 列，最多允许 40 列")],
    "TXT401_pinyin_gloss_artifact.md": [("TXT401", 15, 8, "“创”后的拼音注音“(chuàng)”"), ("TXT401", 15, 21, "(fā)")],
    "TXT402_wrong_script.md": [("TXT402", 15, 15, "“黨”不是简体字，应写作“党”"), ("TXT402", 15, 17, "“輔導員”")],
    "TXT403_halfwidth_punctuation.md": [("TXT403", 15, 9, "半角“,”"), ("TXT403", 15, 16, "半角“;”"),
                                        ("TXT403", 15, 21, "半角括号")],
    "TXT404_cjk_latin_spacing.md": [("TXT404", 15, 4, "空格"), ("TXT404", 15, 8, "空格"),
                                    ("TXT404", 15, 14, "空格"), ("TXT404", 15, 17, "空格")],
    "TXT405_repeated_punctuation.md": [("TXT405", 15, 5, "“。。”"), ("TXT405", 15, 11, "“，，”")],
    "TXT406_fullwidth_alphanumeric.md": [("TXT406", 15, 5, "应写作“123”"), ("TXT406", 15, 14, "“ISO”")],
    "TXT407_space_between_han.md": [("TXT407", 15, 3, "汉字之间")],
    "TXT408_invisible_character.md": [("TXT408", 15, 3, "U+200B"), ("TXT408", 15, 10, "U+202E")],
    "TXT409_xml_invalid_character.md": [("TXT409", 15, 5, "U+000B")],
    "TXT410_glyph_not_in_font.md": [("TXT410", 15, 5, "U+1F600")],
    "FM126_title_too_long.md": [("FM126", 2, 8, "最多允许 100 个")],
    "TXT411_ascii_quotes.md": [("TXT411", 15, 3, "英文引号")],
    "TXT412_html_character_reference.md": [("TXT412", 15, 1, "段首用“&emsp;&emsp;”缩进"),
                                           ("TXT412", 15, 23, "将排印为“©”")],
    "TXT413_unsupported_markdown_extension.md": [("TXT413", 15, 8, "属性列表“{.lead}”"), ("TXT413", 17, 1, "“[TOC]”")],
    # Drafts that must be clean.
    "no_coercion.md": [],
    "bom_crlf.md": [],
    "text_in_code_is_ignored.md": [],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rule_fixture_reports_code_line_and_message(name, check_file):
    diagnostics = check_file(RULE_FIXTURES / name)
    found = [(d.code, d.line, d.col, d.message) for d in diagnostics]
    expected = EXPECTED[name]
    assert len(found) == len(expected), found
    for (code, line, col, message), (want_code, want_line, want_col, fragment) in zip(found, expected, strict=True):
        assert (code, line) == (want_code, want_line), found
        if want_col is not None:
            assert col == want_col, found
        assert fragment in message, found


def test_every_document_rule_has_a_fixture():
    covered = {code for expectations in EXPECTED.values() for code, *_ in expectations} | {"FM114"}
    document_rules = {code for code, rule in CODES.items()
                      if rule.scope == "document" or code.startswith(("FM", "SEC", "TXT"))}
    assert document_rules - covered == set()


def test_year_mismatch_points_at_year_value(check_file):
    diagnostics = check_file(PROJECT / "reports_src" / "2022" / "FM114_year_mismatch.md")
    assert [(d.code, d.line, d.col) for d in diagnostics] == [("FM114", 3, 7)]
    assert "年度 2021 与草稿所在目录“2022”不一致" in diagnostics[0].message


def test_valid_draft_is_clean(check_file):
    assert check_file(PROJECT / "reports_src" / "2022" / "valid.md") == []


def test_yaml_never_coerces_text(project_config):
    from generator.read.parse import parse
    from generator.read.reader import read_draft

    doc = parse(read_draft(RULE_FIXTURES / "no_coercion.md"), project_config)
    assert doc.meta.title == "no"
    assert doc.meta.summary == "01234"
    assert doc.meta.keywords == ("1.10", "1:30", "01234", "yes")


def test_numbering_variants_and_aliases_match_required_sections(check_file):
    diagnostics = check_file(RULE_FIXTURES / "sections_numbering_and_aliases.md")
    assert not [d for d in diagnostics if d.code.startswith("SEC")], diagnostics


def test_bom_and_crlf_keep_line_numbers(project_config, check_file):
    from generator.read.reader import read_draft

    draft = read_draft(RULE_FIXTURES / "bom_crlf.md")
    assert draft.has_bom and draft.had_crlf
    assert draft.fields["company"].value_pos.line == 5
    assert draft.body_line == 12


def test_crashing_rule_is_reported_for_its_file_and_others_still_run(monkeypatch, check_file):
    from generator.check import registry

    def broken(doc, ctx):
        raise ZeroDivisionError("boom")
        yield

    original = registry.RULES["SEC207"]
    monkeypatch.setitem(registry.RULES, "SEC207", registry.Rule(original.info, broken))
    found = check_file(RULE_FIXTURES / "SEC201_missing_required_section.md")
    codes = [d.code for d in found]
    assert "INT901" in codes and "SEC201" in codes
    assert "ZeroDivisionError" in next(d.message for d in found if d.code == "INT901")
