"""The output directory as a build owns it: its lock, and the one layout of its `.cache/` with the records kept
there (what each report's and volume's last build wrote, the laid-out units and font programs, parsed trees, the
check results), each read back verified (`core/verify.py`).

    <output>/.reportgen.lock                    the build's lock (`OutputLock`)
    <output>/.cache/_check.json                 check results of unchanged drafts (`CheckMemo`)
    <output>/.cache/<year>/<report-id>.json     a report's record: key, outputs (path, size, SHA-256), pages, units,
                                                its unit's key and basis
    <output>/.cache/<year>/_volume.json         the year's volume record
    <output>/.cache/<year>/units/               laid-out units (`UnitCache`), font programs, rendering markers
    <output>/.cache/<year>/trees/               parsed Markdown trees (`read/parse.py`)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.atomic import atomic_write, is_temporary
from generator.core.atomic import lock_holder as file_lock_holder
from generator.core.digest import sha256_bytes, sha256_file
from generator.core.errors import BuildLocked
from generator.core.i18n import _
from generator.core.model import Diagnostic, Document
from generator.core.verify import DIAGNOSTIC, OUTPUT, Each, discard, read_json

if TYPE_CHECKING:  # the renderers and the checker load only where units or check results are used
    from generator.check.context import CheckContext
    from generator.core.config import Config
    from generator.render.assemble import Unit

CACHE = ".cache"
LOCK = ".reportgen.lock"


class OutputLock:
    """An exclusive, non-blocking lock on `<output>/.reportgen.lock` for the whole build."""

    def __init__(self, output: Path):
        self.path = output / LOCK
        self.handle = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "?"
            self.handle.close()
            raise BuildLocked(_("another build (process {pid}) is writing to {path}; try again when it has finished")
                              .format(pid=holder, path=self.path.parent)) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(str(os.getpid()))
        self.handle.flush()
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None and not issubclass(exc_type, Exception):  # Ctrl-C or SIGTERM: workers are gone
            remove_temporaries(self.path.parent)
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def lock_holder(output: Path) -> str | None:
    """The process id of the build holding `output`'s lock ("?" if it wrote none), or None when no build does;
    takes nothing."""
    try:
        return file_lock_holder(output / LOCK)
    except FileNotFoundError:
        return None


def remove_temporaries(directory: Path) -> None:
    """Temporary files of writes that did not finish (a build holding the lock is the only writer): reportgen's
    own only (`is_temporary`, and anything in its `.cache`); another program's `.part.tmp` is not ours."""
    cache = directory / CACHE
    for path in directory.rglob(".*.tmp"):
        if (is_temporary(path) or cache in path.parents) and path.is_file():
            path.unlink(missing_ok=True)


# ---- where things are kept -------------------------------------------------------------------------------


def report_record_path(out: Path, year: str, report_id: str) -> Path:
    return out / CACHE / year / f"{report_id}.json"


def report_record_paths(out: Path) -> list[Path]:
    """The records of every report the output holds (the volumes' records start with “_”)."""
    return sorted(path for path in (out / CACHE).glob("*/*.json") if not path.stem.startswith("_"))


def volume_record_path(out: Path, year: str) -> Path:
    return out / CACHE / year / "_volume.json"


def check_memo_path(out: Path) -> Path:
    return out / CACHE / "_check.json"


def user_check_memo(config: Config, registry_digest: str | None, whole_corpus: bool) -> CheckMemo:
    """`reportgen check`'s memo, one per project in the user cache (a check writes nothing into the project),
    salted as the build's is: the environment (reportgen's code, the configuration, the fonts, the language), the
    registry, and whether the whole corpus is checked."""
    from generator.core.usercache import user_cache_dir

    from .keys import environment_key

    name = sha256_bytes(str(config.root.resolve()).encode())[:16]
    return CheckMemo(user_cache_dir() / "check" / f"{name}.json",
                     f"{environment_key(config)}\0{registry_digest or 'none'}\0{whole_corpus}")


def units_dir(out: Path, year: str) -> Path:
    """Where a year's laid-out units are cached (`render/units.py`)."""
    return out / CACHE / year / "units"


def trees_dir(units: Path | None) -> Path | None:
    """Where the parsed trees of the drafts whose units are in `units` are kept (`parse.markdown_tree`)."""
    return units.parent / "trees" if units is not None else None


def rendering_marker(units: Path, draft: Path) -> Path:
    """A file that exists while a worker renders `draft` (a volume task waits for that report's unit while it
    does). Named like an interrupted write, so that a killed build's markers are removed by the next build."""
    return units / f".rendering-{hashlib.sha256(str(draft).encode()).hexdigest()[:16]}.reportgen-marker.tmp"



