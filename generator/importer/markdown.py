"""pandoc's AST of a Word document -> the body of a draft, in the Markdown `reportgen check` reads.

A writer as a visitor: one `block_<Type>` per pandoc block type, one `inline_<Type>` per inline type, unknown
ones to one fallback that keeps their text and says so. What Markdown cannot hold (a merged cell, an image that
could not be converted, a text box) becomes a `Note` for the importer to report at the line it landed on.
The Markdown dialect is the drafts': ATX headings, `**bold**`, `*italic*`, lists indented by four spaces, pipe
tables with a header row, `[^n]` footnotes defined at the end, images on their own line with the caption as
alt text, and a paragraph `表1 …` right before a table as its caption.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ._messages import _

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
CN_DIGITS = "一二三四五六七八九十"
FIGURE_CAPTION = re.compile(r"^\s*图\s*[\d一二三四五六七八九十]+")
TABLE_CAPTION = re.compile(r"^\s*表\s*[\d一二三四五六七八九十]+")
CAPTION_STYLES = {"caption", "题注", "图表标题", "figure caption", "image caption"}
TABLE_CAPTION_STYLES = {"table caption", "表格标题", "表题"}
SKIPPED_STYLES = {"Report Org Line"}   # reportgen's own letterhead line (organisation and logo)


@dataclass
class Note:
    """Something to report, attached to the block it is about (`block` index into `MarkdownBody.blocks`)."""

    code: str
    message: str
    block: int | None = 0
    offset: int = 0     # lines into the block (a table's row)


@dataclass
class Heading:
    level: int          # the draft's level, 2..6
    text: str
    block: int
    by_formatting: bool = False


@dataclass
class MarkdownBody:
    blocks: list[str] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    front: list[tuple[str, str]] = field(default_factory=list)   # (style, text) of paragraphs before the first heading
    images: list[str] = field(default_factory=list)


def plain_text(inlines) -> str:
    """The text of a list of inlines, as a reader sees it (notes left out)."""
    parts: list[str] = []

    def walk(nodes):
        for node in nodes:
            kind, content = node.get("t"), node.get("c")
            if kind == "Str":
                parts.append(content)
            elif kind in ("Space",):
                parts.append(" ")
            elif kind == "SoftBreak":
                parts.append("\n")
            elif kind == "LineBreak":
                parts.append("\n")
            elif kind in ("Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
                walk(content)
            elif kind == "Quoted":
                left, right = ("“", "”") if content[0]["t"] == "DoubleQuote" else ("‘", "’")
                parts.append(left)
                walk(content[1])
                parts.append(right)
            elif kind in ("Span", "Cite"):
                walk(content[1] if kind == "Span" else content[1])
            elif kind in ("Link",):
                walk(content[1])
            elif kind in ("Code", "Math"):
                parts.append(content[1])
    walk(inlines)
    return _join_breaks("".join(parts))


def _join_breaks(text: str) -> str:
    """A soft line break disappears between Chinese characters and is a space elsewhere (as the drafts read)."""
    def replace(match):
        before, after = match.group(1), match.group(2)
        return before + ("" if CJK.match(before) or CJK.match(after) else " ") + after
    text = re.sub(r"(.)\n(.)", replace, text)
    return text.replace("\n", "")


def _style(attr) -> str:
    return dict(attr[2]).get("custom-style", "") if attr and len(attr) > 2 else ""


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([*_`\[\]<])", r"\\\1", text)
    return text.replace("&", "&amp;") if re.search(r"&#?\w+;", text) else text


def _escape_line_start(text: str) -> str:
    """A paragraph that would read as another block (a heading, a list, a quote, a table row) keeps its text."""
    if re.match(r"^(#{1,6}(\s|$)|>|[-+*]\s|\d+[.)]\s|\||={3,}|-{3,}|~{3,}|\s{4})", text):
        match = re.match(r"^(\s*)(\d+)([.)])", text)
        if match:
            return text[:match.end(2)] + "\\" + text[match.end(2):]
        return "\\" + text if not text.startswith(" ") else text.lstrip()
    return text


class BodyWriter:
    """Writes the blocks of one document; `heading_level(level, text)` maps a Word heading to the draft's level
    (or None: not a heading of the body, e.g. the title), `image_path(url, alt)` stores an image and gives its
    draft-relative path (or None, with a note, when it cannot be carried)."""

    def __init__(self, *, file_name: str, heading_level: Callable[[int, str], int | None],
                 formatted_heading: Callable[[str, bool], int | None],
                 image_path: Callable[[str, list[Note]], str | None], heading_styles: dict[str, int],
                 title_styles: set[str], numbering: dict):
        self.file_name = file_name
        self.heading_level = heading_level
        self.formatted_heading = formatted_heading
        self.image_path = image_path
        self.heading_styles = heading_styles
        self.title_styles = title_styles
        self.numbering = numbering
        self.numbers = [0] * 10   # counters of Word's heading numbering, by list level
        self.body = MarkdownBody()
        self.tables = 0
        self.paragraphs = 0
        self.seen_heading = False
        self.title: str | None = None
        self.meta_line: Callable[[str, str], bool] = lambda style, text: False
        self.property_title: str | None = None
        self.previous_text = ""
        self.title_guessed = False

    # ---- the document -------------------------------------------------------------------------------------
    def write(self, blocks: list) -> MarkdownBody:
        blocks = self._flatten_divs(blocks)
        index = 0
        while index < len(blocks):
            style, block = blocks[index]
            following = blocks[index + 1] if index + 1 < len(blocks) else (None, None)
            consumed = self.top_block(style, block, following)
            index += 2 if consumed else 1
        return self.body

    def _flatten_divs(self, blocks) -> list[tuple[str, dict]]:
        """Top-level blocks with the Word paragraph style pandoc reported (`custom-style` of their Div)."""
        flat = []
        for block in blocks:
            if block["t"] == "Div" and _style(block["c"][0]):
                style = _style(block["c"][0])
                for inner in block["c"][1]:
                    if inner["t"] == "Div":
                        flat.extend(self._flatten_divs([inner]))
                    else:
                        flat.append((style, inner))
            elif block["t"] == "Div":
                flat.extend(self._flatten_divs(block["c"][1]))
            else:
                flat.append(("", block))
        return flat

    def note(self, code: str, message: str, *, offset: int = 0) -> None:
        self.body.notes.append(Note(code, message, len(self.body.blocks), offset))

    def emit(self, text: str) -> None:
        if text.strip():
            self.body.blocks.append(text)
            self.previous_text = text

    def top_block(self, style: str, block: dict, following) -> bool:
        """Write one top-level block; True if it consumed the next one too (an image's caption)."""
        kind = block["t"]
        if style in SKIPPED_STYLES:
            return False
        if kind in ("Para", "Plain"):
            self.paragraphs += 1
            inlines = block["c"]
            text = plain_text(inlines).strip()
            if (style in self.title_styles or style == "Report Title") and text and self.title is None \
                    and not self.seen_heading:
                self.title = text
                return False
            if style in self.heading_styles and text:
                return self.heading(self.heading_styles[style], inlines, text, style=style) or False
            image = self._only_image(inlines)
            if image is not None:
                next_style, next_block = following
                caption = None
                if next_block is not None and next_block["t"] in ("Para", "Plain"):
                    next_text = plain_text(next_block["c"]).strip()
                    if next_text and (next_style.lower() in CAPTION_STYLES or FIGURE_CAPTION.match(next_text)):
                        caption = next_text
                self.image(image, caption)
                return caption is not None
            if not self.seen_heading and text:
                if self.meta_line(style, text):
                    return False
                if self.title is None and not self.body.front and len(text) <= 80 and (
                        text == self.property_title or self._all_strong(inlines)):
                    # the first paragraph, bold or the document's own title: the title made by hand (a bold
                    # first paragraph alone is reported: it might be something else)
                    self.title = text
                    self.title_guessed = text != self.property_title
                    return False
                self.body.front.append((style, text))
            level = self.formatted_heading(text, self._all_strong(inlines)) if text else None
            if level is not None:
                self.heading(level, inlines, text, by_formatting=True)
                return False
            self.emit(_escape_line_start(self.inlines(inlines).strip()))
            return False
        if kind == "Table" and self._caption_image(block) is not None:
            # pandoc takes a Caption-styled paragraph right after a table for the table's caption; when that
            # paragraph is a figure's picture, the table has no caption and the figure follows it
            image = self._caption_image(block)
            block["c"][1] = [None, []]
            self.emit(self.block(block, depth=0))
            return self.top_block("Caption", {"t": "Para", "c": [image]}, following)
        if kind in ("OrderedList", "BulletList") and self._heading_items(block):
            # heading styles numbered by Word's outline: pandoc reads them as list items
            for item_style, item in self._heading_items(block):
                self.top_block(item_style, item, (None, None))
            return False
        if kind == "Header":
            level, _attr, inlines = block["c"]
            text = plain_text(inlines).strip()
            if text:
                numbered = [name for name, word_level in self.heading_styles.items()
                            if word_level == level and name in self.numbering]
                self.heading(level, inlines, text, style=numbered[0] if numbered else "")
            return False
        self.emit(self.block(block, depth=0))
        return False

    def _heading_items(self, block) -> list[tuple[str, dict]] | None:
        items = block["c"] if block["t"] == "BulletList" else block["c"][1]
        found = []
        for item in items:
            flat = self._flatten_divs(item)
            if len(flat) != 1 or flat[0][0] not in self.heading_styles or flat[0][1]["t"] not in ("Para", "Plain"):
                return None
            found.append(flat[0])
        return found

    def heading(self, word_level: int, inlines, text: str, *, by_formatting: bool = False, style: str = "") -> bool:
        level = word_level if by_formatting else self.heading_level(word_level, text)
        if level is None:
            if self.title is None and not self.seen_heading:
                self.title = text
            else:
                self.emit(self.inlines(inlines).strip())
            return False
        self.seen_heading = True
        markdown = self.inlines(inlines, in_heading=True).strip()
        if style in self.numbering:
            markdown = self._numbered(style, text, markdown)
        if by_formatting:
            markdown = self.inlines(_unwrap_strong(inlines)).strip()
            self.note("IMP707", _("{file}: paragraph {paragraph} “{text}” has no heading style but reads as a "
                                  "heading; it became a level-{level} heading").format(
                file=self.file_name, paragraph=self.paragraphs, text=text, level=level - 1))
        self.body.headings.append(Heading(level, text, len(self.body.blocks), by_formatting))
        self.emit("#" * level + " " + markdown)
        return False

    def _numbered(self, style: str, text: str, markdown: str) -> str:
        """Word numbered this heading automatically (the number is not in its text): write Word's number."""
        ilvl, levels = self.numbering[style]
        fmt, pattern, start = levels.get(ilvl, ("none", "", 1))
        self.numbers[ilvl] = self.numbers[ilvl] + 1 if self.numbers[ilvl] else start
        for deeper in range(ilvl + 1, len(self.numbers)):
            self.numbers[deeper] = 0
        if re.match(rf"^\s*(第?[{CN_DIGITS}\d]+[、.．章节]|[（(][{CN_DIGITS}\d]+[)）])", text):
            return markdown
        def number(match):
            index = int(match.group(1)) - 1
            level_fmt, _text, level_start = levels.get(index, ("decimal", "", 1))
            return _format_number(self.numbers[index] or level_start, level_fmt)
        prefix = re.sub(r"%([1-9])", number, pattern)
        if not prefix.strip():
            return markdown
        if re.search(r"[\d.]$", prefix):
            prefix += " "
        self.note("IMP711", _("{file}: heading “{text}” was numbered by Word; the number “{number}” was written "
                              "into its text").format(file=self.file_name, text=text, number=prefix.strip()))
        return prefix + markdown

    def _caption_image(self, table) -> dict | None:
        caption_blocks = [inner for _style_, inner in self._flatten_divs(table["c"][1][1])]
        if len(caption_blocks) == 1 and caption_blocks[0]["t"] in ("Para", "Plain"):
            return self._only_image(caption_blocks[0]["c"])
        return None

    @staticmethod
    def _only_image(inlines):
        images = [node for node in inlines if node["t"] == "Image"]
        rest = [node for node in inlines if node["t"] not in ("Image", "Space", "SoftBreak", "LineBreak")]
        return images[0] if len(images) == 1 and not rest else None

    @staticmethod
    def _all_strong(inlines) -> bool:
        meaningful = [node for node in inlines if node["t"] not in ("Space", "SoftBreak")]
        return bool(meaningful) and all(node["t"] == "Strong" for node in meaningful)

    def image(self, node, caption: str | None) -> None:
        alt = caption or plain_text(node["c"][1]).strip()
        notes: list[Note] = []
        path = self.image_path(node["c"][2][0], notes)
        for item in notes:
            self.note(item.code, item.message)
        if path is None:
            self.emit(_escape(_("[image not carried over: {caption}]").format(caption=alt or node["c"][2][0])))
            return
        self.body.images.append(path)
        self.emit(f"![{_escape(alt)}]({path})")

    # ---- blocks ---------------------------------------------------------------------------------------------
    def block(self, block: dict, *, depth: int) -> str:
        handler = getattr(self, "block_" + block["t"], None)
        if handler is None:
            self.note("IMP708", _("{file}: a “{kind}” block has no draft equivalent; its text was kept as a "
                                  "paragraph").format(file=self.file_name, kind=block["t"]))
            return _escape(plain_text(_all_inlines(block)))
        return handler(block["c"], depth=depth)

    def blocks(self, blocks, *, depth: int) -> str:
        return "\n\n".join(part for part in (self.block(block, depth=depth) for block in blocks) if part.strip())

    def block_Para(self, inlines, *, depth):
        image = self._only_image(inlines)
        if image is not None:
            notes: list[Note] = []
            path = self.image_path(image["c"][2][0], notes)
            for item in notes:
                self.note(item.code, item.message)
            if path:
                self.body.images.append(path)
                return f"![{_escape(plain_text(image['c'][1]).strip())}]({path})"
        return _escape_line_start(self.inlines(inlines).strip())

    block_Plain = block_Para

    def block_Header(self, content, *, depth):
        return _escape_line_start(self.inlines(content[2]).strip())

    def block_Div(self, content, *, depth):
        return self.blocks(content[1], depth=depth)

    def block_BlockQuote(self, blocks, *, depth):
        inner = self.blocks(blocks, depth=depth)
        return "\n".join("> " + line if line else ">" for line in inner.split("\n"))

    def block_CodeBlock(self, content, *, depth):
        return "```\n" + content[1] + "\n```"

    def block_HorizontalRule(self, content, *, depth):
        return "***"

    def block_LineBlock(self, lines, *, depth):
        return "\\\n".join(self.inlines(line) for line in lines)

    def block_RawBlock(self, content, *, depth):
        self.note("IMP708", _("{file}: raw {format} content was left out").format(file=self.file_name,
                                                                                  format=content[0]))
        return ""

    def block_BulletList(self, items, *, depth):
        return self._list(items, lambda index: "-", depth=depth)

    def block_OrderedList(self, content, *, depth):
        (start, _style_, _delimiter), items = content
        return self._list(items, lambda index: f"{start + index}.", depth=depth)

    def _list(self, items, marker, *, depth) -> str:
        lines = []
        for index, item in enumerate(items):
            text = self._item(item, depth=depth + 1)
            bullet = marker(index)
            item_lines = text.split("\n")
            lines.append(f"{bullet} {item_lines[0]}")
            lines.extend(("    " + line) if line else "" for line in item_lines[1:])
        return "\n".join(lines)

    def _item(self, blocks, *, depth: int) -> str:
        """A list item's blocks; a nested list follows its paragraph directly (a blank line would make the
        list loose, its items paragraphs)."""
        parts: list[str] = []
        for block in blocks:
            text = self.block(block, depth=depth)
            if not text.strip():
                continue
            nested = block["t"] in ("BulletList", "OrderedList") or (
                block["t"] == "Div" and block["c"][1] and block["c"][1][0]["t"] in ("BulletList", "OrderedList"))
            parts.append(("\n" if nested else "\n\n") + text if parts else text)
        return "".join(parts)

    def block_DefinitionList(self, items, *, depth):
        parts = []
        for term, definitions in items:
            parts.append("**" + self.inlines(term).strip() + "**")
            parts.extend(self.blocks(definition, depth=depth) for definition in definitions)
        return "\n\n".join(parts)

    def block_Figure(self, content, *, depth):
        _attr, caption, blocks = content
        caption_text = plain_text(_all_inlines({"t": "Div", "c": ["", caption[1]]})).strip()
        images = [node for node in _walk(blocks) if node.get("t") == "Image"]
        if len(images) == 1:
            before = len(self.body.blocks)
            self.image(images[0], caption_text or None)
            return self.body.blocks.pop() if len(self.body.blocks) > before else ""
        return self.blocks(blocks, depth=depth)

    def block_Table(self, content, *, depth):
        self.tables += 1
        _attr, caption, _colspecs, head, bodies, foot = content
        caption_text = plain_text(_all_inlines({"t": "Div", "c": ["", caption[1]]})).strip()
        name = caption_text or (self.previous_text if TABLE_CAPTION.match(self.previous_text) else
                                _("table {number}").format(number=self.tables))
        first_row_line = 2 if caption_text else 0
        head_rows = head[1]
        body_rows = [row for body in bodies for row in (body[2] + body[3])] + foot[1]
        rows = head_rows + body_rows
        if not rows:
            return ""
        grid: dict[tuple[int, int], str] = {}
        covered: set[tuple[int, int]] = set()
        columns = 0
        for row_index, row in enumerate(rows):
            column = 0
            for cell in row[1]:
                while (row_index, column) in covered:
                    column += 1
                _cell_attr, _align, row_span, column_span, cell_blocks = cell
                line = first_row_line + row_index + (1 if row_index else 0)   # the separator follows row 1
                grid[(row_index, column)] = self._cell_text(cell_blocks, name, row_index + 1, column + 1, line)
                if row_span > 1 or column_span > 1:
                    self.note("IMP701", _("{file}: {table}, row {row}, column {column}: a merged cell spanning "
                                          "{rows} row(s) and {columns} column(s) cannot be written in a Markdown "
                                          "table; its text stays in the first cell and the other cells are "
                                          "empty").format(file=self.file_name, table=name, row=row_index + 1,
                                                          column=column + 1, rows=row_span, columns=column_span),
                              offset=line)
                for extra_row in range(row_span):
                    for extra_column in range(column_span):
                        if extra_row or extra_column:
                            covered.add((row_index + extra_row, column + extra_column))
                column += column_span
            columns = max([columns, column, *(c + 1 for (r, c) in covered if r == row_index)])
        if len(head_rows) > 1:
            self.note("IMP708", _("{file}: {table} has {count} header rows; a Markdown table has one, the others "
                                  "became body rows").format(file=self.file_name, table=name, count=len(head_rows)))
        lines = []
        for row_index in range(len(rows)):
            cells = [grid.get((row_index, column), "") for column in range(columns)]
            lines.append("| " + " | ".join(cells) + " |")
            if row_index == 0:
                lines.append("|" + "|".join("---" for _column in range(columns)) + "|")
        table = "\n".join(lines)
        if caption_text:
            return _escape_line_start(_escape(caption_text)) + "\n\n" + table
        return table

    def _cell_text(self, blocks, table: str, row: int, column: int, line: int) -> str:
        blocks = [block for _style_, block in self._flatten_divs(blocks)]
        kinds = {block["t"] for block in blocks}
        if kinds - {"Para", "Plain"} or len(blocks) > 1:
            self.note("IMP708", _("{file}: {table}, row {row}, column {column}: the cell holds several paragraphs "
                                  "or a list; they were joined into one line").format(
                file=self.file_name, table=table, row=row, column=column), offset=line)
        parts = []
        for block in blocks:
            if block["t"] in ("Para", "Plain"):
                parts.append(self.inlines(block["c"]).strip())
            else:
                parts.append(_escape(plain_text(_all_inlines(block))).strip())
        return "<br>".join(part for part in parts if part).replace("|", "\\|").replace("<br>", " ") \
            if parts else ""

    # ---- inlines -------------------------------------------------------------------------------------------
    def inlines(self, nodes, *, in_heading: bool = False) -> str:
        out = []
        for node in nodes:
            handler = getattr(self, "inline_" + node["t"], None)
            if handler is None:
                self.note("IMP708", _("{file}: inline “{kind}” content was kept as plain text").format(
                    file=self.file_name, kind=node["t"]))
                out.append(_escape(plain_text([node])))
            else:
                out.append(handler(node.get("c")))
        return _join_breaks("".join(out))

    def inline_Str(self, text):
        return _escape(text)

    def inline_Space(self, _content):
        return " "

    def inline_SoftBreak(self, _content):
        return "\n"

    def inline_LineBreak(self, _content):
        return "\n"

    def _wrapped(self, marker: str, nodes) -> str:
        inner = self.inlines(nodes)
        stripped = inner.strip()
        if not stripped:
            return inner
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()):]
        return f"{lead}{marker}{stripped}{marker}{trail}"

    def inline_Emph(self, nodes):
        return self._wrapped("*", nodes)

    def inline_Strong(self, nodes):
        return self._wrapped("**", nodes)

    def inline_Strikeout(self, nodes):
        return self._wrapped("~~", nodes)

    def inline_Underline(self, nodes):
        return self.inlines(nodes)

    def inline_SmallCaps(self, nodes):
        return self.inlines(nodes)

    def inline_Superscript(self, nodes):
        return self.inlines(nodes)

    def inline_Subscript(self, nodes):
        return self.inlines(nodes)

    def inline_Quoted(self, content):
        left, right = ("“", "”") if content[0]["t"] == "DoubleQuote" else ("‘", "’")
        return left + self.inlines(content[1]) + right

    def inline_Cite(self, content):
        return self.inlines(content[1])

    def inline_Code(self, content):
        text = content[1]
        fence = "``" if "`" in text else "`"
        return f"{fence}{text}{fence}"

    def inline_Math(self, content):
        self.note("IMP708", _("{file}: an equation was kept as its text “{text}”").format(
            file=self.file_name, text=content[1]))
        return _escape(content[1])

    def inline_RawInline(self, content):
        self.note("IMP708", _("{file}: raw {format} content was left out").format(file=self.file_name,
                                                                                  format=content[0]))
        return ""

    def inline_Span(self, content):
        style = _style(content[0]).lower()
        if style in ("footnote reference", "脚注引用"):
            return ""
        if style in ("emphasis", "强调") and plain_text(content[1]).strip():
            return self._wrapped("*", content[1])
        if style in ("strong", "要点") and plain_text(content[1]).strip():
            return self._wrapped("**", content[1])
        return self.inlines(content[1])

    def inline_Link(self, content):
        _attr, nodes, (url, _title) = content
        text = self.inlines(nodes)
        if url.startswith("#") or not url:
            return text
        if plain_text(nodes).strip() == url or plain_text(nodes).strip() == url.removeprefix("mailto:"):
            return f"<{url.removeprefix('mailto:')}>"
        return f"[{text}]({url})"

    def inline_Image(self, content):
        notes: list[Note] = []
        path = self.image_path(content[2][0], notes)
        for item in notes:
            self.note(item.code, item.message)
        if path is None:
            return ""
        self.body.images.append(path)
        return f"![{_escape(plain_text(content[1]).strip())}]({path})"

    def inline_Note(self, blocks):
        number = len(self.body.footnotes) + 1
        text = self.blocks(blocks, depth=1).strip()
        self.body.footnotes.append(re.sub(r"\n+", " ", text))
        return f"[^{number}]"


