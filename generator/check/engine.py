"""Checking: run every registered rule over documents and the corpus, returning sorted diagnostics.

A rule that crashes is reported as INT901 for that file; the other rules and files still run.
Severity overrides from the configuration are applied here, in one place.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from generator.core.config import Config
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _
from generator.core.model import Diagnostic, Document, Severity
from generator.core.typeset import keep_words  # the word cuts of titles that did not fit the running header
from generator.read.parse import parse
from generator.read.reader import read_draft
from generator.read.registry import Registry

from . import rules  # noqa: F401 - importing the package registers every rule
from .context import CheckContext, forget
from .registry import registered_rules

log = logging.getLogger(__name__)
SEVERITY_NAMES = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


def _run(rule, subject, ctx: CheckContext, path: Path) -> list[Diagnostic]:
    try:
        return list(rule.check(subject, ctx))
    except Exception as error:  # a broken rule must not hide other results
        log.debug("rule %s crashed on %s", rule.code, path, exc_info=True)
        return [diagnostic("INT901", path, (1, 1), _("internal error in rule {code} ({name}): {error}").format(
            code=rule.code, name=rule.name, error=f"{type(error).__name__}: {error}"))]


def check_document(doc: Document, ctx: CheckContext) -> list[Diagnostic]:
    """Diagnostics of one document: reading problems, then every document rule."""
    found = list(doc.draft.read_problems) + list(doc.diagnostics)
    if any(problem.code == "FM118" for problem in found):
        return found  # nothing was read: every other rule would only repeat that
    registered = registered_rules().values()
    over_limits = [item for rule in registered if rule.scope == "limits" for item in _run(rule, doc, ctx, doc.path)]
    found.extend(over_limits)
    if any(item.severity == Severity.ERROR for item in apply_severity(over_limits, ctx.config)):
        return found  # refused in milliseconds: no other rule (nor the parser) spends its time on such a draft
    for rule in registered:
        if rule.scope == "document":
            found.extend(_run(rule, doc, ctx, doc.path))
    return found


def check_corpus(docs: list[Document], ctx: CheckContext) -> list[Diagnostic]:
    """Corpus-wide diagnostics (duplicates across drafts, registry entries never used)."""
    found = list(ctx.registry.problems)
    for rule in registered_rules().values():
        if rule.scope == "corpus":
            found.extend(_run(rule, docs, ctx, ctx.registry.path))
    return found


def apply_severity(diagnostics: Iterable[Diagnostic], config: Config) -> list[Diagnostic]:
    """Apply `[check.severity]` overrides; `off` drops the diagnostic. Sorted by file, line, column."""
    overrides = config.check.severity
    result = []
    for item in diagnostics:
        override = overrides.get(item.code) or overrides.get(item.name)
        if override == "off":
            continue
        if override:
            item = dataclasses.replace(item, severity=SEVERITY_NAMES[override])
        result.append(item)
    return sorted(set(result), key=lambda item: item.sort_key)


class CheckResults(Protocol):
    """Check results kept between runs (`store.CheckMemo`: the build's, and `check`'s): a draft unchanged since is
    not checked again. A key is the memo's own (picklable: workers make them, this process records them)."""

    def key(self, doc: Document, ctx: CheckContext) -> object: ...
    def get(self, doc: Document, key: object) -> list[Diagnostic] | None: ...
    def put(self, doc: Document, key: object, found: list[Diagnostic]) -> None: ...
    def save(self) -> None: ...
    def held(self, paths: list[Path]) -> int: ...


PARALLEL_MINIMUM = 200  # below this, starting workers costs more than it saves
_worker_context: CheckContext | None = None


def _check_one(path: Path, ctx: CheckContext, memo: CheckResults | None = None
               ) -> tuple[Document | None, list[Diagnostic], object]:
    """A draft read, parsed and checked (or its diagnostics taken from `memo`), with its key in `memo`."""
    try:
        doc = parse(read_draft(path, max_bytes=ctx.config.check.max_draft_bytes, within=ctx.config.root),
                    ctx.config)
    except Exception as error:
        log.debug("reading %s failed", path, exc_info=True)
        return None, [diagnostic("INT901", path, (1, 1), _("internal error while reading: {error}").format(
            error=f"{type(error).__name__}: {error}"))], None
    memo_key = memo.key(doc, ctx) if memo is not None else None
    if memo is not None and (cached := memo.get(doc, memo_key)) is not None:
        return doc, cached, memo_key
    found = check_document(doc, ctx)
    forget(doc)
    return doc, found, memo_key


