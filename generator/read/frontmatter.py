"""The front-matter schema: which fields exist, their types, and converting raw YAML text into values.

Conversion never guesses: a year is four digits, a date is `YYYY-MM-DD` and must exist, lists are YAML
sequences of text. `convert_field` returns either a value or the problem (code, message, position) so that
rules report it and `to_meta` can build a ReportMeta from whatever is valid.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from generator.core.config import Config
from generator.core.dates import DateError, parse_date
from generator.core.i18n import _, join_list
from generator.core.model import Draft, FieldValue, Position, ReportMeta
from generator.core.textnorm import xml_safe

YEAR = re.compile(r"^\d{4}$")
WHOLE_NUMBER = re.compile(r"^[0-9]+$")
TEXT_FIELDS = ("title", "short_title", "company", "summary")
LIST_FIELDS = ("counselors", "keywords")
INTEGER_FIELDS = ("volume_order",)


@dataclass(frozen=True)
class FieldProblem:
    code: str
    message: str
    position: Position


def _type_name(value: Any) -> str:
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    return _("text")


def _text(field: FieldValue) -> tuple[str | None, FieldProblem | None]:
    if not isinstance(field.value, str):
        return None, FieldProblem("FM107", _("field “{key}” must be text, found {kind}").format(
            key=field.key, kind=_type_name(field.value)), field.value_pos)
    if not field.value.strip():
        return None, FieldProblem("FM116", _("field “{key}” is empty").format(key=field.key), field.value_pos)
    return xml_safe(field.value).strip(), None  # a YAML escape can write NUL (TXT409): printed as a space


def _text_list(field: FieldValue) -> tuple[tuple[str, ...] | None, FieldProblem | None]:
    if not isinstance(field.value, list):
        example = f"{field.key}: [{field.value}]" if isinstance(field.value, str) and field.value else \
            f"{field.key}: [甲, 乙]"
        return None, FieldProblem("FM107", _("field “{key}” must be a list, e.g. {example}").format(
            key=field.key, example=example), field.value_pos)
    values = []
    for index, item in enumerate(field.value):
        position = field.items[index] if index < len(field.items) else field.value_pos
        if not isinstance(item, str):
            return None, FieldProblem("FM107", _("item {number} of “{key}” must be text, found {kind}").format(
                number=index + 1, key=field.key, kind=_type_name(item)), position)
        if not item.strip():
            return None, FieldProblem("FM116", _("item {number} of “{key}” is empty").format(
                number=index + 1, key=field.key), position)
        values.append(xml_safe(item).strip())
    if not values:
        return None, FieldProblem("FM116", _("field “{key}” is an empty list").format(key=field.key),
                                  field.value_pos)
    return tuple(values), None


def _year(field: FieldValue) -> tuple[int | None, FieldProblem | None]:
    if not isinstance(field.value, str) or not YEAR.match(field.value.strip()):
        return None, FieldProblem("FM107", _("field “year” must be a four-digit year such as 2022, found {value!r}")
                                  .format(value=field.value), field.value_pos)
    return int(field.value), None


def _positive_integer(field: FieldValue) -> tuple[int | None, FieldProblem | None]:
    """A whole number of at least 1, written in digits (`volume_order: 3`)."""
    value = field.value.strip() if isinstance(field.value, str) else None
    if value is None or not WHOLE_NUMBER.match(value) or int(value) < 1:
        shown = repr(field.value) if isinstance(field.value, str) else _type_name(field.value)
        return None, FieldProblem("FM107", _("field “{key}” must be a positive whole number such as 1, 2 or 3, "
                                             "found {value}").format(key=field.key, value=shown), field.value_pos)
    return int(value), None


def _date(field: FieldValue) -> tuple[dt.date | None, FieldProblem | None]:
    if field.value is None or (isinstance(field.value, str) and not field.value.strip()):
        return None, FieldProblem("FM116", _("field “{key}” is empty").format(key=field.key), field.value_pos)
    try:
        if not isinstance(field.value, str):
            raise DateError(str(field.value), nonexistent=False)
        return parse_date(field.value), None
    except DateError as error:
        return None, date_problem(field, error)


def date_problem(field: FieldValue, error: DateError) -> FieldProblem:
    """FM109 for a field whose value is not a date (`core.dates.parse_date`)."""
    if error.nonexistent:
        return FieldProblem("FM109", _("date {value} in “{key}” does not exist").format(
            value=field.value.strip(), key=field.key), field.value_pos)
    return FieldProblem("FM109", _("field “{key}” must be a date written YYYY-MM-DD, found {value!r}")
                        .format(key=field.key, value=field.value), field.value_pos)


def _choice(field: FieldValue, allowed: list[str]) -> tuple[str | None, FieldProblem | None]:
    value, problem = _text(field)
    if problem:
        return None, problem
    if value not in allowed:
        return None, FieldProblem("FM108", _("value “{value}” of field “{key}” is not allowed; choose one of: {allowed}").format(
            key=field.key, value=value, allowed=join_list(allowed)), field.value_pos)
    return value, None


def convert_field(field: FieldValue, config: Config) -> tuple[Any, FieldProblem | None]:
    """Convert one known or extra field to its typed value, or report why it cannot be."""
    name = field.key
    if name == "year":
        return _year(field)
    if name == "submitted":
        return _date(field)
    if name == "theme":
        return _choice(field, config.themes)
    if name == "status":
        return _choice(field, config.front_matter.statuses)
    if name in LIST_FIELDS:
        return _text_list(field)
    if name in INTEGER_FIELDS:
        return _positive_integer(field)
    return _text(field)


def to_meta(draft: Draft, config: Config) -> ReportMeta:
    """Typed metadata from the fields that convert cleanly; invalid fields are left empty."""
    values: dict[str, Any] = {}
    extra = []
    for name, field in draft.fields.items():
        value, problem = convert_field(field, config)
        if problem:
            continue
        if name in ReportMeta.__dataclass_fields__ and name != "extra":
            values[name] = value
        elif name in config.front_matter.extra_fields:
            extra.append((name, value))
    return ReportMeta(**values, extra=tuple(extra))