def _unwrap_strong(inlines) -> list:
    """A heading made of bold text: the text without the bold (a heading is bold by its style)."""
    out = []
    for node in inlines:
        out.extend(_unwrap_strong(node["c"]) if node["t"] == "Strong" else [node])
    return out


def _format_number(number: int, fmt: str) -> str:
    if "Counting" in fmt or fmt in ("ideographDigital", "chineseLegalSimplified"):
        return _chinese(number)
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (number - 1) % 26)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        numerals = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
        roman, rest = "", number
        for value, symbol in numerals:
            while rest >= value:
                roman, rest = roman + symbol, rest - value
        return roman if fmt == "upperRoman" else roman.lower()
    return str(number)


def _chinese(number: int) -> str:
    if number <= 10:
        return " 一二三四五六七八九十"[number]
    if number < 20:
        return "十" + " 一二三四五六七八九"[number - 10].strip()
    return " 一二三四五六七八九"[number // 10] + "十" + " 一二三四五六七八九"[number % 10].strip()


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _all_inlines(block) -> list:
    """The inlines of a block and everything in it, in order (for a plain-text fallback)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("t") in ("Para", "Plain", "Header"):
                found.extend(node["c"][2] if node["t"] == "Header" else node["c"])
                found.append({"t": "Space"})
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(block)
    return found
