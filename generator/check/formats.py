"""Diagnostic output formats: text (with source excerpt and caret), JSON, JUnit XML and SARIF 2.1.0."""

from __future__ import annotations

import json
import os
import unicodedata
import xml.etree.ElementTree as etree
from collections import Counter, defaultdict
from pathlib import Path

from generator import __version__
from generator.core.codes import CODES
from generator.core.i18n import _
from generator.core.model import Diagnostic, Severity

FORMATS = ("text", "json", "junit", "sarif")


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _severity_text(severity: Severity) -> str:
    return {Severity.ERROR: _("error"), Severity.WARNING: _("warning"), Severity.INFO: _("info")}[severity]


def summary_counts(diagnostics: list[Diagnostic]) -> Counter:
    return Counter(item.severity for item in diagnostics)


def format_text(diagnostics: list[Diagnostic], *, files_checked: int, sources: dict[Path, str] | None = None,
                fixed: int = 0, previewed: int = 0) -> str:
    """`path:line:col: CODE message`, then the source line and a caret under the column. `fixed` fixes were
    written; `previewed` were only shown (`--diff`)."""
    sources = sources or {}
    out = []
    for item in diagnostics:
        out.append(f"{display_path(item.path)}:{item.line}:{item.col}: {item.code} {item.message}")
        text = sources.get(item.path)
        if text is not None:
            lines = text.split("\n")
            if 0 < item.line <= len(lines):
                line = lines[item.line - 1].replace("\t", " ")
                gutter = f"{item.line:>5} | "
                out.append(gutter + line[:200])
                out.append(" " * (len(gutter) - 2) + "| " + " " * display_width(line[: item.col - 1]) + "^ "
                           + _severity_text(item.severity) + f" [{item.name}]")
    counts = summary_counts(diagnostics)
    fixable = sum(1 for item in diagnostics if item.fix)
    if diagnostics:
        out.append("")
    out.append(_("Checked {files} file(s): {errors} error(s), {warnings} warning(s).").format(
        files=files_checked, errors=counts[Severity.ERROR], warnings=counts[Severity.WARNING]))
    if fixed:
        out.append(_("Applied {count} fix(es).").format(count=fixed))
    if previewed:
        out.append(_("{count} fix(es) shown above; nothing was written.").format(count=previewed))
    if fixable:
        out.append(_("{count} problem(s) can be fixed with `reportgen check --fix`.").format(count=fixable))
    return "\n".join(out)


def _record(item: Diagnostic) -> dict:
    return {"path": display_path(item.path), "line": item.line, "column": item.col, "code": item.code,
            "name": item.name, "severity": item.severity.label, "message": item.message,
            "fixable": bool(item.fix)}


def format_json(diagnostics: list[Diagnostic], *, files_checked: int, fixed: int = 0) -> str:
    counts = summary_counts(diagnostics)
    return json.dumps({
        "version": 1,
        "files_checked": files_checked,
        "fixed": fixed,
        "summary": {"errors": counts[Severity.ERROR], "warnings": counts[Severity.WARNING],
                    "info": counts[Severity.INFO]},
        "diagnostics": [_record(item) for item in diagnostics],
    }, ensure_ascii=False, indent=2)


def format_junit(diagnostics: list[Diagnostic], *, files: list[Path], strict: bool = False) -> str:
    """One test case per checked file; errors (and warnings when strict) are failures."""
    by_file: dict[str, list[Diagnostic]] = defaultdict(list)
    for item in diagnostics:
        by_file[display_path(item.path)].append(item)
    names = sorted({display_path(path) for path in files} | set(by_file))
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    suite = etree.Element("testsuite", name="reportgen check", tests=str(len(names)))
    failures = 0
    for name in names:
        case = etree.SubElement(suite, "testcase", classname="reportgen.check", name=name)
        bad = [item for item in by_file.get(name, []) if item.severity in failing]
        if bad:
            failures += 1
            failure = etree.SubElement(case, "failure", message=_("{count} problem(s)").format(count=len(bad)),
                                       type=bad[0].code)
            failure.text = "\n".join(f"{name}:{item.line}:{item.col}: {item.code} {item.message}" for item in bad)
    suite.set("failures", str(failures))
    suites = etree.Element("testsuites")
    suites.append(suite)
    return etree.tostring(suites, encoding="unicode", xml_declaration=True)


SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def format_sarif(diagnostics: list[Diagnostic]) -> str:
    rules = CODES
    used = sorted({item.code for item in diagnostics})
    index = {code: number for number, code in enumerate(used)}
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "reportgen",
                "version": __version__,
                "rules": [{"id": code, "name": rules[code].name,
                           "shortDescription": {"text": rules[code].description},
                           "defaultConfiguration": {"level": SARIF_LEVEL[rules[code].severity]}}
                          for code in used],
            }},
            "results": [{
                "ruleId": item.code,
                "ruleIndex": index[item.code],
                "level": SARIF_LEVEL[item.severity],
                "message": {"text": item.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": display_path(item.path).replace(os.sep, "/")},
                    "region": {"startLine": item.line, "startColumn": item.col},
                }}],
            } for item in diagnostics],
        }],
    }, ensure_ascii=False, indent=2)
