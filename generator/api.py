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
import fcntl
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from generator.core.config import Config
from generator.core.errors import ReportgenError
from generator.core.i18n import _
from generator.core.model import Diagnostic, Document
from generator.read.registry import Registry


@dataclass(frozen=True)
class RenderedReport:
    """One report rendered in memory: the file's bytes, its pages (PDF only) and what rendering reported."""

    data: bytes
    pages: int = 0
    diagnostics: tuple[Diagnostic, ...] = field(default=())


def parse_text(text: str, *, path: Path, config: Config) -> Document:
    """A draft's text (as an editor holds it) parsed to a Document, as if it were the file at `path` (its
    year and report id come from the path, as for a file; nothing is read from disk)."""
    from generator.read.parse import parse
    from generator.read.reader import draft_from_text

    normalised = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return parse(draft_from_text(path, normalised, has_bom=text.startswith("\ufeff"), had_crlf="\r\n" in text),
                 config)


def check_text(text: str, *, path: Path, config: Config, registry: Registry | None = None) -> list[Diagnostic]:
    """Every diagnostic `reportgen check` gives the draft `text` would give at `path`, on its own (corpus-wide
    rules, such as duplicate titles across drafts, need the corpus: use `check_paths`). Sorted, with the
    configuration's severity overrides applied."""
    from generator.check.context import CheckContext
    from generator.check.engine import apply_severity, check_document
    from generator.read.registry import load_registry

    registry = registry if registry is not None else load_registry(config.registry_path)
    context = CheckContext(config=config, registry=registry, whole_corpus=False)
    return apply_severity(check_document(parse_text(text, path=path, config=config), context), config)


class Renderer:
    """Renders single reports in this process, warm: the renderers are imported, and templates compiled, once
    for all the reports it renders (a preview server keeps one per worker process). Its output is the same
    bytes `reportgen build` writes for the report (with `SOURCE_DATE_EPOCH` the same, or the report's date)."""

    def __init__(self, config: Config):
        from generator.render import docx, pdf, units  # noqa: F401 - imported once, here: the first report is not slower
        from generator.render.html import template_environment

        self.config = config
        environment = template_environment(config.templates_dir)
        for name in environment.list_templates(filter_func=lambda name: name.endswith(".j2")):
            environment.get_template(name)

    def _timestamp(self, document: Document) -> dt.datetime:
        from generator.build.worker import build_timestamp

        return build_timestamp(document.meta.submitted)

    def pdf(self, document: Document) -> RenderedReport:
        from generator.render.units import report_pdf

        result = report_pdf(document, self.config, timestamp=self._timestamp(document))
        return RenderedReport(result.data, result.pages, tuple(result.diagnostics))

    def docx(self, document: Document) -> RenderedReport:
        from generator.render.docx import render_report_docx
        from generator.render.html import report_view

        data, problems = render_report_docx(document, report_view(document, self.config), self.config,
                                            timestamp=self._timestamp(document))
        return RenderedReport(data, 0, tuple(problems))


def run_build(config: Config, *, progress=None, **options):
    """`reportgen build` without the command line: the same stages, lock and manifest. Takes the options of a
    `BuildRequest` (paths, formats, jobs, volume, strict, out, include_drafts, years, reports, scheduler) and an
    optional `progress` (start/advance/finish). With `scheduler="tcp://HOST:8786"` the reports render on that
    Dask cluster (the “distributed” extra). Returns the `BuildResult`; raises `BuildLocked` if another build holds
    the output directory, `EnvironmentProblem` if the scheduler cannot be reached."""
    from generator.build.run import BuildRequest, build

    return build(config, BuildRequest.of(**options), progress=progress)



def build_running(config: Config) -> str | None:
    """The process id of the build now writing to the configured output directory, or None if none is: a
    program can say so before it starts a build that would wait for it (`run_build` raises `BuildLocked`)."""
    from generator.build.store import lock_holder

    return lock_holder(config.output_dir)


# --- Web compile (issue 17) -----------------------------------------------------------------------------------
# A program following a build as it runs (the workspace's compile page) passes `run_build(config, progress=…)` an
# object of its own with the methods of `Progress` (re-exported as `generator.Progress`): `start(total,
# description)` once the drafts are checked, `advance(description)` as each report (its id) or volume is done,
# `finish()`. The CLI's progress bar and its log lines are two such objects. `BuildLocked` says another build
# (the nightly one, the CLI, another compile) holds the output directory's lock: wait, and call again.

# --- Editing drafts held in memory (the web workspace's needs; each the same code the CLI uses) -------------

class DraftChanged(ReportgenError):
    """`write_draft` refused: the file is not the version the writer started from (another tab, another user,
    the CLI or git changed it meanwhile). `current` is the file's text now (None if it was removed)."""

    def __init__(self, path: Path, current: str | None):
        self.path = path
        self.current = current
        super().__init__(_("{path} was changed by someone else since it was opened").format(path=path))


