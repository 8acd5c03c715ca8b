"""The library API for programs that embed reportgen (the web workspace, the Word importer, scripts).

Nothing here prints or exits; problems in drafts come back as diagnostics, and only a configuration that cannot
be used, or another build holding the output lock, raises (`ReportgenError` and its subclasses).

    config = load_config(Path("reportgen.toml"))
    registry = load_registry(config.registry_path)
    diagnostics = check_text(text, path=config.sources_dir / "2022" / "r29.md", config=config, registry=registry)
    document = parse_text(text, path=..., config=config)
    renderer = Renderer(config)                  # warm: WeasyPrint, templates and fonts loaded once
    pdf = renderer.pdf(document)                 # RenderedReport(data=…, pages=…, diagnostics=[…])
    docx = renderer.docx(document)
    result = run_build(config, jobs=2)           # the nightly job: BuildResult with its records and manifest
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .model import Diagnostic, Document
from .registry import Registry


@dataclass(frozen=True)
class RenderedReport:
    """One report rendered in memory: the file's bytes, its pages (PDF only) and what rendering reported."""

    data: bytes
    pages: int = 0
    diagnostics: tuple[Diagnostic, ...] = field(default=())


def parse_text(text: str, *, path: Path, config: Config) -> Document:
    """A draft's text (as an editor holds it) parsed to a Document, as if it were the file at `path` (its
    year and report id come from the path, as for a file; nothing is read from disk)."""
    from .parse import parse
    from .reader import draft_from_text

    normalised = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return parse(draft_from_text(path, normalised, has_bom=text.startswith("\ufeff"), had_crlf="\r\n" in text),
                 config)


def check_text(text: str, *, path: Path, config: Config, registry: Registry | None = None) -> list[Diagnostic]:
    """Every diagnostic `reportgen check` gives the draft `text` would give at `path`, on its own (corpus-wide
    rules, such as duplicate titles across drafts, need the corpus: use `check_paths`). Sorted, with the
    configuration's severity overrides applied."""
    from .check import apply_severity, check_document
    from .registry import load_registry
    from .rules.context import CheckContext

    registry = registry if registry is not None else load_registry(config.registry_path)
    context = CheckContext(config=config, registry=registry, whole_corpus=False)
    return apply_severity(check_document(parse_text(text, path=path, config=config), context), config)


class Renderer:
    """Renders single reports in this process, warm: the renderers are imported, and templates compiled, once
    for all the reports it renders (a preview server keeps one per worker process). Its output is the same
    bytes `reportgen build` writes for the report (with `SOURCE_DATE_EPOCH` the same, or the report's date)."""

    def __init__(self, config: Config):
        from .render import docx, pdf, units  # noqa: F401 - imported once, here: the first report is not slower
        from .render.html import template_environment

        self.config = config
        environment = template_environment(config.templates_dir)
        for name in environment.list_templates(filter_func=lambda name: name.endswith(".j2")):
            environment.get_template(name)

    def _timestamp(self, document: Document) -> dt.datetime:
        from .worker import build_timestamp

        return build_timestamp(document.meta.submitted)

    def pdf(self, document: Document) -> RenderedReport:
        from .render.units import report_pdf

        result = report_pdf(document, self.config, timestamp=self._timestamp(document))
        return RenderedReport(result.data, result.pages, tuple(result.diagnostics))

    def docx(self, document: Document) -> RenderedReport:
        from .render.docx import render_report_docx
        from .render.html import report_view

        data, problems = render_report_docx(document, report_view(document, self.config), self.config,
                                            timestamp=self._timestamp(document))
        return RenderedReport(data, 0, tuple(problems))


def run_build(config: Config, **options):
    """`reportgen build` without the command line: the same stages, lock and manifest (`build.build`, whose
    keyword options it takes: paths, formats, jobs, volume, strict, out, include_drafts, years, progress). Returns
    the `BuildResult`; raises `BuildLocked` if another build holds the output directory."""
    from .build import build

    return build(config, **options)
