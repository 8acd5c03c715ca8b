"""What a year's volume holds and in which order: the reports grouped by theme, the overview's numbers (computed
from the drafts), and the pinyin order of the indexes. Read by both volume renderers and by the library API."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from generator.core.config import Config
from generator.core.model import Document
from generator.core.usercache import Memo


def _lazy_pinyin(text: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text)


def _pinyin_memo_name() -> str:
    from importlib.metadata import version

    return f"pinyin-{version('pypinyin')}.json"


# pypinyin's dictionaries take 56 MB and 0.3 s to load, for a few dozen names a year
_PINYIN = Memo(_pinyin_memo_name, _lazy_pinyin, [str])


def pinyin_key(text: str) -> tuple:
    """Sort key by pinyin (readings remembered in the user cache: pypinyin loads only for a name not seen)."""
    return (tuple(_PINYIN(text)), text)


@dataclass
class Overview:
    counselors: int
    companies: int
    reports: int
    per_theme: list[tuple[str, int, list[str]]]
    matrix_themes: list[str]
    matrix: list[tuple[str, list[int]]]


def overview(config: Config, docs: list[Document], short_names: dict[str, str]) -> Overview:
    """Every number of the overview, computed from the drafts in the volume."""
    themes = [theme for theme in config.ordered_themes if any(doc.meta.theme == theme for doc in docs)]
    per_theme = []
    for theme in themes:
        members = [doc for doc in docs if doc.meta.theme == theme]
        companies = sorted({doc.meta.company for doc in members}, key=pinyin_key)
        per_theme.append((theme, len(members), [short_names.get(name, name) for name in companies]))
    companies = sorted({doc.meta.company for doc in docs}, key=pinyin_key)
    counts = Counter((doc.meta.company, doc.meta.theme) for doc in docs)
    matrix = [(short_names.get(company, company), [counts[(company, theme)] for theme in themes])
              for company in companies]
    return Overview(counselors=len({name for doc in docs for name in doc.meta.counselors}),
                    companies=len(companies), reports=len(docs), per_theme=per_theme,
                    matrix_themes=themes, matrix=matrix)


def volume_position(doc: Document) -> tuple:
    """Where a report stands within its theme: by `volume_order` (the reviewers' choice) first, the reports
    without one after those with one, then by submission date, then by id."""
    order = doc.meta.volume_order
    return (order is None, order or 0, doc.meta.submitted or dt.date.max, doc.report_id)


def theme_groups(config: Config, docs: list[Document]) -> list[tuple[str, list[Document]]]:
    """The volume's reports by theme (in the configured order), each theme's in `volume_position` order."""
    groups = []
    for theme in config.ordered_themes:
        members = sorted((doc for doc in docs if doc.meta.theme == theme), key=volume_position)
        if members:
            groups.append((theme, members))
    return groups


