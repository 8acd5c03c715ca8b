"""A draft as the workspace sees it: its file (read and written through the library API), its revisions in the
database, its diagnostics. Views get drafts only from `open_draft`, which resolves the id inside the year's
directory and asks `permissions.require` — so no URL reaches a file without both."""

from __future__ import annotations

import fcntl
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import Http404

import generator

from . import permissions
from .models import Event, Report, Revision

REPORT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")   # the ids `reportgen new` accepts, bounded
YEAR = re.compile(r"(19|20|21)[0-9]{2}\Z")

_registry_lock = threading.Lock()
_registry_cache: dict = {}
_counts_cache: dict[tuple[str, str], tuple[int, int]] = {}


def config():
    return settings.CONFIG


def registry():
    """The registry, read again when its file changes."""
    path = config().registry_path
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    with _registry_lock:
        if _registry_cache.get("stamp") != stamp or "registry" not in _registry_cache:
            _registry_cache.update(stamp=stamp, registry=generator.load_registry(path))
        return _registry_cache["registry"]


def draft_path(year: int | str, report_id: str) -> Path:
    """`<sources>/<year>/<id>.md`, or 404 for an id or year that is not one (nothing can name a file elsewhere)."""
    if not YEAR.match(str(year)) or not REPORT_ID.match(report_id):
        raise Http404("no such report")
    sources = config().sources_dir.resolve()
    path = sources / str(year) / f"{report_id}.md"
    if path.resolve().parent != sources / str(year):   # a symlinked year directory or draft pointing away
        raise Http404("no such report")
    return path


@dataclass
class DraftFile:
    year: int
    report_id: str
    path: Path
    text: str | None
    content_hash: str | None

    @cached_property
    def document(self):
        return generator.parse_text(self.text or "", path=self.path, config=config())

    @property
    def meta(self):
        return self.document.meta

    @property
    def counselors(self) -> tuple[str, ...]:
        return tuple(self.meta.counselors or ()) if self.text is not None else ()

    @property
    def status(self) -> str:
        return self.meta.status or ""

    def diagnostics(self):
        return check(self.text or "", self.path)

    def counts(self) -> tuple[int, int]:
        """(errors, warnings), remembered per content hash."""
        key = (str(self.path), self.content_hash or "")
        if key not in _counts_cache:
            if len(_counts_cache) > 5000:   # old versions' counts: dropped all at once now and then
                _counts_cache.clear()
            found = self.diagnostics()
            _counts_cache[key] = (sum(item.severity == generator.Severity.ERROR for item in found),
                                  sum(item.severity == generator.Severity.WARNING for item in found))
        return _counts_cache[key]


def read(year: int | str, report_id: str) -> DraftFile:
    path = draft_path(year, report_id)
    text, content_hash = generator.read_text(path, config()) if path.exists() else (None, None)
    return DraftFile(int(year), report_id, path, text, content_hash)


def open_draft(user, year, report_id: str, action: str) -> DraftFile:
    """The draft for `action` by `user`: 404 if there is none, 403 if it is not theirs to `action`."""
    draft = read(year, report_id)
    if draft.text is None:
        raise Http404("no such report")
    permissions.require(user, action, draft.counselors)
    return draft


def all_drafts() -> list[DraftFile]:
    found = []
    for path in generator.list_drafts(config()):
        if YEAR.match(path.parent.name) and REPORT_ID.match(path.stem):
            text, content_hash = generator.read_text(path, config())
            found.append(DraftFile(int(path.parent.name), path.stem, path, text, content_hash))
    return found


def check(text: str, path: Path):
    return generator.check_text(text, path=path, config=config(), registry=registry())


def report_row(draft: DraftFile) -> Report:
    return Report.objects.get_or_create(year=draft.year, report_id=draft.report_id)[0]


def latest_revision(draft: DraftFile) -> Revision | None:
    """The newest revision, after recording the file as it is if it changed outside the workspace."""
    report = report_row(draft)
    latest = report.revisions.first()
    if draft.text is not None and (latest is None or latest.content_hash != draft.content_hash):
        latest = Revision.objects.create(report=report, parent=latest, author=None, kind=Revision.Kind.EXTERNAL,
                                         content_hash=draft.content_hash or generator.text_hash(draft.text),
                                         text=draft.text)
        Event.objects.create(report=report, actor=None, kind=Event.Kind.EXTERNAL, revision=latest)
    return latest


_held = threading.local()


@contextmanager
def recording(year: int, report_id: str):
    """Hold report `year`/`report_id`'s recording lock: a change writes the file and commits its records inside
    it (`save`; `workflow` holds it around its own transaction), so that whoever takes it next finds the file
    and the records agreeing — a refused writer's message names the change that beat it. A file lock under the
    state directory (the server's workers are processes); reentrant within a thread."""
    held = getattr(_held, "locks", None)
    if held is None:
        held = _held.locks = {}
    key = (int(year), report_id)
    if key in held:
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    folder = Path(settings.STATE_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{int(year)}-{report_id}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        held[key] = 1
        try:
            yield
        finally:
            del held[key]
            fcntl.flock(lock, fcntl.LOCK_UN)


def save(draft: DraftFile, text: str, *, user, expected: str | None, kind: str) -> Revision:
    """Write `text` to the draft's file if it is still at `expected` (`generator.DraftChanged` otherwise), and
    record the revision, under the report's recording lock. The file is written first: a revision always
    describes a file that existed."""
    with recording(draft.year, draft.report_id), transaction.atomic():
        report = report_row(draft)
        parent = report.revisions.first()
        if parent is None and draft.text is not None:
            parent = latest_revision(draft)
        content_hash = generator.write_draft(draft.path, text, expected=expected)
        revision = Revision.objects.create(report=report, parent=parent, author=user, kind=kind,
                                           content_hash=content_hash, text=text)
        if kind in SAVE_EVENTS:   # a status change's event is its transition's (workflow.change_status)
            Event.objects.create(report=report, actor=user, kind=SAVE_EVENTS[kind], revision=revision)
        return revision


SAVE_EVENTS = {Revision.Kind.CREATED: Event.Kind.CREATED, Revision.Kind.UPLOADED: Event.Kind.UPLOADED,
               Revision.Kind.SAVED: Event.Kind.SAVED, Revision.Kind.RESTORED: Event.Kind.RESTORED}


def utf16_offset(text: str, index: int) -> int:
    """The browser's offset (UTF-16 code units) of character `index` of `text`."""
    return len(text[:index].encode("utf-16-le")) // 2


def diagnostics_json(text: str, diagnostics) -> list[dict]:
    """Diagnostics as the editor shows them: line and column as `check` prints them, and offsets into the
    editor's document for the marker and for each fix's edits."""
    starts = [0]
    for index, character in enumerate(text):
        if character == "\n":
            starts.append(index + 1)
    items = []
    for item in diagnostics:
        line = min(max(item.line, 1), len(starts))
        line_end = text.find("\n", starts[line - 1])
        line_end = len(text) if line_end < 0 else line_end
        start = min(starts[line - 1] + max(item.col, 1) - 1, line_end)
        end = min(start + 1, line_end) if start < line_end else start
        items.append({
            "line": item.line, "col": item.col, "code": item.code, "name": item.name,
            "severity": item.severity.label, "message": item.message,
            "from": utf16_offset(text, start), "to": utf16_offset(text, end),
            "fix": [{"from": utf16_offset(text, edit.start), "to": utf16_offset(text, edit.end),
                     "insert": edit.replacement} for edit in item.fix],
        })
    return items
