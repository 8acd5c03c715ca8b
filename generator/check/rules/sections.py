"""SEC2xx: the required sections, present, in order, at their level, not empty, not duplicated."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from functools import lru_cache

from generator.check.context import CheckContext, memo
from generator.core.diagnostics import diagnostic
from generator.core.i18n import N_, _, in_every_language, quote
from generator.core.model import Diagnostic, Document
from generator.core.sections import SectionMatch, match_headings, normalise_title

from ..registry import rule
from .limits import body_lines

# The placeholders `reportgen new` writes (check/scaffold.py), in the language it was using then.
SECTION_PLACEHOLDER = N_("(write this section)")
SUMMARY_PLACEHOLDER = N_("(summary of the report, at most {limit} characters)")


def _matches(doc: Document, ctx: CheckContext) -> list[SectionMatch]:
    return memo(doc, "section_matches", lambda d: match_headings(d.outline, ctx.config.sections))


def _first_matches(doc: Document, ctx: CheckContext) -> dict[int, SectionMatch]:
    first: dict[int, SectionMatch] = {}
    for match in _matches(doc, ctx):
        if match.spec_index is not None:
            first.setdefault(match.spec_index, match)
    return first


def _in_order(indices: list[int]) -> set[int]:
    """The longest increasing run of section indices (those in order); the rest are out of order."""
    best: list[list[int]] = []
    for value in indices:
        candidates = [run for run in best if run[-1] < value]
        longest = max(candidates, key=len, default=[])
        best.append(longest + [value])
    return set(max(best, key=len, default=[]))


@rule("SEC201")
def missing_required_section(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Each configured section appears as a heading; a missing one is reported where it belongs."""
    specs = ctx.config.sections
    found = _first_matches(doc, ctx)
    last_line = doc.draft.body_line + max(doc.draft.body.count("\n"), 0)
    for index, spec in enumerate(specs):
        if index in found:
            continue
        previous = next((specs[i].title for i in range(index - 1, -1, -1) if i in found), None)
        following = next(((specs[i].title, found[i].heading.line) for i in range(index + 1, len(specs))
                          if i in found), None)
        line = following[1] if following else last_line
        if previous and following:
            where = _(" (it belongs after {previous} and before {next})").format(
                previous=quote(previous), next=quote(following[0]))
        elif previous:
            where = _(" (it belongs after {previous})").format(previous=quote(previous))
        elif following:
            where = _(" (it belongs before {next})").format(next=quote(following[0]))
        else:
            where = ""
        yield diagnostic("SEC201", doc.path, (line, 1), _(
            "missing required section {section}").format(section=quote(spec.title)) + where)