# ---- records ---------------------------------------------------------------------------------------------

# A report's cache entry: what its last successful build wrote (also the record of which files it owns), and the
# key of the unit it laid out with what that was made from (`keys.unit_basis`), None when it made no PDF.
REPORT_RECORD = {"key": str, "outputs": Each(OUTPUT), "pages": int, "units": [str], "diagnostics": [DIAGNOSTIC],
                "draft": str, "unit": ({"key": str, "basis": str}, None)}


def read_report_record(path: Path) -> dict | None:
    """A report's cache entry, verified (None if it is missing or not of the expected form)."""
    cached = read_json(path, REPORT_RECORD)
    if cached is None:
        return None
    try:
        cached["diagnostics"] = [Diagnostic.from_json(item) for item in cached["diagnostics"]]
    except (ValueError, TypeError):
        discard(path, "a diagnostic of another form")
        return None
    return cached


def intact(target: Path, entry: dict, seen: object = None) -> bool:
    """Whether `target` is still exactly the file recorded in `entry` (path, size, SHA-256). Given `seen`, the
    file's `file_identity` when the build wrote it, a file that still has it is that file, untouched since
    (no write, rename or copy leaves a file its inode, size, modification and change times): it is not read."""
    if seen is not None and seen == file_identity(target) and seen[0] == entry["bytes"]:
        return True
    return target.is_file() and target.stat().st_size == entry["bytes"] and sha256_file(target) == entry["sha256"]


def file_identity(path: Path) -> list[int] | None:
    """Size, modification and change times (ns) and inode of a file, None if it is not one."""
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino] if path.is_file() else None



VOLUME_RECORD = {"key": str, "units": [str], "record": {"outputs": Each(OUTPUT), "pages": int, "result": str,
                                                       "reports": [{"id": str, "title": str, "start_page": int}]}}


def cached_volume_outputs(out: Path, year: str) -> dict[str, dict]:
    """The outputs the year's last volume build wrote that are still exactly as it wrote them."""
    cached = read_json(volume_record_path(out, year), VOLUME_RECORD)
    return {kind: entry for kind, entry in (cached["record"]["outputs"] if cached else {}).items()
            if (target := out / entry["path"]).parent in (out / year, out / year / "reports") and intact(target, entry)}



# ---- laid-out units --------------------------------------------------------------------------------------

FONT_RECORD = {"descriptor": [int], "key": str, "file": str, "index": int, "fingerprint": str, "postscript": str,
               "glyphs": [int]}
UNIT_RECORD = {"key": str, "anchors": Each(int), "pages": int, "furniture": bool, "sha256": str,
               "diagnostics": [DIAGNOSTIC], "fonts": [FONT_RECORD]}