def text_hash(text: str) -> str:
    """The content hash of a draft's text (SHA-256 of its UTF-8), as revisions and `write_draft` compare it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str | None:
    """The content hash of the file at `path` as it is on disk (None if there is none); for a file this
    package wrote it equals `text_hash` of the text written."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def read_text(path: Path, config: Config) -> tuple[str | None, str | None]:
    """A draft's text as the checker reads it (LF line endings, no BOM; None if it cannot be read: not a regular
    file, over the size limit, linking out of the project, not UTF-8) and the content hash of exactly the bytes
    read (`file_hash`), to give `write_draft` as `expected`."""
    from generator.read.reader import read_source

    text, _problems, _bom, _crlf, digest = read_source(path, max_bytes=config.check.max_draft_bytes,
                                                       within=config.root)
    return text, (digest or None) if text is not None else file_hash(path)


def write_draft(path: Path, text: str, *, expected: str | None) -> str:
    """Write a draft atomically (a reader, the build included, sees the old file or the new one, never half),
    but only if the file's content hash is still `expected` (None: the file must not exist yet); otherwise raise
    `DraftChanged` with the file's current text. Writers of one directory hold its lock for the compare and the
    write, so two concurrent saves cannot both pass the comparison. `text` has LF line endings (as `read_text`
    gives it); a file that had CRLF line endings or a BOM keeps them, as `check --fix` keeps them. Returns the
    new content hash (the file's)."""
    from generator.core.atomic import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / ".reportgen-drafts.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raw = None
        if (None if raw is None else hashlib.sha256(raw).hexdigest()) != expected:
            current = None if raw is None else raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
            raise DraftChanged(path, current)
        if raw is not None and b"\r\n" in raw:
            text = text.replace("\n", "\r\n")
        data = (b"\xef\xbb\xbf" if raw is not None and raw.startswith(b"\xef\xbb\xbf") else b"") + text.encode("utf-8")
        atomic_write(path, data)
    return hashlib.sha256(data).hexdigest()


def apply_fix(text: str, diagnostic: Diagnostic) -> str:
    """`text` with one diagnostic's fix applied: exactly the edits `check --fix` applies for it."""
    from generator.check.fixes import apply_edits

    return apply_edits(text, list(diagnostic.fix))[0]


def fix_text(text: str, *, path: Path, config: Config, registry: Registry | None = None) -> str:
    """`text` after every safe fix `reportgen check --fix` would apply to it at `path` (nothing is written)."""
    from generator.check.context import CheckContext
    from generator.check.fixes import fix_text as fix_rounds
    from generator.read.registry import load_registry

    registry = registry if registry is not None else load_registry(config.registry_path)
    return fix_rounds(path, text, CheckContext(config=config, registry=registry, whole_corpus=False))[0]


def new_draft_text(config: Config, registry: Registry, *, report_id: str, year: int, company: str,
                   counselors: list[str], theme: str, title: str | None = None) -> tuple[Path, str]:
    """The path and text `reportgen new` would create (the same checks of the id and the registry's names,
    raising `ReportgenError`), without writing anything."""
    from generator.check.scaffold import scaffold_path_and_text

    return scaffold_path_and_text(config, registry, report_id=report_id, year=year, company=company,
                                  counselors=counselors, theme=theme, title=title)


def _yaml_scalar(value: str) -> str:
    plain = re.fullmatch(r"[^\s'\"#:\[\]{},&*!|>%@`?-][^#:\[\]{},]*", value) and value == value.strip()
    return value if plain else "'" + value.replace("'", "''") + "'"


