"""Parsing: Draft -> Document, the one intermediate tree that both renderers read.

The Markdown pipeline is Python-Markdown's, spelled out here without its HTML serialiser:
preprocessors -> block parser -> tree processors. Raw HTML is never passed through: the HTML block
preprocessor and the inline HTML/entity patterns are removed, so HTML in a draft stays literal text.
A final tree processor keeps only known attributes, joins CJK soft line breaks and lifts footnotes out of
the body. The outline (headings with source lines) comes from a line scanner of the same body text.
"""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.extensions.footnotes import NBSP_PLACEHOLDER
from markdown.inlinepatterns import InlineProcessor, SimpleTagInlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE, AtomicString, code_escape

from generator.core.atomic import atomic_write
from generator.core.config import Config
from generator.core.model import Document, Draft, Heading
from generator.core.textnorm import CHARACTER_REFERENCE, decode_reference, join_soft_breaks, xml_safe

from .fences import FenceScanner, opening_fence
from .frontmatter import to_meta

MARKDOWN_EXTENSIONS = ["tables", "footnotes", "sane_lists", "attr_list", "toc"]
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    "sup": {"id"},
    "li": {"id"},
    "div": {"class"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
}
RELATIVE_PATH = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)(?!\\)\S")
SAFE_LINK = re.compile(r"^(?:https?://|mailto:|#)", re.IGNORECASE)
ALIGN = re.compile(r"text-align:\s*(left|right|center)")
ATX = re.compile(r"^(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
SETEXT = re.compile(r"^(=+|-+)[ \t]*$")
# Python-Markdown's tree is made for its own serialiser: code text is stored HTML-escaped (`code_escape`), and
# e-mail autolinks are spelled as character references behind a placeholder for `&` (AMP_SUBSTITUTE), which the
# serialiser turns back into `&`. Both renderers read text from the tree, so TreeCleanup decodes both.
REFERENCE_RE = re.compile(r"(?<!\\)" + CHARACTER_REFERENCE)
CODE_ESCAPED = re.compile(r"&(amp|lt|gt);")
CODE_UNESCAPE = {"amp": "&", "lt": "<", "gt": ">"}
SUBSTITUTED_REFERENCE = re.compile(re.escape(AMP_SUBSTITUTE) + r"(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
STRIKETHROUGH = r"(~{2})(?!~)(.+?)(?<!~)~{2}"  # GFM's ~~deleted~~
TASK_MARK = re.compile(r"^\[([ xX])\][ \t]+")
# The boxes of GFM task list items: drawn by every configured face (☐ ☑ are missing from the CJK ones).
TASK_BOXES = {" ": "□", "x": "■", "X": "■"}
ATTR_LIST_TAIL = re.compile(r"\s*\{:?[^}]*\}\s*$")
INLINE_MARKS = re.compile(r"[*_`]|\\(?=.)")


class FencedCodeProcessor(BlockProcessor):
    """Fenced code blocks as tree nodes (the stock extension stashes them as raw HTML strings)."""

    def test(self, parent, block):
        return opening_fence(block.split("\n", 1)[0]) is not None

    def run(self, parent, blocks):
        first = blocks.pop(0)
        fence = opening_fence(first.split("\n", 1)[0])
        language, closing = fence.language, fence.closing()
        lines = first.split("\n")[1:]
        collected = "\n".join(lines)
        while True:
            match = closing.search(collected)
            if match:
                code, rest = collected[: match.start()], collected[match.end():].lstrip("\n")
                if rest:
                    blocks.insert(0, rest)
                break
            if not blocks:
                code = collected
                break
            collected += "\n\n" + blocks.pop(0)
        pre = etree.SubElement(parent, "pre")
        element = etree.SubElement(pre, "code")
        if language:
            element.set("class", f"language-{language}")
        if fence.indent:  # content lines lose up to the opening fence's indentation (CommonMark)
            code = "\n".join(fence.content(line) for line in code.split("\n"))
        # Escaped as Python-Markdown stores every other code text (TreeCleanup decodes all of them alike).
        element.text = AtomicString(code_escape(code.rstrip("\n")))


class CharacterReferenceProcessor(InlineProcessor):
    """`&copy;`, `&nbsp;`, `&#8212;` as the text they name (the stock pattern stashes them as raw HTML, which
    the renderers would print literally); references that name nothing printable stay as written."""

    def handleMatch(self, m, data):
        text = decode_reference(m.group(0))
        if text is None:
            return None, None, None
        return text, m.start(0), m.end(0)


class TreeCleanup(Treeprocessor):
    """Last tree processor: allowed attributes only, XML-safe CJK-joined text, footnotes lifted out."""

    def run(self, root):
        footnotes = []
        for div in list(root.findall("div")):
            if div.get("class") == "footnote":
                root.remove(div)
                for item in div.iter("li"):
                    for backref in list(item.iter("a")):
                        if backref.get("class") == "footnote-backref":
                            _remove_backref(item, backref)
                    footnotes.append((item.get("id", ""), item))
        for tree in (root, *(item for _, item in footnotes)):
            for element in tree.iter():
                _decode_substituted_references(element)
                self._clean_attributes(element)
            _clean_text(tree)
        _mark_task_items(root)
        _mark_figures_and_captions(root)
        self.md.reportgen_tree = root
        self.md.reportgen_footnotes = footnotes

    @staticmethod
    def _clean_attributes(element) -> None:
        allowed = ALLOWED_ATTRIBUTES.get(element.tag, set())
        style = element.get("style", "")
        for name in list(element.attrib):
            if name not in allowed:
                del element.attrib[name]
        if element.tag == "a" and not SAFE_LINK.match(element.get("href", "")):
            element.attrib.pop("href", None)  # file:, javascript:, data: … links are kept as plain text
        if element.tag == "img" and not RELATIVE_PATH.match(element.get("src", "")):
            element.attrib.pop("src", None)  # only relative paths reach a renderer (AST501 reports the rest)
        if element.tag == "img" and "&" in element.get("alt", ""):
            # Python-Markdown keeps an image's alt text raw; it is printed as the figure's caption.
            element.set("alt", REFERENCE_RE.sub(lambda match: decode_reference(match.group(0)) or match.group(0),
                                                element.get("alt")))
        if element.tag in ("th", "td") and (match := ALIGN.search(style)):
            element.set("align", match.group(1))


def _clean_text(tree) -> None:
    """Code as written; elsewhere soft line breaks joined, seeing the characters on either side even when they
    belong to a neighbouring element (`代码<code>x</code>⏎结尾`, `**加粗**⏎文字`); XML-safe text throughout."""
    slots = []

    def walk(element) -> None:
        slots.append((element, "text"))
        for child in element:
            walk(child)
            slots.append((child, "tail"))

    walk(tree)
    values = [getattr(element, attribute) or "" for element, attribute in slots]
    last_before, first_after = [""] * len(values), [""] * len(values)
    for index in range(1, len(values)):
        last_before[index] = values[index - 1][-1:] or last_before[index - 1]
    for index in range(len(values) - 2, -1, -1):
        first_after[index] = values[index + 1][:1] or first_after[index + 1]
    for index, (element, attribute) in enumerate(slots):
        if getattr(element, attribute) is None:
            continue
        value = values[index]
        if attribute == "text" and element.tag in ("code", "pre"):
            # Trailing blank lines of a code block carry nothing (the empty-block processor adds them).
            value = code_text(value).rstrip("\n")
        else:
            value = join_soft_breaks(value, before=last_before[index], after=first_after[index])
        setattr(element, attribute, xml_safe(value))


def code_text(stored: str) -> str:
    """The text of a code span or block as written (Python-Markdown stores it escaped by `code_escape`)."""
    return CODE_ESCAPED.sub(lambda match: CODE_UNESCAPE[match.group(1)], stored) if "&" in stored else stored


def _decode_substituted_references(element) -> None:
    """Character references Python-Markdown wrote behind AMP_SUBSTITUTE (an e-mail autolink's text and href)."""
    def decode(value: str) -> str:
        return SUBSTITUTED_REFERENCE.sub(lambda match: html.unescape(f"&{match.group(1)};"), value)

    for attribute in ("text", "tail"):
        value = getattr(element, attribute)
        if value and AMP_SUBSTITUTE in value:
            setattr(element, attribute, decode(value))
    for name, value in element.attrib.items():
        if value and AMP_SUBSTITUTE in value:  # attr_list may leave an attribute without a value
            element.set(name, decode(value))


TABLE_CAPTION = re.compile(r"^\s*表\s*\d+(?:[.-]\d+)*[\s：:]")


def _mark_figures_and_captions(root) -> None:
    """A paragraph holding only an image becomes `figure` (img + figcaption from the alt text); a
    paragraph “表1 …” right before a table becomes that table's caption. Both renderers rely on this."""
    for parent in root.iter():
        children = list(parent)
        for index, child in enumerate(children):
            if child.tag != "p":
                continue
            if len(child) == 1 and child[0].tag == "img" and not (child.text or "").strip() \
                    and not (child[0].tail or "").strip():
                image = child[0]
                child.tag, child.text = "figure", None
                image.tail = None
                caption = etree.SubElement(child, "figcaption")
                caption.text = image.get("alt", "")
            elif index + 1 < len(children) and children[index + 1].tag == "table" \
                    and TABLE_CAPTION.match("".join(child.itertext())):
                child.set("class", "table-caption")


def _mark_task_items(root) -> None:
    """GFM task list items (`- [ ] todo`, `- [x] done`) start with a box instead of the literal brackets."""
    for item in root.iter("li"):
        holder = item[0] if len(item) and item[0].tag == "p" and not (item.text or "").strip() else item
        if holder.text and (match := TASK_MARK.match(holder.text)):
            holder.text = TASK_BOXES[match.group(1)] + " " + holder.text[match.end():]


def _remove_backref(item, backref) -> None:
    """Remove a footnote back-link and the placeholder Python-Markdown put before it."""
    for holder in item.iter():
        if backref in list(holder):
            holder.remove(backref)
            break
    for element in item.iter():
        for attribute in ("text", "tail"):
            value = getattr(element, attribute)
            if value and NBSP_PLACEHOLDER in value:
                setattr(element, attribute, value.replace(NBSP_PLACEHOLDER, "").rstrip() or None)


class ReportgenMarkdown(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")  # raw HTML is never passed through
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.deregister("entity")
        # `\<title>` is the writer saying “the text <title>”: Markdown (CommonMark) lets any punctuation be
        # escaped, Python-Markdown not `<`, whose backslash would be printed.
        if "<" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS.append("<")
        md.inlinePatterns.register(CharacterReferenceProcessor(CHARACTER_REFERENCE, md), "reportgen_reference", 80)
        md.ESCAPED_CHARS.append("&")  # `\&copy;` is the text “&copy;” (CommonMark escapes any punctuation)
        md.treeprocessors.deregister("prettify")  # whitespace between blocks is the renderers' business
        # GFM strikethrough, both renderers draw <del>; after `strong` (70) like `*`'s emphasis.
        md.inlinePatterns.register(SimpleTagInlineProcessor(STRIKETHROUGH, "del"), "reportgen_del", 65)
        # Before the indented-code processor (80) so a fence inside a list is not taken for code.
        md.parser.blockprocessors.register(FencedCodeProcessor(md.parser), "reportgen_fence", 85)
        # After everything else, including `unescape` (0): the tree is final here.
        md.treeprocessors.register(TreeCleanup(md), "reportgen_cleanup", -10)


@lru_cache(maxsize=1)
def _markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[*MARKDOWN_EXTENSIONS, ReportgenMarkdown()],
        # `toc` only gives headings their ids: `[TOC]` is no marker (TXT413 explains that the outline is made).
        extension_configs={"toc": {"slugify": _slugify, "marker": ""}, "footnotes": {"BACKLINK_TEXT": ""}},
    )


def _slugify(value: str, separator: str) -> str:
    slug = re.sub(r"[^\w\u3400-\u9fff-]+", separator, value).strip(separator)
    return slug or "section"


@dataclass(frozen=True)
class MarkdownTrees:
    """The tree builder a Document keeps (`Document.trees`): parses a body with Python-Markdown, keeping the tree
    as an XML file in `store` (a build's cache directory) when one is given, so that the tasks rendering a report
    and its volume parse each draft once. A tree is a function of the body text and reportgen's code."""

    store: Path | None = None

    def tree(self, body: str) -> tuple[etree.Element, list[tuple[str, etree.Element]]]:
        return markdown_tree(body, store=self.store)


def tree_key(body: str) -> str:
    from generator.core.digest import tool_versions  # the package digest and Markdown's version

    versions = tool_versions()
    return hashlib.sha256(f"{versions['reportgen']}\0{versions['markdown']}\0{body}".encode()).hexdigest()[:32]


def markdown_tree(body: str, *, store: Path | None = None) -> tuple[etree.Element, list[tuple[str, etree.Element]]]:
    """The cleaned tree and footnotes of `body`: read from the tree `store`, or parsed (and then stored there)."""
    key = tree_key(body)
    path = store / f"{key}.xml" if store is not None else None
    if path is not None and path.is_file():
        stored = _stored_tree(path, key)
        if stored is not None:
            return stored
    body_tree, footnotes = _parse_markdown(body)
    if path is not None:
        root = etree.Element("reportgen-tree", key=key)  # the key inside: a file swapped with another shows
        root.append(body_tree)
        for identifier, item in footnotes:
            etree.SubElement(root, "footnote", id=identifier).append(item)
        try:
            atomic_write(path, etree.tostring(root, encoding="utf-8"))
        except (OSError, ValueError):
            pass  # only a cache
    return body_tree, footnotes


def _stored_tree(path: Path, key: str) -> tuple[etree.Element, list[tuple[str, etree.Element]]] | None:
    """A tree from the store, if it is whole and is the tree of `key`; otherwise None (it is parsed again)."""
    from generator.core.verify import discard

    try:
        root = etree.fromstring(path.read_bytes())
    except (etree.ParseError, OSError) as error:
        discard(path, type(error).__name__)
        return None
    if root.tag != "reportgen-tree" or root.get("key") != key or len(root) < 1 or root[0].tag != "div" \
            or any(holder.tag != "footnote" or len(holder) != 1 for holder in root[1:]):
        discard(path, "not the tree of this draft")
        return None
    return root[0], [(holder.get("id", ""), holder[0]) for holder in root[1:]]


def _parse_markdown(body: str) -> tuple[etree.Element, list[tuple[str, etree.Element]]]:
    """Run Python-Markdown's stages on `body`; return the cleaned tree and the footnotes."""
    md = _markdown()
    md.reset()
    lines = body.split("\n")
    for preprocessor in md.preprocessors:
        lines = preprocessor.run(lines)
    root = md.parser.parseDocument(lines).getroot()
    for processor in md.treeprocessors:
        new_root = processor.run(root)
        if new_root is not None:
            root = new_root
    return md.reportgen_tree, md.reportgen_footnotes


def scan_outline(body: str, first_line: int) -> tuple[Heading, ...]:
    """Headings of the body with their source line: ATX and setext, outside fenced code blocks (`fences`)."""
    headings = []
    fences = FenceScanner()
    previous = ""
    for number, line in enumerate(body.split("\n"), start=first_line):
        if fences.in_code(line):
            previous = ""
            continue
        if line.startswith("#") and (match := ATX.match(line)):
            headings.append(Heading(len(match.group(1)), clean_heading_text(match.group(2) or ""), number))
            previous = ""
            continue
        if (match := SETEXT.match(line)) and previous.strip() and not previous.startswith((" ", "\t", ">", "-", "*", "|")):
            level = 1 if match.group(1).startswith("=") else 2
            headings.append(Heading(level, clean_heading_text(previous), number - 1))
            previous = ""
            continue
        previous = line
    return tuple(headings)


def clean_heading_text(text: str) -> str:
    return INLINE_MARKS.sub("", ATTR_LIST_TAIL.sub("", text)).strip()


def parse(draft: Draft, config: Config, *, trees: Path | None = None) -> Document:
    """Build the Document of a draft: typed metadata and outline; the tree is built when first used (and kept in
    the tree store `trees`, when given)."""
    return Document(draft=draft, meta=to_meta(draft, config), outline=scan_outline(draft.body, draft.body_line),
                    trees=MarkdownTrees(trees))
