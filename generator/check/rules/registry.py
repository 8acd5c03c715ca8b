"""REG3xx: names from the registry, and corpus-wide checks across the drafts of a year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from generator.check.context import CheckContext
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _, quote
from generator.core.model import Diagnostic, Document

from ..registry import rule


@rule("REG301")
def unknown_counselor(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Every counselor is listed in the registry."""
    field = doc.draft.fields.get("counselors")
    if not field or not isinstance(field.value, list):
        return
    known = ctx.registry.counselor_names
    for index, name in enumerate(field.value):
        if isinstance(name, str) and name.strip() and name.strip() not in known:
            suggestion = ctx.registry.suggest_counselor(name.strip())
            hint = _("; did you mean {name}?").format(name=quote(suggestion)) if suggestion else ""
            yield diagnostic("REG301", doc.path, field.items[index], _(
                "counselor {name} is not in the registry").format(name=quote(name.strip())) + hint)


@rule("REG302")
def unknown_company(doc: Document, ctx: CheckContext) -> Iterator[Diagnostic]:
    """The company is listed in the registry under its full name."""
    field = doc.draft.fields.get("company")
    if not field or not isinstance(field.value, str) or not field.value.strip():
        return
    name = field.value.strip()
    if name not in ctx.registry.company_names:
        suggestion = ctx.registry.suggest_company(name)
        hint = _("; did you mean {name}?").format(name=quote(suggestion)) if suggestion else ""
        yield diagnostic("REG302", doc.path, field.value_pos, _(
            "company {name} is not in the registry").format(name=quote(name)) + hint)


def _by_year(docs: list[Document]) -> dict[str, list[Document]]:
    years: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        years[doc.draft.year_dir].append(doc)
    return years


@rule("REG303")
def duplicate_report_id(docs: list[Document], ctx: CheckContext) -> Iterator[Diagnostic]:
    """Report ids (file names) are unique within a year, ignoring letter case."""
    for year_docs in _by_year(docs).values():
        seen: dict[str, Document] = {}
        for doc in sorted(year_docs, key=lambda d: str(d.path)):
            key = doc.report_id.lower()
            if key in seen and seen[key].path != doc.path:
                yield diagnostic("REG303", doc.path, (1, 1), _(
                    "report id “{id}” is also used by {other}").format(id=doc.report_id, other=seen[key].path))
            seen.setdefault(key, doc)


@rule("REG304")
def duplicate_title(docs: list[Document], ctx: CheckContext) -> Iterator[Diagnostic]:
    """Report titles are unique within a year."""
    for year_docs in _by_year(docs).values():
        seen: dict[str, Document] = {}
        for doc in sorted(year_docs, key=lambda d: str(d.path)):
            title = doc.meta.title
            if not title:
                continue
            if title in seen:
                yield diagnostic("REG304", doc.path, doc.draft.fields["title"].value_pos, _(
                    "title {title} is also used by {other}").format(title=quote(title), other=seen[title].path))
            else:
                seen[title] = doc


@rule("REG305")
def counselor_without_report(docs: list[Document], ctx: CheckContext) -> Iterator[Diagnostic]:
    """Every registered counselor appears in at least one draft (checked when the whole corpus is)."""
    if not ctx.whole_corpus:
        return
    named = {name for doc in docs for name in doc.meta.counselors}
    for entry in ctx.registry.counselors:
        if entry.name not in named:
            yield diagnostic("REG305", ctx.registry.path, entry.position, _(
                "counselor {name} is registered but named in no draft").format(name=quote(entry.name)))


@rule("REG306")
def company_without_report(docs: list[Document], ctx: CheckContext) -> Iterator[Diagnostic]:
    """Every registered company appears in at least one draft (checked when the whole corpus is)."""
    if not ctx.whole_corpus:
        return
    named = {doc.meta.company for doc in docs}
    for entry in ctx.registry.companies:
        if entry.name not in named:
            yield diagnostic("REG306", ctx.registry.path, entry.position, _(
                "company {name} is registered but named in no draft").format(name=quote(entry.name)))
