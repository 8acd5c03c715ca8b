"""RND605-606: structure that would make rendering slow or unbounded is refused before anything is rendered."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..diagnostics import diagnostic, rule
from ..i18n import _
from ..model import Diagnostic, Document, Severity
from ..prose import lines_outside_code
from .context import CheckContext, memo

QUOTE_PREFIX = re.compile(r"^(?:[ ]{0,3}>)+")
LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s")


def body_lines(doc: Document) -> list[tuple[int, str]]:
    """(line number, text) of body lines outside fenced code."""
    return memo(doc, "body_lines", lambda d: list(lines_outside_code(d.draft)))


@rule("RND605", "structure-too-deep", Severity.ERROR)
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


@rule("RND606", "table-too-large", Severity.ERROR)
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
