"""The registry of counselors and companies (`reports_src/registry.yaml`) with source positions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from generator.core.diagnostics import diagnostic
from generator.core.i18n import _
from generator.core.model import Diagnostic, Position

from .reader import parse_front_matter, read_source


@dataclass(frozen=True)
class Entry:
    name: str
    position: Position
    details: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, default: str = "") -> str:
        return dict(self.details).get(key, default)


@dataclass(frozen=True)
class Registry:
    path: Path
    counselors: tuple[Entry, ...] = ()
    companies: tuple[Entry, ...] = ()
    problems: tuple[Diagnostic, ...] = field(default=())
    digest: str = ""  # SHA-256 of the bytes read: the checks and the volume were made from exactly those

    def printed(self, companies, counselors) -> dict:
        """What a volume prints of these companies and counselors (short names, departments …): part of its key."""
        return {"companies": {name: (entry.details if (entry := self.company(name)) else None)
                              for name in sorted(companies)},
                "counselors": {name: (entry.details if (entry := self.counselor(name)) else None)
                               for name in sorted(counselors)}}

    @property
    def counselor_names(self) -> frozenset[str]:
        return frozenset(entry.name for entry in self.counselors)

    @property
    def company_names(self) -> frozenset[str]:
        return frozenset(entry.name for entry in self.companies)

    def company(self, name: str) -> Entry | None:
        return next((entry for entry in self.companies if entry.name == name), None)

    def counselor(self, name: str) -> Entry | None:
        return next((entry for entry in self.counselors if entry.name == name), None)

    def suggest_company(self, name: str) -> str | None:
        """The registered company a misspelt or shortened name most likely means."""
        for entry in self.companies:
            if name == entry.get("short"):
                return entry.name
        return _closest(name, [entry.name for entry in self.companies])

    def suggest_counselor(self, name: str) -> str | None:
        return _closest(name, [entry.name for entry in self.counselors])


def short_company_names(registry: Registry) -> dict[str, str]:
    """Full company name -> short name (the full name when none is registered)."""
    return {entry.name: entry.get("short") or entry.name for entry in registry.companies}


def _closest(name: str, candidates: list[str]) -> str | None:
    containing = [candidate for candidate in candidates if name and (name in candidate or candidate in name)]
    if len(containing) == 1:
        return containing[0]
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def load_registry(path: Path) -> Registry:
    """Read the registry; structural problems become REG310 diagnostics against the registry file."""
    text, problems, _bom, _crlf, digest = read_source(path)
    if text is None:
        return Registry(path=path, digest=digest, problems=tuple(
            diagnostic("REG310", path, (problem.line, problem.col), problem.message) for problem in problems))
    fields, parsed, yaml_problems = parse_front_matter(text, path, first_line=1)
    problems = [diagnostic("REG310", path, (problem.line, problem.col), problem.message)
                for problem in yaml_problems]
    lists: dict[str, tuple[Entry, ...]] = {}
    for key in ("counselors", "companies"):
        field_value = fields.get(key)
        if field_value is None or not isinstance(field_value.value, list):
            if parsed:
                problems.append(diagnostic("REG310", path, field_value.key_pos if field_value else (1, 1), _(
                    "the registry needs a list “{key}”").format(key=key)))
            lists[key] = ()
            continue
        entries, seen = [], set()
        for index, item in enumerate(field_value.value):
            position = field_value.items[index]
            if isinstance(item, str):
                item = {"name": item}
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name.strip():
                problems.append(diagnostic("REG310", path, position, _(
                    "entry {number} of “{key}” has no name").format(number=index + 1, key=key)))
                continue
            if name in seen:
                problems.append(diagnostic("REG310", path, position, _(
                    "“{name}” is listed twice in “{key}”").format(name=name, key=key)))
                continue
            seen.add(name)
            details = tuple((str(k), str(v)) for k, v in item.items() if k != "name" and isinstance(v, str))
            entries.append(Entry(name.strip(), position, details))
        lists[key] = tuple(entries)
    return Registry(path=path, counselors=lists["counselors"], companies=lists["companies"],
                    problems=tuple(problems), digest=digest)
