"""A year's volume source: `<sources>/<year>/_volume.md`, which publicity staff edit — the volume's front-matter
fields and the sections printed before the reports (preface …) and after them (afterword)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from generator.core.config import Config
from generator.core.dates import DateError, parse_date
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _
from generator.core.model import Diagnostic, Draft

from .frontmatter import date_problem
from .parse import parse
from .reader import read_draft

VOLUME_FIELDS = ("title", "subtitle", "organisation", "editor", "date")
BACK_SECTIONS = ("编后记", "后记", "Afterword")


@dataclass(frozen=True)
class VolumeSource:
    """The publicity staff's file: front-matter fields and the sections before and after the reports."""

    path: Path | None
    fields: dict[str, str]
    front: tuple[tuple[str, object], ...]   # (title, element list) before the overview
    back: tuple[tuple[str, object], ...]    # after the indexes
    diagnostics: tuple[Diagnostic, ...] = ()
    date: dt.date | None = None              # the `date` field, read as report dates are (`core.dates`)


def volume_source_draft(config: Config, year: str) -> Draft | None:
    """The year's `_volume.md` as read once by the build (its key and its tasks use these bytes), or None."""
    path = config.sources_dir / year / config.volume.front_matter
    return read_draft(path) if path.is_file() else None


UNREAD = object()


def read_volume_source(config: Config, year: str, draft=UNREAD) -> VolumeSource:
    """The year's volume source, from `draft` (a Draft, or None for none) when the build has read it already."""
    draft = volume_source_draft(config, year) if draft is UNREAD else draft
    if draft is None:
        return VolumeSource(None, {}, (), ())
    path = draft.path
    problems = list(draft.read_problems)
    fields = {}
    for name, value in draft.fields.items():
        if name not in VOLUME_FIELDS:
            problems.append(diagnostic("FM106", path, value.key_pos, _("unknown field “{key}”").format(key=name)))
        elif isinstance(value.value, str):
            fields[name] = value.value.strip()
    date = None
    if fields.get("date"):
        try:
            date = parse_date(fields["date"])
        except DateError as error:
            problem = date_problem(draft.fields["date"], error)
            problems.append(diagnostic(problem.code, path, problem.position, problem.message))
    doc = parse(draft, config)
    front, back, current, title = [], [], None, None
    for element in doc.body:
        if element.tag == "h2":
            title = "".join(element.itertext()).strip()
            current = []
            (back if title in BACK_SECTIONS else front).append((title, current))
        elif current is not None:
            current.append(element)
    return VolumeSource(path, fields, tuple((t, tuple(e)) for t, e in front), tuple((t, tuple(e)) for t, e in back),
                        tuple(problems), date)


