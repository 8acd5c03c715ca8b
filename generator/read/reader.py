"""Reading drafts: the only module that reads draft sources from disk.

`read_draft` splits a draft into YAML front matter and Markdown body and keeps the line and column of every
front-matter key and value. YAML is composed with PyYAML's BaseLoader, so no scalar is ever coerced
(`no`, `01234`, `1:30`, `1.10` stay text); types are converted later against the field schema.
Anchors, aliases and tags are rejected before composing, which also makes alias bombs harmless.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

import yaml

from generator.core.diagnostics import diagnostic
from generator.core.i18n import _, describe_os_error
from generator.core.model import Diagnostic, Draft, FieldValue, Position

FENCE = re.compile(r"^---[ \t]*$")
CLOSING_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")
MAX_NESTING = 20
EVENT_MARKS = ("&", "*", "!", "---")
# libyaml's loader when PyYAML was built with it: the same events and marks, ~13x faster.
LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def _position(mark: yaml.Mark, first_line: int) -> Position:
    return Position(mark.line + first_line, mark.column + 1)


def read_source(path: Path, *, max_bytes: int = 2_000_000, within: Path | None = None
                ) -> tuple[str | None, list[Diagnostic], bool, bool, str]:
    """Read and decode a file once: (text with LF line endings, problems, had a BOM, had CRLF, SHA-256 of the
    bytes read). Everything made from a source is made from this text, and the digest names exactly those
    bytes: the file is never read again, so an edit saved meanwhile is only seen by the next run.

    Only a regular file is read (a device such as /dev/zero, a FIFO or a socket is refused before a byte is
    read: it opens without blocking and is looked at through the open descriptor), and never more than
    `max_bytes` (whatever its size said). With `within`, a file in that directory whose real path (links
    followed) lies outside it is refused unread (a file named outside the project is read as named)."""

    def refused(message: str) -> tuple[None, list[Diagnostic], bool, bool, str]:
        return None, [diagnostic("FM118", path, (1, 1), message)], False, False, ""

    try:
        real = Path(os.path.realpath(path))  # (a link loop resolves to somewhere: opening it says ELOOP)
        if (within is not None and path.absolute().is_relative_to(within.absolute())
                and not real.is_relative_to(os.path.realpath(within))):  # a link out of the project
            return refused(_("the file is a link to {target}, outside the project; only files of the project are "
                             "read").format(target=real))
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(descriptor, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                return refused(_("not a regular file (a device, a pipe or a socket); only files are read"))
            if status.st_size > max_bytes:
                return refused(_("file is {size} bytes, more than the limit of {limit} bytes").format(
                    size=status.st_size, limit=max_bytes))
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:  # it grew while being read
            return refused(_("file is {size} bytes, more than the limit of {limit} bytes").format(
                size=len(raw), limit=max_bytes))
    except OSError as error:
        return refused(_("cannot read file: {error}").format(error=describe_os_error(error)))
    digest = hashlib.sha256(raw).hexdigest()
    has_bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return None, [diagnostic("FM118", path, (line, col), _(
            "file is not valid UTF-8 (byte 0x{byte:02X}); save it as UTF-8").format(byte=raw[error.start]))], \
            has_bom, False, digest
    had_crlf = "\r" in text
    if had_crlf:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, [], has_bom, had_crlf, digest


def read_draft(path: Path, *, max_bytes: int = 2_000_000, within: Path | None = None) -> Draft:
    """Read one draft (with `within`, only if it lies in that directory: see `read_source`); problems with the
    file or its front matter become diagnostics on the Draft."""
    path = Path(path)
    text, problems, has_bom, had_crlf, digest = read_source(path, max_bytes=max_bytes, within=within)
    return draft_from_text(path, text, problems=problems, has_bom=has_bom, had_crlf=had_crlf, digest=digest)


def draft_from_text(path: Path, text: str | None, *, problems: list[Diagnostic] | None = None,
                    has_bom: bool = False, had_crlf: bool = False, digest: str = "") -> Draft:
    """Split already-decoded text (LF line endings) into front matter and body."""
    problems = list(problems or [])
    common = dict(path=path, report_id=path.stem, year_dir=path.parent.name, has_bom=has_bom, had_crlf=had_crlf,
                  digest=digest)
    if text is None:
        return Draft(text="", fields={}, body="", body_line=1, read_problems=tuple(problems),
                     front_matter_parsed=False, **common)
    lines = text.split("\n")
    if not lines or not FENCE.match(lines[0]):
        problems.append(diagnostic("FM101", path, (1, 1), _(
            "the draft does not start with front matter: the first line must be “---”")))
        return Draft(text=text, fields={}, body=text, body_line=1, read_problems=tuple(problems),
                     front_matter_parsed=False, **common)
    closing = next((index for index in range(1, len(lines)) if CLOSING_FENCE.match(lines[index])), None)
    if closing is None:
        problems.append(diagnostic("FM102", path, (1, 1), _(
            "front matter is not closed: add a line “---” after the last field")))
        # Best guess at where the body starts, so YAML lines are not checked as prose.
        start = next((index for index in range(1, len(lines)) if not lines[index].strip()
                      or lines[index].startswith("#")), len(lines))
        return Draft(text=text, fields={}, body="\n".join(lines[start:]), body_line=start + 1,
                     read_problems=tuple(problems), front_matter_parsed=False, **common)
    yaml_text = "\n".join(lines[1:closing]) + "\n"
    fields, parsed, yaml_problems = parse_front_matter(yaml_text, path, first_line=2)
    problems.extend(yaml_problems)
    return Draft(text=text, fields=fields, body="\n".join(lines[closing + 1:]), body_line=closing + 2,
                 read_problems=tuple(problems), front_matter_parsed=parsed, **common)


def parse_front_matter(yaml_text: str, path: Path, *, first_line: int
                       ) -> tuple[dict[str, FieldValue], bool, list[Diagnostic]]:
    """Compose YAML text into positioned top-level fields: (fields, parsed, problems)."""
    problems: list[Diagnostic] = []
    for number, line in enumerate(yaml_text.split("\n"), start=first_line):
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent]:
            problems.append(diagnostic("FM113", path, (number, line.index("\t") + 1), _(
                "tab character in indentation; YAML indents with spaces only")))
    # What the events can show needs one of these: anchors and aliases (& *), tags (!), a second document (---).
    # Without them the events are not read (most drafts): composing meets any syntax error as reading them would.
    events = yaml.parse(yaml_text, Loader=LOADER) if any(mark in yaml_text for mark in EVENT_MARKS) else ()
    try:
        for event in events:
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                problems.append(diagnostic("FM111", path, _position(event.start_mark, first_line), _(
                    "YAML anchors and aliases (&name, *name) are not allowed in front matter")))
            tag = getattr(event, "tag", None)
            if tag and tag != "!" and not isinstance(event, (yaml.DocumentStartEvent, yaml.StreamStartEvent)):
                problems.append(diagnostic("FM112", path, _position(event.start_mark, first_line), _(
                    "YAML tag {tag} is not allowed in front matter").format(tag=tag)))
            if isinstance(event, yaml.DocumentStartEvent) and event.explicit and event.start_mark.line > 0:
                problems.append(diagnostic("FM103", path, _position(event.start_mark, first_line), _(
                    "front matter holds more than one YAML document")))
        if any(problem.code in ("FM111", "FM112", "FM103") for problem in problems):
            return {}, False, problems
        root = yaml.compose(yaml_text, Loader=LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = _position(mark, first_line) if mark else Position(first_line, 1)
        detail = " ".join(part for part in (error.context, error.problem) if part)
        problems.append(diagnostic("FM103", path, position, _("YAML syntax error: {detail}").format(detail=detail)))
        return {}, False, problems
    except yaml.YAMLError as error:
        problems.append(diagnostic("FM103", path, (first_line, 1), _("YAML syntax error: {detail}").format(
            detail=error)))
        return {}, False, problems
    if root is None:
        return {}, True, problems
    if not isinstance(root, yaml.MappingNode):
        problems.append(diagnostic("FM104", path, _position(root.start_mark, first_line), _(
            "front matter must be a mapping of fields (key: value)")))
        return {}, False, problems
    fields: dict[str, FieldValue] = {}
    for key_node, value_node in root.value:
        key_pos = _position(key_node.start_mark, first_line)
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(diagnostic("FM104", path, key_pos, _("a field name must be plain text")))
            continue
        key = key_node.value
        if key in fields:
            problems.append(diagnostic("FM110", path, key_pos, _(
                "field “{key}” appears twice (first on line {line}); keep one").format(
                key=key, line=fields[key].key_pos.line)))
            continue
        items = ()
        if isinstance(value_node, yaml.SequenceNode):
            items = tuple(_position(item.start_mark, first_line) for item in value_node.value)
        fields[key] = FieldValue(key=key, value=_plain(value_node), key_pos=key_pos,
                                 value_pos=_position(value_node.start_mark, first_line), items=items)
    return fields, True, problems


def _plain(node: yaml.Node, depth: int = 0):
    """Node to plain data without type resolution: str, list or dict."""
    if depth > MAX_NESTING:
        return None
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, depth + 1) for item in node.value]
    return {str(_plain(key, depth + 1)): _plain(value, depth + 1) for key, value in node.value}
