"""Code fences are recognised once (`generator/read/fences.py`): the outline (sections checks), the Markdown
tree (both renderers) and the prose lines (text rules) agree on what is code (issue 15)."""

from __future__ import annotations

import pytest

from generator.read.fences import FenceScanner, opening_fence
from generator.read.parse import parse
from generator.read.prose import lines_outside_code, prose_segments
from generator.read.reader import draft_from_text

from .conftest import PROJECT

DRAFT = PROJECT / "reports_src" / "2022" / "fences.md"
FRONT = "---\ntitle: 围栏\n---\n\n## 一、课题背景\n\n正文。\n\n"


def _read(body: str, config):
    doc = parse(draft_from_text(DRAFT, FRONT + body), config)
    return doc, doc.draft


def _outline(doc) -> list[str]:
    return [heading.text for heading in doc.outline]


def _tree_headings(doc) -> list[str]:
    return ["".join(element.itertext()) for element in doc.body.iter() if element.tag in ("h1", "h2", "h3")]


def _code_texts(doc) -> list[str]:
    return ["".join(pre.itertext()) for pre in doc.body.iter("pre")]


def _prose(draft) -> list[str]:
    return [line for _number, line in lines_outside_code(draft)]


@pytest.mark.parametrize("body", [
    "  ```\n  ## 不是章节\n  ```\n\n后文。\n",    # fence and content indented two spaces
    "  ```\n## 不是章节\n  ```\n\n后文。\n",      # fence indented, content at column 0
    "   ~~~~ text\n ## 不是章节\n  ~~~~~\n\n后文。\n",  # three spaces, tildes, a longer closing fence
])
def test_a_fence_indented_up_to_three_spaces_is_code_for_outline_tree_and_prose(project_config, body):
    doc, draft = _read(body, project_config)
    assert _outline(doc) == ["一、课题背景"]
    assert _tree_headings(doc) == ["一、课题背景"]
    assert _code_texts(doc) == ["## 不是章节"]  # inside `pre`, the fence's indentation removed
    prose = _prose(draft)
    assert not any("不是章节" in line for line in prose) and not any("```" in line or "~~~" in line for line in prose)
    assert "后文。" in prose
    assert not any("不是章节" in segment.text for segment in prose_segments(draft))


def test_a_fence_at_column_zero_is_unchanged(project_config):
    doc, draft = _read("```python\n## 不是章节\n    indented = 1\n```\n\n## 二、做法\n\n后文。\n", project_config)
    assert _outline(doc) == ["一、课题背景", "二、做法"]
    assert _tree_headings(doc) == ["一、课题背景", "二、做法"]
    assert _code_texts(doc) == ["## 不是章节\n    indented = 1"]  # content kept as written
    assert next(doc.body.iter("code")).get("class") == "language-python"
    assert not any("不是章节" in line for line in _prose(draft))


def test_four_spaces_or_a_tab_is_not_a_fence_and_a_short_or_other_closing_does_not_close(project_config):
    assert opening_fence("    ```") is None and opening_fence("\t```") is None and opening_fence("``") is None
    fence = opening_fence("  ````")
    assert (fence.char, fence.length, fence.indent) == ("`", 4, 2)
    assert not fence.closed_by("```") and not fence.closed_by("~~~~") and not fence.closed_by("    ````")
    assert not fence.closed_by("```` x") and fence.closed_by("   `````  ")
    assert fence.content("      x") == "    x" and fence.content(" x") == "x" and fence.content("x") == "x"
    # a closing fence that does not close is content, for all three readers
    doc, draft = _read("````\n```\n## 不是章节\n````\n\n## 二、做法\n", project_config)
    assert _outline(doc) == _tree_headings(doc) == ["一、课题背景", "二、做法"]
    assert _code_texts(doc) == ["```\n## 不是章节"]
    assert not any("不是章节" in line for line in _prose(draft))


def test_an_unclosed_fence_runs_to_the_end(project_config):
    doc, draft = _read("  ```\n## 不是章节\n\n## 也不是\n", project_config)
    assert _outline(doc) == _tree_headings(doc) == ["一、课题背景"]
    assert not any("不是" in line for line in _prose(draft))


def test_the_scanner_marks_fences_and_content():
    scanner = FenceScanner()
    lines = ["正文", "  ~~~", "code", "  ~~~", "正文", "```", "```"]
    assert [scanner.in_code(line) for line in lines] == [False, True, True, True, False, True, True]