def set_front_matter_value(text: str, key: str, value: str | list[str] | None, *, path: Path, config: Config,
                           add: bool = False) -> str:
    """`text` with the value of front-matter field `key` replaced by `value` (a scalar, or a list written as a
    flow sequence `[a, b]`; quoted as YAML needs) and nothing else touched, not even a comment after it; raises
    `ReportgenError` if the field is missing or its value does not stand on the key's line.

    With `add=True` a missing field is added as a line `key: value` at the end of the front matter; `value=None`
    removes the field's line (nothing changes if there is none). Optional fields such as `volume_order` are set
    and cleared so."""
    document = parse_text(text, path=path, config=config)
    draft = document.draft
    field_value = draft.fields.get(key)
    if (value is None or (add and field_value is None)) and not draft.front_matter_parsed:
        raise ReportgenError(_("the front matter has no field “{key}” to change").format(key=key))
    if value is None:
        if field_value is None:
            return text
        if field_value.value_pos.line != field_value.key_pos.line or isinstance(field_value.value, (list, dict)):
            raise ReportgenError(_("the front matter has no field “{key}” to change").format(key=key))
        lines = text.split("\n")
        del lines[field_value.key_pos.line - 1]
        return "\n".join(lines)
    if add and field_value is None:
        lines = text.split("\n")
        closing = draft.body_line - 2   # the index of the closing `---`
        written = "[" + ", ".join(_yaml_scalar(item) for item in value) + "]" if isinstance(value, list) else \
            _yaml_scalar(value)
        lines.insert(closing, f"{key}: {written}")
        return "\n".join(lines)
    if field_value is None or isinstance(field_value.value, dict) or \
            isinstance(field_value.value, list) != isinstance(value, list):
        raise ReportgenError(_("the front matter has no field “{key}” to change").format(key=key))
    lines = text.split("\n")
    index = field_value.key_pos.line - 1
    line = lines[index]
    if field_value.value_pos.line != field_value.key_pos.line:
        raise ReportgenError(_("the front matter has no field “{key}” to change").format(key=key))
    start = field_value.value_pos.col - 1
    if isinstance(value, list) and not line[start:].startswith("["):
        raise ReportgenError(_("the front matter has no field “{key}” to change").format(key=key))
    if isinstance(value, list):
        end = start + line[start:].index("]") + 1 if "]" in line[start:] else len(line)
        replacement = "[" + ", ".join(_yaml_scalar(item) for item in value) + "]"
    else:
        comment = re.search(r"\s+#.*$", line[start:])
        end = start + comment.start() if comment else len(line.rstrip())
        replacement = _yaml_scalar(value)
    lines[index] = line[:start] + replacement + line[end:]
    return "\n".join(lines)


def messages_in(language: str | None):
    """A context manager: every message reportgen makes inside it (diagnostics, errors), in this thread only,
    is in `language` (zh_CN, en …); for a server answering each request in its user's language."""
    from generator.core.i18n import messages_in as in_language

    return in_language(language)


def translation(language: str | None):
    """The message catalog of `language` (zh_CN, en …; the default, Simplified Chinese, when unknown) as a
    `gettext.NullTranslations`: what the CLI's messages use, for a program serving several languages at once."""
    import gettext

    from generator.core.i18n import _catalog, normalise_language

    chosen = normalise_language(language) or "zh_CN"
    return gettext.NullTranslations() if chosen == "en" else _catalog(chosen)


def list_drafts(config: Config) -> list[Path]:
    """Every draft under the sources directory (`<sources>/<year>/<id>.md`), as `reportgen check` finds them."""
    from generator.read.discover import discover_drafts

    return discover_drafts([], config)


# --- Review desk (issue 17) ---------------------------------------------------------------------------------

def volume_overview(config: Config, documents: list[Document], registry: Registry) -> dict:
    """The overview the annual volume prints for these documents (give the volume's members: the approved
    reports that check without errors), computed by the volume's own code so that a web page shows the numbers
    the volume will print: `sentence` (“N位党建辅导员对M个基层公司……”), `counselors`, `companies`, `reports`,
    `per_theme` [(theme, reports, [short company names])], `matrix_themes` and `matrix` [(short company name,
    [reports per theme])]."""
    from generator.read.registry import short_company_names
    from generator.render.volume_pdf import overview_sentence
    from generator.render.volume_plan import overview

    numbers = overview(config, list(documents), short_company_names(registry))
    return {"sentence": overview_sentence(numbers), "counselors": numbers.counselors,
            "companies": numbers.companies, "reports": numbers.reports, "per_theme": numbers.per_theme,
            "matrix_themes": numbers.matrix_themes, "matrix": numbers.matrix}
# --- Word import (issue 18) ---------------------------------------------------------------------------------
# What the Word importer (generator/importer/, a face like cli and web) needs beyond the above.

def diagnostic(code: str, path: Path, message: str, *, line: int = 1, col: int = 1) -> Diagnostic:
    """A diagnostic of a registered code (`reportgen rules`) at its default severity, for faces that find problems
    of their own (the Word importer's IMP7xx), with the configuration's overrides left to the caller."""
    from generator.core.diagnostics import diagnostic as make

    return make(code, path, (line, col), message)


def required_section(title: str, config: Config):
    """The configured required section (`config.sections` item) that a heading titled `title` names, matched
    as `check` matches it (numbering such as 一、 （一） 1. stripped, aliases counted), or None."""
    from generator.core.sections import normalise_title

    wanted = normalise_title(title)
    for spec in config.sections:
        if wanted in {normalise_title(name) for name in (spec.title, *spec.aliases)}:
            return spec
    return None


def apply_severity(diagnostics, config: Config) -> list[Diagnostic]:
    """The configuration's `[check.severity]` overrides applied (`off` drops a diagnostic), sorted by file, line
    and column: as `check` does, for faces with findings of their own (the importer's IMP7xx)."""
    from generator.check.engine import apply_severity as apply

    return apply(diagnostics, config)


def translate(message: str) -> str:
    """`message` (English, as written in the code) in the current language (the CLI's `--lang`, the thread's
    `messages_in`), from reportgen's catalog: for faces that have messages of their own."""
    from generator.core.i18n import _

    return _(message)