class UnitCache:
    """Units by content key, in the cache directory. A worker writes a unit as soon as it is laid out (atomically;
    the JSON last), so that a task running beside it can use it at once; the build prunes what no output used."""

    def __init__(self, directory: Path | None, environment: str, *, shadow: Path | None = None):
        self.directory = directory
        self.environment = environment
        self.shadow = shadow  # on a Dask worker: where the build's files lie here (`shadowed`)
        self.used: set[str] = set()

    def key(self, html: str, base_url: Path, roots: tuple[Path, ...]) -> str:
        """The HTML, and the content of every file under `roots` it refers to (a chart replaced under the same
        name changes the key), in this environment. Files elsewhere are never read: the fetcher refuses them.
        Paths are named as the build knows them, wherever this process finds the files (`shadowed`)."""
        name = self._build_name
        digest = hashlib.sha256("\0".join((self.environment, name(str(base_url.resolve())), name(html))).encode())
        from generator.render.units import referenced_files

        for path in referenced_files(html, base_url):
            readable = path.is_file() and any(path.is_relative_to(root.resolve()) for root in roots)
            digest.update(f"\0{name(str(path))}\0{sha256_file(path) if readable else 'not read'}".encode())
        return digest.hexdigest()[:32]

    def _build_name(self, text: str) -> str:
        return text if self.shadow is None else unshadowed(text, self.shadow)

    def get(self, key: str) -> Unit | None:
        unit = self._read(key)
        if unit is not None:
            self.used.add(key)
        return unit

    def _read(self, key: str) -> Unit | None:
        """A unit, verified: its record of the expected form and naming this key, its PDF of the recorded
        SHA-256. Anything else (torn, garbage, of another format, swapped with another unit) is laid out again."""
        if self.directory is None:
            return None
        path = self.directory / f"{key}.json"
        meta = read_json(path, UNIT_RECORD)
        if meta is None:
            return None
        if meta["key"] != key:
            discard(path, "the record of another unit")
            return None
        try:
            data = (self.directory / f"{key}.pdf").read_bytes()
        except OSError:
            discard(path, "its PDF is missing")
            return None
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            discard(path, "its PDF is not the one laid out")
            return None
        from generator.render.assemble import Unit
        from generator.render.fontprograms import PlaceholderFont

        try:
            problems = tuple(Diagnostic.from_json(item) for item in meta["diagnostics"])
            fonts = tuple(PlaceholderFont.from_json(item) for item in meta["fonts"])
        except (ValueError, TypeError):
            discard(path, "not of the expected form")
            return None
        return Unit(data, meta["anchors"], meta["pages"], furniture=meta["furniture"], diagnostics=problems,
                    fonts=fonts)

    def put(self, key: str, unit: Unit) -> None:
        self.used.add(key)
        meta = {"key": key, "anchors": unit.anchors, "pages": unit.pages, "furniture": unit.furniture,
                "sha256": hashlib.sha256(unit.data).hexdigest(),
                "diagnostics": [item.to_json() for item in unit.diagnostics],
                "fonts": [font.to_json() for font in unit.fonts]}
        if self.directory is not None:
            atomic_write(self.directory / f"{key}.pdf", unit.data)
            atomic_write(self.directory / f"{key}.json", json.dumps(meta, sort_keys=True, ensure_ascii=False).encode())

    def get_program(self, key: str) -> bytes | None:
        """A finished font program (`fontprograms.embed_programs`), kept beside the units that used it."""
        if self.directory is None:
            return None
        path = self.directory / f"{key}.font"
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if not data.startswith(key.encode()):
            discard(path, "not the font program it names")
            return None
        self.used.add(key)
        return data[len(key):]

    def put_program(self, key: str, data: bytes) -> None:
        self.used.add(key)
        if self.directory is not None:
            atomic_write(self.directory / f"{key}.font", key.encode() + data)  # its key inside: a swap shows

    def get_segment(self, key: str):
        """A volume's segment (`render/segments.py`) and its bytes, verified: its record naming this key, its bytes
        of the recorded SHA-256."""
        from generator.render.segments import Segment

        if self.directory is None:
            return None
        path = self.directory / f"{key}.segment"
        meta = read_json(path, dict)
        segment = Segment.from_json(meta) if meta is not None else None
        if segment is None or segment.key != key:
            if meta is not None:
                discard(path, "not of the expected form")
            return None
        try:
            data = (self.directory / f"{key}.pdfseg").read_bytes()
        except OSError:
            discard(path, "its bytes are missing")
            return None
        if len(data) != segment.size or hashlib.sha256(data).hexdigest() != segment.sha256:
            discard(path, "its bytes are not the ones written")
            return None
        self.used.add(key)
        return segment, data

    def put_segment(self, key: str, segment, data: bytes) -> None:
        self.used.add(key)
        if self.directory is not None:
            atomic_write(self.directory / f"{key}.pdfseg", data)
            atomic_write(self.directory / f"{key}.segment", json.dumps(segment.to_json(), sort_keys=True).encode())

    def get_word_segment(self, key: str):
        """A report's segment of the Word volume (`render/docx_segments.py`), verified: its record naming this key,
        every member of its CRC."""
        from generator.render.docx_segments import WordSegment

        if self.directory is None:
            return None
        path = self.directory / f"{key}.wordseg"
        try:
            data = path.read_bytes()
        except OSError:
            return None
        segment = WordSegment.from_bytes(data, key)
        if segment is None:
            discard(path, "not the segment it names")
            return None
        self.used.add(key)
        return segment

    def put_word_segment(self, key: str, segment) -> None:
        self.used.add(key)
        if self.directory is not None:
            atomic_write(self.directory / f"{key}.wordseg", segment.to_bytes(key))

    def wait_for(self, key: str, seconds: float, source: Path) -> Unit | None:
        """The unit another task is laying out now from `source`, once it is written; None as soon as that task
        has ended without it (its `rendering_marker` is gone) or after `seconds`."""
        marker = rendering_marker(self.directory, source)
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            unit = self.get(key)
            # A short grace: the other task may have been handed out but not have made its marker yet.
            if unit is not None or (not marker.exists() and time.monotonic() - started > 0.5):
                return unit
            time.sleep(0.02)
        return None



# ---- a Dask worker's copy of the build's files (`distributed.py`) ---------------------------------------------


def shadowed(path: Path, shadow: Path) -> Path:
    """Where a Dask worker keeps the build's file `path` (absolute, links resolved): under its `shadow` directory,
    at the same path, so that every path relative to another (a draft to the project, an image to its draft) is
    as in the build."""
    return shadow / path.relative_to(path.anchor)


