"""Everything a build keeps (its cache, the unit cache, the tree store, the user cache's memos, the journal) is
verified before it is used: a file that was truncated, replaced by garbage, of another type or swapped with
another entry is discarded with a `-v` log line and made again. JSON entries are checked against a schema:
a type (`str`, `int` …), `[item]` (a list of items), `{"key": schema}` (an object with at least these keys),
`Each(schema)` (an object of any keys with values of the schema), or a tuple of alternatives.

This module imports nothing heavy: the message catalog and the journal use it before anything is loaded.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)


class Each:
    """An object of any keys whose values all have the shape `schema`."""

    def __init__(self, schema):
        self.schema = schema


DIAGNOSTIC = {"path": str, "line": int, "col": int, "code": str, "name": str, "severity": int, "message": str,
              "fix": [list]}
OUTPUT = {"path": str, "sha256": str, "bytes": int}


def conforms(value, schema) -> bool:
    """Whether JSON `value` has the shape `schema` describes (see above)."""
    if isinstance(schema, tuple):
        return any(conforms(value, alternative) for alternative in schema)
    if isinstance(schema, type):
        if schema is int or schema is float:
            return isinstance(value, (int, float) if schema is float else int) and not isinstance(value, bool)
        return isinstance(value, schema)
    if isinstance(schema, list):
        return isinstance(value, list) and all(conforms(item, schema[0]) for item in value)
    if isinstance(schema, Each):
        return isinstance(value, dict) and all(conforms(item, schema.schema) for item in value.values())
    if schema is None:
        return value is None
    return isinstance(value, dict) and all(key in value and conforms(value[key], part) for key, part in schema.items())


def discard(what: object, reason: str) -> None:
    """Say (with `-v`) that a kept entry was found unusable and is made again."""
    log.info("discarding %s (%s): it is made again", what, reason)


def read_json(path: Path, schema, *, missing_ok: bool = True):
    """A JSON file kept by a build, if it has the shape `schema`; otherwise None (and, unless it is simply
    absent, a `-v` line)."""
    try:
        value = json.loads(path.read_bytes())
    except FileNotFoundError:
        if not missing_ok:
            discard(path, "missing")
        return None
    except (OSError, ValueError) as error:
        discard(path, f"unreadable: {type(error).__name__}")
        return None
    if not conforms(value, schema):
        discard(path, "not of the expected form")
        return None
    return value