_worker_memo: CheckResults | None = None


def _check_chunk(paths: list[Path]) -> list[tuple[Document | None, list[Diagnostic], object]]:
    results = [_check_one(path, _worker_context, _worker_memo) for path in paths]
    keep_words()
    return results


def check_paths(paths: list[Path], config: Config, registry: Registry, *, whole_corpus: bool,
                jobs: int | None = None, memo: CheckResults | None = None,
                volume_sources: dict | None = None) -> tuple[list[Document], list[Diagnostic]]:
    """Read, parse and check drafts; the documents and every diagnostic, sorted.

    Many drafts are checked in forked worker processes (`jobs`, default: the number of cores); the corpus-wide
    rules then run once over all documents in this process (the word cuts of titles measured for the running
    header are kept in the user cache, once a worker). With a `memo` (the build's, or `check`'s in the user
    cache), drafts checked before and unchanged since are not checked again (the workers look them up in the memo
    they inherit; this process records what they found). The years' `_volume.md` drafts, as read and checked,
    are left in `volume_sources` (year -> Draft or None).
    """
    global _worker_context, _worker_memo
    ctx = CheckContext(config=config, registry=registry, whole_corpus=whole_corpus)
    jobs = jobs or os.cpu_count() or 1
    results: list[tuple[Document | None, list[Diagnostic], object]]
    # Workers pay for themselves only where many drafts are to be checked, not taken from the memo.
    to_check = len(paths) - (memo.held(paths) if memo is not None else 0)
    if jobs > 1 and to_check >= PARALLEL_MINIMUM and "fork" in multiprocessing.get_all_start_methods():
        _warm_caches(config)
        _worker_context, _worker_memo = ctx, memo
        size = max(1, len(paths) // (jobs * 4))
        chunks = [paths[index:index + size] for index in range(0, len(paths), size)]
        # Closed and joined, not terminated (what `with Pool()` does on leaving): terminating races with a worker
        # still taking its next task from the queue, and could leave this process waiting for it forever.
        pool = multiprocessing.get_context("fork").Pool(jobs)
        try:
            results = [item for chunk in pool.map(_check_chunk, chunks) for item in chunk]
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
        _worker_context = _worker_memo = None
    else:
        results = [_check_one(path, ctx, memo) for path in paths]
        keep_words()
    if memo is not None:
        for doc, items, key in results:
            if doc is not None:
                memo.put(doc, key, items)
        memo.save()
    documents = [doc for doc, _found, _key in results if doc is not None]
    found = [item for _doc, items, _key in results for item in items]
    found.extend(check_corpus(documents, ctx))
    if whole_corpus:
        found.extend(_volume_sources(documents, config, {} if volume_sources is None else volume_sources))
    return documents, apply_severity(found, config)


def _volume_sources(documents: list[Document], config: Config, drafts: dict) -> list[Diagnostic]:
    """Problems in each year's volume front matter (`_volume.md`), which publicity staff edit; the drafts read
    are kept in `drafts` (the build makes the volumes from them)."""
    from generator.read.volume_source import read_volume_source, volume_source_draft

    found: list[Diagnostic] = []
    for year in sorted({doc.draft.year_dir for doc in documents}):
        drafts[year] = volume_source_draft(config, year)
        found.extend(read_volume_source(config, year, drafts[year]).diagnostics)
    return found


def _warm_caches(config: Config) -> None:
    """Load font coverage once in the parent, so forked workers inherit it instead of each reading fonts, and
    prepare what pays only over many drafts."""
    from generator.core.fonts import coverage

    from .rules.text import prepare_glyph_check

    for families in config.brand.fonts.model_dump().values():
        coverage(tuple(families))
    prepare_glyph_check(config.brand.fonts)
