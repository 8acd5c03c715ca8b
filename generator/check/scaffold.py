"""`reportgen new`: a draft with complete front matter and every required section heading."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from generator.core.config import Config
from generator.core.errors import ReportgenError
from generator.core.i18n import _, join_list
from generator.read.registry import Registry, short_company_names

from .rules.frontmatter import SAFE_REPORT_ID
from .rules.sections import SECTION_PLACEHOLDER, SUMMARY_PLACEHOLDER

CHINESE_NUMERALS = "一二三四五六七八九十"


def _yaml_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def render_scaffold(config: Config, *, year: int, company: str, counselors: list[str], theme: str,
                    title: str | None, today: dt.date) -> str:
    title = title or f"以“{theme}”推动{company}高质量发展"
    lines = [
        "---",
        f"title: {_yaml_text(title)}",
        f"year: {year}",
        f"theme: {_yaml_text(theme)}",
        f"company: {_yaml_text(company)}",
        "counselors: [" + ", ".join(_yaml_text(name) for name in counselors) + "]",
        f"status: {config.front_matter.statuses[0]}",
        # Today is the submission date only of a report of this year; another year's is left for the writer.
        f"submitted: {today.isoformat() if today.year == year else ''}".rstrip(),
        "summary: " + _yaml_text(_(SUMMARY_PLACEHOLDER).format(limit=config.front_matter.summary_max_chars)),
        "keywords: [" + _yaml_text(theme.split("+")[-1]) + "]",
        "---",
        "",
    ]
    for index, spec in enumerate(config.sections):
        numeral = CHINESE_NUMERALS[index] if index < len(CHINESE_NUMERALS) else str(index + 1)
        lines += ["#" * spec.level + f" {numeral}、{spec.title}", "", _(SECTION_PLACEHOLDER), ""]
    return "\n".join(lines)


def scaffold_path_and_text(config: Config, registry: Registry, *, report_id: str, year: int, company: str,
                           counselors: list[str], theme: str, title: str | None = None) -> tuple[Path, str]:
    """Where the new draft goes and its text; refuse an unsafe id and names that are not in the registry."""
    if not SAFE_REPORT_ID.match(report_id):
        raise ReportgenError(_("report id “{id}” must use only ASCII letters, digits, “-” and “_”").format(id=report_id))
    if company not in registry.company_names:
        suggestion = registry.suggest_company(company)
        raise ReportgenError(_("company “{name}” is not in the registry").format(name=company) + (
            _("; did you mean “{name}”?").format(name=suggestion) if suggestion else ""))
    for name in counselors:
        if name not in registry.counselor_names:
            suggestion = registry.suggest_counselor(name)
            raise ReportgenError(_("counselor “{name}” is not in the registry").format(name=name) + (
                _("; did you mean “{name}”?").format(name=suggestion) if suggestion else ""))
    if theme not in config.themes:
        raise ReportgenError(_("theme “{theme}” is not configured; choose one of: {allowed}").format(
            theme=theme, allowed=join_list(config.themes)))
    path = config.sources_dir / str(year) / f"{report_id}.md"
    # The suggested title names the company by its short name, as titles do, and so fits the running header (FM125).
    title = title or f"以“{theme}”推动{short_company_names(registry)[company]}高质量发展"
    return path, render_scaffold(config, year=year, company=company, counselors=counselors, theme=theme,
                                 title=title, today=dt.date.today())


def scaffold_draft(config: Config, registry: Registry, *, report_id: str, year: int, company: str,
                   counselors: list[str], theme: str, title: str | None = None) -> Path:
    """Create `<sources>/<year>/<id>.md`; refuse unknown names and never overwrite a file."""
    path, text = scaffold_path_and_text(config, registry, report_id=report_id, year=year, company=company,
                                        counselors=counselors, theme=theme, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: creating the file and checking that it did not exist are one step.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise ReportgenError(_("{path} already exists; it was left unchanged").format(path=path)) from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
