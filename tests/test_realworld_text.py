"""Text that came out wrong in drafts written by other people (issue 14, items 4–10).

The golden corpus `tests/realworld/text/` holds small drafts in the style of pasted web text, weekly newsletters
and style guides. They are built end to end once (`reportgen build`), and each test reads what was printed:
the PDF's text (pdftotext), its fonts (pdffonts) and the DOCX's paragraphs and runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.check.engine import check_paths
from generator.cli import main
from generator.core.config import load_config
from generator.read.registry import load_registry

from .conftest import PROJECT, REPO

CORPUS = Path(__file__).parent / "realworld" / "text"
CONFIGURED_FACES = ("notoserifcjk", "notosanscjk", "notosansmonocjk", "arplukai")  # PostScript names, folded


def realworld_project(root: Path, names: list[str] | None = None) -> Path:
    """A project with the test project's configuration (templates and logo of the repository) and the golden
    drafts `names` (default: all of them)."""
    drafts = root / "reports_src" / "2022"
    drafts.mkdir(parents=True)
    config = (PROJECT / "reportgen.toml").read_text(encoding="utf-8").replace("../../templates", str(REPO / "templates"))
    (root / "reportgen.toml").write_text(config, encoding="utf-8")
    shutil.copy(PROJECT / "reports_src" / "registry.yaml", root / "reports_src")
    shutil.copytree(PROJECT / "reports_src" / "2022" / "assets", drafts / "assets")
    for path in sorted(CORPUS.glob("*.md")):
        if names is None or path.stem in names:
            shutil.copy(path, drafts / path.name)
    return root


class Built:
    def __init__(self, root: Path):
        self.root = root
        self.reports = root / "output" / "2022" / "reports"
        self.config = load_config(root / "reportgen.toml")

    def pdf_text(self, report_id: str) -> str:
        """The PDF's text as printed, lines of a paragraph joined (a gap shows as a space)."""
        result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(self.reports / f"{report_id}.pdf"), "-"],
                                capture_output=True, text=True, check=True)
        return result.stdout.replace("\n", "")

    def docx_paragraphs(self, report_id: str) -> list[str]:
        document = docx.Document(str(self.reports / f"{report_id}.docx"))
        paragraphs = [paragraph.text for paragraph in document.paragraphs]
        for table in document.tables:
            paragraphs += [cell.text for row in table.rows for cell in row.cells]
        return paragraphs

    def docx_xml(self, report_id: str) -> str:
        return zipfile.ZipFile(self.reports / f"{report_id}.docx").read("word/document.xml").decode()

    def diagnostics(self, report_id: str):
        path = self.root / "reports_src" / "2022" / f"{report_id}.md"
        _documents, found = check_paths([path], self.config, load_registry(self.config.registry_path),
                                        whole_corpus=False)
        return found


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    root = realworld_project(tmp_path_factory.mktemp("realworld") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        code = main(["build", "--jobs", "2", "--no-volume"])
    assert code == 0
    return Built(root)


def test_golden_corpus_builds_with_configured_faces_only(built):
    for path in sorted(CORPUS.glob("*.md")):
        pdf = built.reports / f"{path.stem}.pdf"
        result = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
        names = [line.split()[0].split("+")[-1].replace("-", "").lower()
                 for line in result.stdout.splitlines()[2:] if line.strip()]
        assert names and all(name.startswith(CONFIGURED_FACES) for name in names), (path.stem, names)
        assert (built.reports / f"{path.stem}.docx").is_file()


# ---- item 4: code spans are printed as written ----------------------------------------------------------------

def test_code_spans_print_ampersands_and_angle_brackets_once(built):
    text = built.pdf_text("codespan")
    paragraphs = "\n".join(built.docx_paragraphs("codespan"))
    for output in (text, paragraphs):
        assert "a && b < c" in output and "cmd > out.txt" in output and "实体写作&lt;。" in output
        assert "if (a && b < c) { return x > y; }" in output  # indented code block
        assert "（一）x < y && z的写法" in output  # a heading
        assert "&amp;" not in output and "&gt;" not in output
    assert "脚注中的代码p && q照原样印出。" in text
    footnotes = zipfile.ZipFile(built.reports / "codespan.docx").read("word/footnotes.xml").decode()
    assert "p &amp;&amp; q" in footnotes and "&amp;amp;" not in footnotes  # the XML's own escaping, once
    from pypdf import PdfReader

    def titles(items) -> list[str]:
        return [title for item in items for title in (titles(item) if isinstance(item, list) else [item.title])]

    assert "（一）x < y && z的写法" in titles(PdfReader(built.reports / "codespan.pdf").outline)  # the bookmark


# ---- item 5: e-mail autolinks ------------------------------------------------------------------------------------

def test_email_autolink_prints_the_address_and_links_to_it(built):
    for output in (built.pdf_text("email"), "\n".join(built.docx_paragraphs("email"))):
        assert "发邮件至dangjian@example.com，" in output and "amp;" not in output and "#" not in output
    assert 'Target="mailto:dangjian@example.com"' in zipfile.ZipFile(
        built.reports / "email.docx").read("word/_rels/document.xml.rels").decode()
    assert "AST504" not in {item.code for item in built.diagnostics("email")}


# ---- item 9: soft line breaks next to other elements ---------------------------------------------------------

def test_soft_breaks_next_to_code_spans_and_latin_words_leave_no_gap(built):
    for output in (built.pdf_text("softbreaks"), "\n".join(built.docx_paragraphs("softbreaks"))):
        assert "调用init()方法，然后启动Docker容器，" in output


def test_spaces_around_bold_between_chinese_are_reported_and_fixed(built):
    found = [item for item in built.diagnostics("softbreaks") if item.code == "TXT407"]
    assert [(item.line, item.col) for item in found] == [(17, 6), (17, 15)]


# ---- item 10: GFM and pandoc extensions ----------------------------------------------------------------------

def test_strikethrough_and_task_lists_are_drawn_in_pdf_and_docx(built):
    text = built.pdf_text("extensions")
    paragraphs = built.docx_paragraphs("extensions")
    for output in (text, "\n".join(paragraphs)):
        assert "原计划三个月两个月完成。" in output and "~~" not in output
        assert "■ 完成隐患排查" in output and "□ 完成整改销号" in output and "[x]" not in output
    xml = built.docx_xml("extensions")
    struck = re.search(r"<w:r><w:rPr><w:strike/></w:rPr><w:t[^>]*>三个月</w:t></w:r>", xml)
    assert struck, "the deleted words are struck through in Word"


def test_strikethrough_reaches_the_pdf_as_deleted_text(built):
    from generator.read.parse import parse
    from generator.read.reader import read_draft
    from generator.render.html import body_html

    doc = parse(read_draft(built.root / "reports_src" / "2022" / "extensions.md"), built.config)
    assert "<del>三个月</del>" in body_html(doc, anchor_prefix="r")  # line-through in WeasyPrint's HTML styles


def test_unsupported_extensions_are_reported(built):
    found = {(item.code, item.line) for item in built.diagnostics("extensions")}
    assert ("TXT413", 18) in found  # {: .note}, kramdown's
    assert ("TXT413", 20) in found  # {width=50%}
    assert ("TXT413", 22) in found  # [TOC]


# ---- item 6: HTML entities from pasted web text ------------------------------------------------------------

def test_entities_print_as_characters_and_are_reported(built):
    for output in (built.pdf_text("entities"), "\n".join(built.docx_paragraphs("entities"))):
        assert "版权©西南水泥" in output and "风险等级<二级的隐患当日整改&销号。" in output
        assert "代码中的实体不解码：&copy;。写作&copy;即印出实体本身。" in output  # code, and an escaped `&`
        assert "图1 隐患排查—趋势" in output  # the caption, from the image's alt text
        assert "&emsp;" not in output and "&nbsp;" not in output and "&copy;西南" not in output
    found = [(item.code, item.line, item.col) for item in built.diagnostics("entities") if item.code == "TXT412"]
    assert found == [("TXT412", 2, 23), ("TXT412", 15, 1), ("TXT412", 17, 3), ("TXT412", 17, 25), ("TXT412", 21, 10)]
    assert "网页粘贴文字&mdash;示例" in built.pdf_text("entities")  # front matter is not Markdown: as written


def _fixed(built: Built, name: str) -> str:
    from generator.check.context import CheckContext
    from generator.check.fixes import fix_text

    path = built.root / "reports_src" / "2022" / f"{name}.md"
    ctx = CheckContext(config=built.config, registry=load_registry(built.config.registry_path), whole_corpus=False)
    text, _count = fix_text(path, path.read_text(encoding="utf-8"), ctx)
    again, count = fix_text(path, text, ctx)
    assert (again, count) == (text, 0)  # a second run changes nothing
    return text


def test_fix_writes_entities_as_text_and_removes_the_hand_made_indent(built):
    fixed = _fixed(built, "entities")
    assert "title: 带有HTML实体的网页粘贴文字—示例\n" in fixed
    assert "\n公司党委高度重视安全生产工作" in fixed and "版权©西南水泥" in fixed and "2021年12月" in fixed
    assert "`&copy;`" in fixed and "&lt;二级" in fixed and "&amp;销号" in fixed


# ---- item 7: a fix never changes what the Markdown means ------------------------------------------------------

def test_fix_keeps_link_definitions_autolinks_code_tables_and_html_like_text(built):
    fixed = _fixed(built, "linkdefs")
    assert '[guide]: http://x.example/guide "编写规范"' in fixed and "[site]: http://x.example/ '公司\"官网\"'" in fixed
    assert "<https://example.com/a,b>" in fixed and '`"中文"`' in fixed and '<span title="中文">' in fixed
    assert "| 引号 | 他说“安全第一” |" in fixed  # prose in a table is still fixed
    from generator.read.parse import markdown_tree

    links = [link.get("href") for link in markdown_tree(fixed.split("---\n", 2)[2])[0].iter("a")]
    assert links == ["http://x.example/guide", "http://x.example/", "https://example.com/a,b"]


# ---- item 8: consistent spacing fixes, ideographic spaces kept, code untouched, --diff honest ------------------

def test_fix_spacing_is_consistent_and_leaves_code_and_letter_spacing(built):
    fixed = _fixed(built, "spacing")
    assert "围绕`AVObject`进行开发，转过90°的角，他说“喵”了。" in fixed
    assert "“综　合”" in fixed
    assert ">         缩进代码 , 不改" in fixed


def test_diff_alone_says_nothing_was_written(tmp_path, capsys, monkeypatch):
    root = realworld_project(tmp_path / "project", ["spacing"])
    draft = root / "reports_src" / "2022" / "spacing.md"
    before = draft.read_bytes()
    monkeypatch.chdir(root)
    main(["check", "--diff", "reports_src/2022/spacing.md"])
    out, _err = capsys.readouterr()
    assert "+围绕`AVObject`进行开发" in out and draft.read_bytes() == before
    assert "已自动修复" not in out and "以上显示了 5 处修复，未写入任何文件。" in out


# ---- every fix, against every kind of syntax (a property) ------------------------------------------------------

SYNTAX_FRAGMENTS = [
    '详见[规范][id]和[手册][id2]。\n\n[id]: http://x.example/ "标题"\n[id2]: http://y.example/ \'公司"官网"\'',
    "请写信至<a@example.com>，或访问<https://example.com/a,b>。",
    '代码`"中文" , 中 a`不改，``a `b` 中``也不改。',
    '表1 对照表\n\n| 列 | 说明 |\n|---|---|\n| 引号 | 他说"安全" |\n| 代码 | `"中文"` |',
    "    缩进代码 , 不改 “x” \n",
    "> 1. 引用中的列表\n>\n>         缩进代码 , 不改",
    "- 项目\n\n        列表中的代码 , 不改",
    "就能 **免费领取** 这份，说 “喵” 了，转过90° 的角。",
    "&emsp;&emsp;首行缩进，版权&copy;所有，空格&nbsp;这里，&lt;b&gt;与&amp;。",
    "原计划~~三个月~~两个月，围绕 `AVObject` 进行。",
    "![图1 趋势](assets/chart.png)",
    "脚注[^1]。\n\n[^1]: 注释 内容,说明。",
    "* 列表 项\n* 第二 项\n\n1. 有序 项",
    "综　合，\u200b零宽。",
    '见[链接](http://x.example/ "链接 标题")和![图2 趋势,说明](assets/chart.png "图 题")。',
    "*强调* 文字，**粗体** ，~~删除~~ 的字，中 *斜* 文。",
    "### （一） 标题 之后\n\n#### 1. 小节 标题",
    "> 引用 中的 “话” 。\n>\n> - 列表 项\n>\n>     > 嵌套 引用",
    "| `a|b` | 说明 , 文字 |\n|---|---|\n| 1 | 2 |",
    "1. 第一\n\n    续段 , 文字\n\n        代码 , 不改",
]
PROSE_FRAGMENT = '中文,英文; 创(chuàng)新 ERP 系统 １２３ 。。"党建"'  # in every draft: something to fix
HTML_LIKE_FRAGMENT = '形似标签<span title="中文">文字</span>照印。'


def _draft(fragments: list[str]) -> str:
    text = (CORPUS / "softbreaks.md").read_text(encoding="utf-8")
    head, rest = text.split("## 一、课题背景\n", 1)
    return head + "## 一、课题背景\n\n" + "\n\n".join([*fragments, PROSE_FRAGMENT]) + "\n" + rest.split("\n## ", 1)[1].join(["\n## ", ""])


@pytest.fixture(scope="module")
def fix_context(tmp_path_factory):
    from generator.check.context import CheckContext

    root = realworld_project(tmp_path_factory.mktemp("fixes") / "project", [])
    config = load_config(root / "reportgen.toml")
    return FixContext(root / "reports_src" / "2022" / "property.md", CheckContext(
        config=config, registry=load_registry(config.registry_path), whole_corpus=False))


class FixContext(tuple):
    def __new__(cls, path, ctx):
        return super().__new__(cls, (path, ctx))

    def __repr__(self) -> str:  # hypothesis prints the fixture with a failing example
        return "FixContext()"


def _syntax(path, text, config):
    from generator.check.fixes import markdown_syntax
    from generator.read.parse import parse
    from generator.read.reader import draft_from_text

    return markdown_syntax(parse(draft_from_text(path, text), config))


@given(st.lists(st.sampled_from(SYNTAX_FRAGMENTS), min_size=1, max_size=5))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_rule_proposes_only_fixes_that_keep_the_syntax(fix_context, fragments):
    """The rules themselves never offer an edit inside syntax (the fixer's own check is only a safety net)."""
    from generator.check.engine import apply_severity, check_document
    from generator.check.fixes import apply_edits
    from generator.read.parse import parse
    from generator.read.reader import draft_from_text

    path, ctx = fix_context
    text = _draft(fragments)
    doc = parse(draft_from_text(path, text), ctx.config)
    edits = [edit for item in apply_severity(check_document(doc, ctx), ctx.config) for edit in item.fix]
    assert edits
    for edit in edits:
        assert _syntax(path, apply_edits(text, [edit])[0], ctx.config) == _syntax(path, text, ctx.config), edit


@given(st.lists(st.sampled_from([*SYNTAX_FRAGMENTS, HTML_LIKE_FRAGMENT]), min_size=1, max_size=5))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fix_keeps_the_syntax_fixes_the_prose_and_is_idempotent(fix_context, fragments):
    from generator.check.fixes import fix_text

    path, ctx = fix_context
    text = _draft(fragments)
    fixed, count = fix_text(path, text, ctx)
    assert count > 0 and _syntax(path, fixed, ctx.config) == _syntax(path, text, ctx.config)
    assert fix_text(path, fixed, ctx) == (fixed, 0)
    assert "中文，英文；创新ERP系统123。“党建”" in fixed, fixed
    if HTML_LIKE_FRAGMENT in fragments:
        assert '<span title="中文">' in fixed


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_prints_the_word_files_as_the_pdfs_do(built, tmp_path):
    """The DOCX files as LibreOffice lays them out print the same text as the PDFs (items 4, 5, 6, 9, 10)."""
    names = ["codespan", "email", "entities", "softbreaks", "extensions"]
    result = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                             "pdf", "--outdir", str(tmp_path), *(str(built.reports / f"{name}.docx") for name in names)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    def printed(name: str) -> str:  # without spaces: LibreOffice sets Chinese and Latin apart (autoSpaceDE)
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / f"{name}.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        return re.sub(r"\s+", "", text)

    assert "a&&b<c" in printed("codespan") and "&amp;" not in printed("codespan")
    assert "发邮件至dangjian@example.com，" in printed("email") and "amp;" not in printed("email")
    assert "版权©西南水泥" in printed("entities") and "&emsp;" not in printed("entities")
    assert "调用init()方法，然后启动Docker容器，" in printed("softbreaks")
    assert "原计划三个月两个月完成。" in printed("extensions") and "■完成隐患排查" in printed("extensions")


def test_fix_spacing_with_the_require_policy_treats_code_spans_and_degrees_alike(built, tmp_path):
    from generator.check.context import CheckContext
    from generator.check.fixes import fix_text

    config = built.config.model_copy(update={"text": built.config.text.model_copy(
        update={"cjk_latin_spacing": "require"})})
    ctx = CheckContext(config=config, registry=load_registry(config.registry_path), whole_corpus=False)
    path = built.root / "reports_src" / "2022" / "spacing.md"
    fixed, _count = fix_text(path, path.read_text(encoding="utf-8"), ctx)
    assert "围绕 `AVObject` 进行开发，转过 90° 的角，他说“喵”了。" in fixed
