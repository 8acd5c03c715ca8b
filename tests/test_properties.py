"""Property tests: whatever a draft contains, `check` returns diagnostics and never raises."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.check.context import CheckContext
from generator.check.engine import apply_severity, check_document
from generator.check.fixes import apply_edits, fix_text
from generator.read.parse import parse
from generator.read.reader import draft_from_text

from .conftest import PROJECT

DRAFT = PROJECT / "reports_src" / "2022" / "hypothesis.md"
HAN_AND_MARKUP = st.lists(st.sampled_from(
    list("党建辅导员課題報告創(chuàng)发展，。；：,.;:!?()（）“”\"'`*_#>-|[]^:!\n\t 　ABCxyz0123４５") +
    ["\u200b", "\u202e", "\x0b", "\x00", "---", "```", "## 一、课题背景\n", "[^1]", "![a](b.png)", "\r\n"]),
    max_size=200).map("".join)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check(text: str, ctx: CheckContext):
    doc = parse(draft_from_text(DRAFT, text), ctx.config)
    return apply_severity(check_document(doc, ctx), ctx.config)


@given(st.text(max_size=600))
@SETTINGS
def test_arbitrary_text_never_raises(project_config, project_registry, text):
    ctx = CheckContext(project_config, project_registry, whole_corpus=False)
    diagnostics = _check(text, ctx)
    assert all(d.line >= 1 and d.col >= 1 for d in diagnostics)
    assert not [d for d in diagnostics if d.code == "INT901"], diagnostics


@given(HAN_AND_MARKUP)
@SETTINGS
def test_markdown_like_text_never_raises(project_config, project_registry, text):
    ctx = CheckContext(project_config, project_registry, whole_corpus=False)
    diagnostics = _check("---\ntitle: x\n---\n" + text, ctx)
    assert not [d for d in diagnostics if d.code == "INT901"], diagnostics


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30) | st.dates(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)


@given(st.dictionaries(st.sampled_from(["title", "year", "theme", "company", "counselors", "status", "submitted",
                                        "summary", "keywords", "extra", "年度"]) | st.text(max_size=8),
                       YAML_VALUES, max_size=10))
@SETTINGS
def test_arbitrary_front_matter_mappings_never_raise(project_config, project_registry, mapping):
    ctx = CheckContext(project_config, project_registry, whole_corpus=False)
    front = yaml.safe_dump(mapping, allow_unicode=True)
    diagnostics = _check(f"---\n{front}---\n\n## 一、课题背景\n\n正文。\n", ctx)
    assert not [d for d in diagnostics if d.code == "INT901"], diagnostics


CODE_SPAN = st.text(alphabet=st.sampled_from(list("中文,;:()创(chuàng)黨 ABC１")), min_size=1, max_size=12).filter(
    lambda s: "`" not in s and s.strip() == s and "\n" not in s)


@given(HAN_AND_MARKUP, CODE_SPAN)
@SETTINGS
def test_fixing_never_changes_code_spans_and_is_idempotent(project_config, project_registry, text, code):
    ctx = CheckContext(project_config, project_registry, whole_corpus=False)
    source = f"---\ntitle: x\n---\n\n{text}\n\n这是代码`{code}`，不改。\n"
    once, _count = fix_text(DRAFT, source, ctx)
    assert f"`{code}`" in once
    twice, count = fix_text(DRAFT, once, ctx)
    assert twice == once and count == 0


@given(st.text(max_size=50), st.lists(st.tuples(st.integers(0, 50), st.integers(0, 10), st.text(max_size=3))))
def test_apply_edits_applies_only_non_overlapping_edits(text, raw_edits):
    from generator.core.model import Edit

    edits = [Edit(min(start, len(text)), min(start + length, len(text)), replacement)
             for start, length, replacement in raw_edits]
    result, applied = apply_edits(text, edits)
    assert (applied >= 1 if edits else applied == 0) and applied <= len(edits)
    if not edits:
        assert result == text


@given(st.text(min_size=1, max_size=40), st.data())
def test_apply_edits_applies_every_edit_of_disjoint_spans_as_spliced(text, data):
    from generator.core.model import Edit

    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=8))))
    spans = list(zip(cuts[::2], cuts[1::2]))
    edits = [Edit(start, end, data.draw(st.text(max_size=3))) for start, end in spans]
    result, applied = apply_edits(text, list(reversed(edits)))
    expected, position = "", 0
    for edit in edits:
        expected += text[position:edit.start] + edit.replacement
        position = edit.end
    assert applied == len(edits) and result == expected + text[position:]


HOSTILE_TOKENS = st.lists(st.sampled_from(
    ["<script>alert(1)</script>", "<img src=file:///etc/passwd>", "{{ 7*7 }}", "{% raw %}", "<![CDATA[x]]>",
     "<style>@import url(x)</style>", "[a](javascript:alert(1))", "![b](file:///etc/passwd)", "\n\n", "> ", "- ",
     "1. ", "| a | b |\n|---|---|\n| 1 | 2 |\n", "```\ncode\n```\n", "[^1]", "\n[^1]: 注\n", "**粗**", "*斜*",
     "中文", "English", "\x00", "\x0b", "\u202e", "## 一、课题背景\n"]), max_size=40).map("".join)


@given(HOSTILE_TOKENS)
@SETTINGS
def test_read_parse_check_render_html_never_raises_or_passes_markup_through(project_config, project_registry, text):
    from generator.render.html import render_report_html

    ctx = CheckContext(project_config, project_registry, whole_corpus=False)
    doc = parse(draft_from_text(DRAFT, "---\ntitle: '<script>{{ 7*7 }}'\n---\n" + text), ctx.config)
    check_document(doc, ctx)
    html = render_report_html(doc, ctx.config)
    body = html.split("<body>", 1)[1]
    assert "<script" not in body and 'src="file:///etc' not in body and "<style" not in body
    assert "javascript:" not in body.replace("javascript:alert(1)</", "")