@rule("SEC202")
def section_out_of_order(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Required sections appear in the configured order."""
    specs = ctx.config.sections
    found = sorted(_first_matches(doc, ctx).items(), key=lambda item: item[1].heading.line)
    ordered = _in_order([index for index, _match in found])
    for index, match in found:
        if index in ordered:
            continue
        following = next((specs[i].title for i in range(index + 1, len(specs)) if i in ordered), None)
        previous = next((specs[i].title for i in range(index - 1, -1, -1) if i in ordered), None)
        if following:
            detail = _("section {section} must come before {next}").format(
                section=quote(specs[index].title), next=quote(following))
        else:
            detail = _("section {section} must come after {previous}").format(
                section=quote(specs[index].title), previous=quote(previous))
        yield diagnostic("SEC202", doc.path, (match.heading.line, 1), detail)


@rule("SEC203")
def section_wrong_level(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Required sections are headings of the configured level (`##` by default)."""
    for index, match in _first_matches(doc, ctx).items():
        spec = ctx.config.sections[index]
        if match.heading.level != spec.level:
            yield diagnostic("SEC203", doc.path, (match.heading.line, 1), _(
                "section {section} is a level-{found} heading; write it as “{marks} {title}”").format(
                section=quote(spec.title), found=match.heading.level, marks="#" * spec.level,
                title=match.heading.text))


@rule("SEC204")
def empty_section(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """A required section has text of its own or in its subsections."""
    lines = doc.draft.body.split("\n")
    outline = list(doc.outline)
    heading_lines = {h.line - doc.draft.body_line for h in outline}
    for index, match in _first_matches(doc, ctx).items():
        spec = ctx.config.sections[index]
        heading = match.heading
        position = outline.index(heading)
        end = next((h.line for h in outline[position + 1:] if h.level <= heading.level), None)
        start_offset = heading.line - doc.draft.body_line + 1
        end_offset = (end - doc.draft.body_line) if end else len(lines)
        length = 0
        for number in range(start_offset, end_offset):
            if number not in heading_lines:
                stripped = lines[number].strip()
                if stripped.strip("=-"):
                    length += len(stripped)
                    if length >= spec.min_chars:
                        break
        if length < max(spec.min_chars, 1):
            yield diagnostic("SEC204", doc.path, (heading.line, 1), _(
                "section {section} is empty").format(section=quote(spec.title)))


@rule("SEC205")
def duplicate_section(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Each required section appears once."""
    first: dict[int, int] = {}
    for match in _matches(doc, ctx):
        if match.spec_index is None:
            continue
        if match.spec_index in first:
            yield diagnostic("SEC205", doc.path, (match.heading.line, 1), _(
                "section {section} appears again (first on line {line})").format(
                section=quote(ctx.config.sections[match.spec_index].title), line=first[match.spec_index]))
        else:
            first[match.spec_index] = match.heading.line


@rule("SEC206")
def unknown_section(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Top-level headings are required sections; others are probably misspelt or misplaced."""
    specs = ctx.config.sections
    levels = {spec.level for spec in specs}
    names = {normalise_title(name): spec.title for spec in specs for name in (spec.title, *spec.aliases)}
    for match in _matches(doc, ctx):
        if match.spec_index is None and match.heading.level in levels:
            close = difflib.get_close_matches(normalise_title(match.heading.text), list(names), n=1, cutoff=0.5)
            hint = _("; did you mean {section}?").format(section=quote(names[close[0]])) if close else ""
            yield diagnostic("SEC206", doc.path, (match.heading.line, 1), _(
                "{title} is not one of the required sections").format(title=quote(match.heading.text)) + hint)


@rule("SEC207")
def title_heading_in_body(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """The report title lives in front matter; the body has no level-1 heading."""
    if min(spec.level for spec in ctx.config.sections) < 2:
        return
    for heading in doc.outline:
        if heading.level == 1:
            yield diagnostic("SEC207", doc.path, (heading.line, 1), _(
                "level-1 heading {title} in the body; the title belongs in the front-matter field “title”")
                .format(title=quote(heading.text)))


@lru_cache(maxsize=1)
def _placeholders() -> tuple[re.Pattern, re.Pattern]:
    """Patterns of the section and summary placeholders in every supported language."""
    sections = "|".join(re.escape(text) for text in in_every_language(SECTION_PLACEHOLDER))
    summaries = "|".join(re.escape(text).replace(re.escape("{limit}"), r"\d+")
                         for text in in_every_language(SUMMARY_PLACEHOLDER))
    return re.compile(sections), re.compile(summaries)


@rule("SEC208")
def scaffold_placeholder(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """The placeholder text `reportgen new` writes (in each section and the summary) has been replaced."""
    section_pattern, summary_pattern = _placeholders()
    summary = doc.draft.fields.get("summary")
    if summary is not None and isinstance(summary.value, str) and summary_pattern.search(summary.value):
        yield diagnostic("SEC208", doc.path, summary.value_pos, _(
            "the summary is still the placeholder of `reportgen new`; write the report's summary"))
    for number, line in body_lines(doc):
        for match in section_pattern.finditer(line):
            yield diagnostic("SEC208", doc.path, (number, match.start() + 1), _(
                "placeholder {text} left by `reportgen new`; write this section").format(text=quote(match.group(0))))
