"""reportgen: branded PDF and Word reports and annual volumes from Markdown drafts.

Public API for programs that embed reportgen (none of it prints or exits; see `generator/api.py`):

    load_config(path=None) -> Config
    load_registry(path) -> Registry
    check_text(text, path=, config=, registry=None) -> [Diagnostic]     a draft held in memory (an editor's)
    parse_text(text, path=, config=) -> Document
    Renderer(config).pdf(document) / .docx(document) -> RenderedReport  one report, in a warm process
    run_build(config, jobs=, paths=, ...) -> BuildResult               the nightly job, with its manifest
    Progress: start(total, description) / advance(description) / finish()  run_build(progress=…) reports to it
    build_running(config) -> pid or None               the build holding the output directory's lock, if any
    lock_holder(path) -> what the process holding the file locked wrote in it, or None (FileNotFoundError)
    read_draft(path) -> Draft; parse(draft, config) -> Document; check_paths(paths, config, registry, ...)
  Editing drafts in memory (the web workspace):
    read_text(path, config) -> (text, hash); write_draft(path, text, expected=hash) (atomic; DraftChanged)
    apply_fix(text, diagnostic) / fix_text(text, path=, config=) -> str            exactly `check --fix`'s edits
    new_draft_text(config, registry, report_id=, year=, ...) -> (path, text)       `reportgen new`'s scaffold
    set_front_matter_value(text, key, value, path=, config=, add=) -> str   add: a missing field; None: remove it
    list_drafts(config); translation(language)
    with messages_in(language): …                                                   messages of one thread
  The review desk (issue 17):
    volume_overview(config, documents, registry) -> dict    the numbers and sentence the volume prints
  The Word importer (generator/importer/):
    diagnostic(code, path, message, line=, col=) -> Diagnostic; required_section(title, config) -> section or None
    translate(message) -> str                          a face's own message in the current language
    apply_severity(diagnostics, config) -> [Diagnostic]   `[check.severity]` applied, sorted, as check does
"""

__version__ = "0.1.0"

# Loaded on first use (PEP 562), so that a worker process importing one module does not load the checker.
_API = {
    "check_paths": "check.engine", "Config": "core.config", "load_config": "core.config", "BuildLocked": "core.errors",
    "ConfigError": "core.errors", "EnvironmentProblem": "core.errors", "RenderError": "core.errors", "ReportgenError": "core.errors",
    "Diagnostic": "core.model", "Document": "core.model", "Draft": "core.model", "Severity": "core.model", "parse": "read.parse",
    "read_draft": "read.reader", "load_registry": "read.registry", "check_text": "api", "parse_text": "api",
    "Renderer": "api", "RenderedReport": "api", "run_build": "api", "BuildResult": "build.run", "Terminated": "core.errors",
    "DraftChanged": "api", "text_hash": "api", "file_hash": "api", "read_text": "api", "write_draft": "api",
    "apply_fix": "api", "fix_text": "api", "new_draft_text": "api", "set_front_matter_value": "api",
    "translation": "api", "list_drafts": "api", "messages_in": "api",
    "Progress": "build.run",   # run_build(progress=…): see "Web compile (issue 17)" in api.py
    "build_running": "api", "lock_holder": "core.atomic",
    "volume_overview": "api",   # review desk (issue 17)
    # Word import (issue 18)
    "diagnostic": "api", "required_section": "api", "translate": "api", "apply_severity": "api",
}


def __getattr__(name: str):
    if name in _API:
        from importlib import import_module

        return getattr(import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "__version__", "BuildLocked", "Config", "ConfigError", "Diagnostic", "Document", "Draft", "EnvironmentProblem",
    "RenderError", "ReportgenError", "Severity", "check_paths", "load_config", "load_registry", "parse",
    "read_draft", "check_text", "parse_text", "Renderer", "RenderedReport", "run_build", "BuildResult", "Terminated",
    "DraftChanged", "text_hash", "file_hash", "read_text", "write_draft", "apply_fix", "fix_text", "new_draft_text",
    "set_front_matter_value", "translation", "list_drafts", "messages_in", "Progress", "build_running",
    "lock_holder",
    "volume_overview",   # review desk (issue 17)
    # Word import (issue 18)
    "diagnostic", "required_section", "translate", "apply_severity",
]
