"""RND605-613, FM126: structure that would make parsing or rendering slow or unbounded is refused before anything
is parsed or rendered, in milliseconds, naming the limit and the line (`check.max_*`). These rules run first
(scope "limits"): a draft over a limit gets no other rule, and is never rendered."""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.check.context import CheckContext, memo
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _
from generator.core.model import Diagnostic, Document
from generator.read.prose import lines_outside_code

from ..registry import rule

QUOTE_PREFIX = re.compile(r"^(?:[ ]{0,3}>)+")
FOOTNOTE_DEFINITION = re.compile(r"^\s{0,3}\[\^[^\]\n]+\]:")
EMPHASIS_RUN = re.compile(r"(?<!\\)[*_~]+")
LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s")


def body_lines(doc: Document) -> list[tuple[int, str]]:
    """(line number, text) of body lines outside fenced code."""
    return memo(doc, "body_lines", lambda d: list(lines_outside_code(d.draft)))


@rule("RND605")
def structure_too_deep(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Block quotes and lists nest at most `check.max_nesting` levels."""
    limit = ctx.config.check.max_nesting
    for number, line in body_lines(doc):
        quotes = QUOTE_PREFIX.match(line)
        depth = quotes.group(0).count(">") if quotes else 0
        item = LIST_ITEM.match(line[quotes.end():] if quotes else line)
        if item:
            depth += len(item.group(1).expandtabs(4)) // 2 // 2 + 1
        if depth > limit:
            yield diagnostic("RND605", doc.path, (number, 1), _(
                "quotes and lists nest {depth} levels deep here; at most {limit} are allowed").format(
                depth=depth, limit=limit))
            return


@rule("RND606")
def table_too_large(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Tables stay within `check.max_table_rows` rows and `check.max_table_columns` columns."""
    rows_limit, columns_limit = ctx.config.check.max_table_rows, ctx.config.check.max_table_columns
    start, rows = None, 0
    for number, line in [*body_lines(doc), (None, "")]:
        if line.lstrip().startswith("|"):
            if start is None:
                start, rows = number, 0
            rows += 1
            columns = line.strip().strip("|").count("|") + 1
            if columns > columns_limit:
                yield diagnostic("RND606", doc.path, (number, 1), _(
                    "table row has {columns} columns; at most {limit} are allowed").format(
                    columns=columns, limit=columns_limit))
                return
            continue
        if start is not None and rows > rows_limit:
            yield diagnostic("RND606", doc.path, (start, 1), _(
                "table has {rows} rows; at most {limit} are allowed").format(rows=rows, limit=rows_limit))
            return
        start = None


@rule("RND609")
def draft_too_long(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """A draft has at most `check.max_lines` lines."""
    limit = ctx.config.check.max_lines
    lines = doc.draft.text.count("\n") + 1
    if lines > limit:
        yield diagnostic("RND609", doc.path, (limit + 1, 1), _(
            "the draft has {count} lines; at most {limit} are allowed").format(count=lines, limit=limit))


@rule("RND610")
def too_many_list_items(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """A draft has at most `check.max_list_items` list items."""
    limit, count = ctx.config.check.max_list_items, 0
    for number, line in body_lines(doc):
        quotes = QUOTE_PREFIX.match(line)
        if LIST_ITEM.match(line[quotes.end():] if quotes else line):
            count += 1
            if count > limit:
                yield diagnostic("RND610", doc.path, (number, 1), _(
                    "more than {limit} list items (this is item {count}); split the list or write it as text")
                    .format(limit=limit, count=count))
                return


@rule("RND611")
def too_many_footnotes(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """A draft defines at most `check.max_footnotes` footnotes."""
    limit, count = ctx.config.check.max_footnotes, 0
    for number, line in body_lines(doc):
        if FOOTNOTE_DEFINITION.match(line):
            count += 1
            if count > limit:
                yield diagnostic("RND611", doc.path, (number, 1), _(
                    "more than {limit} footnotes (this is footnote {count})").format(limit=limit, count=count))
                return


@rule("RND612")
def inline_nesting_too_deep(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Brackets and parentheses nest at most `check.max_inline_nesting` deep on a line, and runs of emphasis
    marks are no longer than that."""
    limit = ctx.config.check.max_inline_nesting
    for number, line in body_lines(doc):
        if line.count("[") + line.count("(") > limit:  # cheap test first: most lines have few brackets
            depth = deepest = 0
            for column, char in enumerate(line, start=1):
                if char in "[(" and (column < 2 or line[column - 2] != "\\"):
                    depth += 1
                    if depth > deepest:
                        deepest = depth
                        if deepest > limit:
                            yield diagnostic("RND612", doc.path, (number, column), _(
                                "brackets nest more than {limit} deep here").format(limit=limit))
                            return
                elif char in "])" and depth:
                    depth -= 1
        for match in EMPHASIS_RUN.finditer(line) if "*" in line or "_" in line or "~" in line else ():
            if len(match.group(0)) > limit:
                yield diagnostic("RND612", doc.path, (number, match.start() + 1), _(
                    "a run of {count} emphasis marks; at most {limit} are allowed").format(
                    count=len(match.group(0)), limit=limit))
                return


@rule("RND613")
def line_too_long(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """A line (a paragraph written on one line) has at most `check.max_line_chars` characters."""
    limit = ctx.config.check.max_line_chars
    for number, line in enumerate(doc.draft.text.split("\n"), start=1):
        if len(line) > limit and len(line.rstrip()) > limit:  # trailing blanks cost nothing to lay out
            yield diagnostic("RND613", doc.path, (number, limit + 1), _(
                "line {line} has {count} characters; at most {limit} are allowed (break it into paragraphs)")
                .format(line=number, count=len(line.rstrip()), limit=limit))
            return


@rule("FM126")
def title_too_long(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """A title has at most `front_matter.title_max_chars` characters."""
    limit = ctx.config.front_matter.title_max_chars
    field = doc.draft.fields.get("title")
    if field is not None and isinstance(field.value, str) and len(field.value) > limit:
        yield diagnostic("FM126", doc.path, field.value_pos, _(
            "the title has {count} characters; at most {limit} are allowed").format(
            count=len(field.value), limit=limit))