def unshadowed(text: str, shadow: Path) -> str:
    """`text` (a path, a `file:` URL, a message, HTML) naming the build's files as the build names them."""
    return text.replace(str(shadow), "")


def cache_files(units: Path) -> dict[str, bytes]:
    """What a task wrote into a year's cache (`units` and its `trees_dir`), for the build to adopt: the laid-out
    units and font programs, the parsed trees (not markers nor unfinished writes)."""
    found = {}
    for directory in (units, trees_dir(units)):
        for path in sorted(directory.glob("*")) if directory.is_dir() else []:
            if path.is_file() and not path.name.startswith("."):
                found[f"{directory.name}/{path.name}"] = path.read_bytes()
    return found


def adopt_cache_files(units: Path, files: dict[str, bytes]) -> None:
    """Keep in this build's cache what a Dask worker wrote into its copy of it (`cache_files`), as a local worker
    would have (a file already there is the same: its name is its content's key)."""
    places = {"units": units, "trees": trees_dir(units)}
    for name, data in sorted(files.items(), key=lambda item: item[0].endswith(".json")):  # a unit's record last
        folder, _, file_name = name.partition("/")
        target = places[folder] / file_name
        if not target.exists():
            atomic_write(target, data)


# ---- check results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckKey:
    """A draft's key in the `CheckMemo`, with what it was made of: the digest of the text, and the images the text
    references (the same text references the same files: a draft unchanged since is not searched for them again)."""

    value: str
    text: str
    assets: tuple[str, ...]


class CheckMemo:
    """The diagnostics of drafts checked before, reused while nothing they depend on changed: the draft's bytes,
    the images it references, and `salt` (the rendering environment, which covers reportgen's code, the
    configuration and the language, plus the registry). Kept in one JSON file: the build's in the output's cache,
    `check`'s in the user cache (`user_check_memo`)."""

    def __init__(self, path: Path, salt: str):
        self.path, self.salt = path, salt
        self.entries = read_json(path, Each({"key": str, "salt": str, "text": str, "assets": [str],
                                             "diagnostics": [DIAGNOSTIC]})) or {}
        self.seen: dict[str, dict] = {}
        self.salted = sha256_bytes(salt.encode())[:16]  # kept in each entry: which entries this run may take

    def held(self, paths: list[Path]) -> int:
        """How many of `paths` have an entry made under this salt (likely taken, unless the draft changed)."""
        return sum(1 for path in paths if (entry := self.entries.get(str(path))) and entry["salt"] == self.salted)

    def key(self, doc: Document, ctx: CheckContext) -> CheckKey:
        """The draft's key: its text, and every file its images name — there or not, so that an image added
        since (or removed) is checked again — with their contents, under the salt."""
        from generator.check.rules.assets import named_files

        from .keys import report_key

        text = sha256_bytes(doc.draft.text.encode())  # the text this check read, not the file as it may be now
        entry = self.entries.get(str(doc.path))
        assets = tuple(entry["assets"]) if entry and entry["text"] == text else \
            tuple(str(path) for path in named_files(doc, ctx))
        return CheckKey(report_key(text, [Path(path) for path in assets], self.salt, ()), text, assets)

    def assets(self, doc: Document) -> list[Path] | None:
        """The image files a draft checked in this run references (`asset_files`), from its entry; None if it
        has none for this text."""
        entry = self.seen.get(str(doc.path))
        if entry is None or entry["text"] != sha256_bytes(doc.draft.text.encode()):
            return None
        return [Path(path) for path in entry["assets"] if Path(path).is_file()]

    def get(self, doc: Document, key: CheckKey) -> list[Diagnostic] | None:
        entry = self.entries.get(str(doc.path))
        if not entry or entry["key"] != key.value:
            return None
        try:
            return [Diagnostic.from_json(item) for item in entry["diagnostics"]]
        except (ValueError, TypeError):
            discard(f"{self.path}: {doc.path}", "a diagnostic of another form")
            return None

    def put(self, doc: Document, key: CheckKey, found: list[Diagnostic]) -> None:
        entry = self.entries.get(str(doc.path))
        if entry and entry["key"] == key.value:  # taken from the memo: kept as it was
            self.seen[str(doc.path)] = entry
            return
        self.seen[str(doc.path)] = {"key": key.value, "salt": self.salted, "text": key.text,
                                    "assets": list(key.assets), "diagnostics": [item.to_json() for item in found]}

    def save(self) -> None:
        """Keep the entries of the drafts checked in this run (others are gone or were not asked for); nothing is
        written when they are the entries read."""
        if self.seen != self.entries:
            atomic_write(self.path, json.dumps(self.seen, ensure_ascii=False, sort_keys=True).encode())


