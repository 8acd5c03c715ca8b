"""FM1xx: front-matter fields, their types and values."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from generator.check.context import CheckContext
from generator.core.config import KNOWN_FIELDS
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _, join_list
from generator.core.model import Diagnostic, Document
from generator.core.typeset import running_title
from generator.read.frontmatter import convert_field

from ..registry import rule

SAFE_REPORT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@rule("FM105")
def missing_required_field(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Every required front-matter field is present."""
    draft = doc.draft
    if not draft.front_matter_parsed:
        return
    closing_line = max(draft.body_line - 1, 1)
    for name in ctx.config.front_matter.required:
        if name not in draft.fields:
            yield diagnostic("FM105", draft.path, (closing_line, 1), _(
                "required field “{key}” is missing from the front matter").format(key=name))


@rule("FM106")
def unknown_field(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Front matter holds only known fields (and configured extra fields)."""
    allowed = list(KNOWN_FIELDS) + list(ctx.config.front_matter.extra_fields)
    for name, field in doc.draft.fields.items():
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = _("; did you mean “{name}”?").format(name=close[0]) if close else \
                _("; known fields: {fields}").format(fields=join_list(allowed))
            yield diagnostic("FM106", doc.path, field.key_pos, _("unknown field “{key}”").format(key=name) + hint)


@rule("FM107")
def invalid_field_value(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Each field has the right type, an allowed value and, for dates, a date that exists."""
    allowed = set(KNOWN_FIELDS) | set(ctx.config.front_matter.extra_fields)
    for name, field in doc.draft.fields.items():
        if name in allowed:
            _value, problem = convert_field(field, ctx.config)
            if problem:
                yield diagnostic(problem.code, doc.path, problem.position, problem.message)




@rule("FM114")
def year_mismatch(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """The `year` field matches the year directory the draft is in."""
    field = doc.draft.fields.get("year")
    if field and doc.meta.year and doc.draft.year_dir.isdigit() and str(doc.meta.year) != doc.draft.year_dir:
        yield diagnostic("FM114", doc.path, field.value_pos, _(
            "year {year} does not match the directory “{directory}” the draft is in").format(
            year=doc.meta.year, directory=doc.draft.year_dir))


@rule("FM115")
def summary_too_long(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """The summary stays within the configured length."""
    limit = ctx.config.front_matter.summary_max_chars
    field = doc.draft.fields.get("summary")
    if field and doc.meta.summary and len(doc.meta.summary) > limit:
        yield diagnostic("FM115", doc.path, field.value_pos, _(
            "summary has {count} characters; at most {limit} are allowed").format(
            count=len(doc.meta.summary), limit=limit))


@rule("FM125")
def title_too_long_for_header(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """The running header shows the title (or `short_title`) on one line: a longer one is shortened with “…”."""
    if not doc.meta.title:
        return
    shown = running_title(doc.meta.title, doc.meta.short_title, ctx.config)
    if shown.fits:
        return
    if doc.meta.short_title:
        yield diagnostic("FM125", doc.path, doc.draft.fields["short_title"].value_pos, _(
            "short_title is too long for the running header, which shows “{shown}”; about {count} characters "
            "fit").format(shown=shown.text, count=shown.room_chars))
    else:
        yield diagnostic("FM125", doc.path, doc.draft.fields["title"].value_pos, _(
            "the title is too long for the running header, which shows “{shown}”; add a short_title of at most "
            "about {count} characters").format(shown=shown.text, count=shown.room_chars))


@rule("FM117")
def unsafe_report_id(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """The file name (the report id) is ASCII letters, digits, `-` and `_`."""
    if not SAFE_REPORT_ID.match(doc.report_id):
        yield diagnostic("FM117", doc.path, (1, 1), _(
            "report id “{id}” (the file name) must use only ASCII letters, digits, “-” and “_”, e.g. r07.md")
            .format(id=doc.report_id))


@rule("FM119")
def duplicate_list_item(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """A name or keyword appears once in its list."""
    for key in ("counselors", "keywords"):
        field = doc.draft.fields.get(key)
        if not field or not isinstance(field.value, list):
            continue
        seen: set[str] = set()
        for index, item in enumerate(field.value):
            if not isinstance(item, str):
                continue  # FM107 reports items that are not text
            if item.strip() in seen:
                yield diagnostic("FM119", doc.path, field.items[index], _(
                    "“{item}” is listed twice in “{key}”").format(item=item.strip(), key=key))
            seen.add(item.strip())


@rule("FM120")
def too_many_keywords(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Keywords stay within the configured number."""
    field = doc.draft.fields.get("keywords")
    limit = ctx.config.front_matter.keywords_max
    if field and len(doc.meta.keywords) > limit:
        yield diagnostic("FM120", doc.path, field.value_pos, _(
            "{count} keywords; at most {limit} are allowed").format(count=len(doc.meta.keywords), limit=limit))
