"""The build journal: a build that finds nothing changed since the last one replays its result.

A successful whole-corpus build records, in the user cache, the state of the files it depends on: size,
modification and change times and inode of everything under the sources, the templates, reportgen's own code
and fontconfig's directories, of the configuration and registry files, of the font files the configuration
names, of Python and its package directories; with the command line, the working directory and the environment.
That state is taken once the build holds the output lock and before it reads anything, and compared again when
it has written everything: a draft saved while the build ran means no journal. The state of the output
directory, as the build left it, is recorded beside it.

The next build with the same command line takes the output lock and compares both first: a few hundred stats,
a few milliseconds. If not one differs, it would read exactly what the last build read and find every output
as that build left it, so it would render nothing and reuse everything: the journal writes the manifest as such
a build writes it (every result "reused", `build._manifest`) and the command prints the same summary, without
loading the configuration, the checker or the renderers.

Anything that differs, however harmless (a draft saved without a change, a template touched, a variable added to
the environment), sends the build down its normal path, which compares contents by their hashes and records a
new journal. A build that failed records none, so its problems are always reported by a real build. A journal
that cannot be read or written is simply not used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.atomic import atomic_write
from generator.core.digest import code_paths
from generator.core.i18n import _, current_language, set_language
from generator.core.usercache import recall_json, remember, user_cache_dir
from generator.core.verify import discard

from .store import OutputLock

if TYPE_CHECKING:
    from generator.core.config import Config

log = logging.getLogger(__name__)
VERSION = 2
# Variables that differ between two shells and change nothing a build does.
VOLATILE_ENVIRONMENT = ("_", "OLDPWD", "PWD", "SHLVL")
# Where fontconfig is configured, finds fonts and caches them: installing or removing a font changes them.
FONTCONFIG = ("/etc/fonts", "/var/cache/fontconfig", "/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts",
              "~/.local/share/fonts", "~/.config/fontconfig", "~/.cache/fontconfig")


SCHEMA = {"version": int, "inputs": {"trees": [str], "files": [str]}, "state": str, "manifest": str, "lock": str,
          "outputs": str, "manifest_sha256": str, "language": str}


def _journal_name(argv: list[str], config_path: Path | None) -> str:
    key = json.dumps([argv, os.getcwd(), str(config_path)])
    return f"journal/{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _stat(path: str) -> list:
    try:
        info = os.stat(path)
    except OSError:
        return [path, "missing"]
    return [path, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _tree(root: str, skipped: set[str]) -> list:
    """The state of every file under `root` and the names in every directory (symbolic links followed, once
    each), but not a directory's own times, which writing the manifest beside the outputs changes."""
    found: list = []
    seen: set[tuple[int, int]] = set()
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            info = os.stat(directory)
            if (info.st_dev, info.st_ino) in seen:
                found.append([directory, "seen"])
                continue
            seen.add((info.st_dev, info.st_ino))
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            found.append([directory, "unreadable"])
            continue
        for entry in entries:
            if entry.name == "__pycache__" or entry.path in skipped:
                continue
            try:
                is_directory = entry.is_dir()
            except OSError:  # a link loop: stated as what it is (a link that leads nowhere)
                is_directory = False
            if is_directory:
                found.append([entry.path, "directory"])
                pending.append(entry.path)
            else:
                found.append(_stat(entry.path))
    return found


def _digest(value) -> str:
    # ASCII escapes: a file name that is not UTF-8 arrives with surrogates, which must still be hashed.
    return hashlib.sha256(json.dumps(value, ensure_ascii=True).encode("ascii")).hexdigest()


def inputs(config: Config) -> dict:
    """What a build depends on, to be stated by `state` (taken from the configuration, which a replay does not
    load: the journal keeps the lists)."""
    from .keys import dependencies

    depends = dependencies(config)  # what the keys hash, stated here by size and times; and what a build reads
    fonts = {str(face.path) for _role, _family, face in depends.fonts if face is not None}
    python = [entry for entry in sys.path if entry and os.path.isdir(entry)]
    files = [str(path) for path in (depends.configuration, depends.registry, *depends.brand_files) if path is not None]
    code = code_paths()
    trees = sorted({str(path.resolve()) for path in (config.sources_dir, depends.templates,
                                                     *(path for path in code if path.is_dir()))})
    files += [str(path) for path in code if not path.is_dir()]
    trees += [os.path.expanduser(path) for path in FONTCONFIG]
    return {"trees": trees, "files": files + [sys.executable, *python, *sorted(fonts)]}


def state(listed: dict) -> str:
    """The digest of everything in `listed` (from `inputs`) as it is now, with the environment."""
    environment = {name: value for name, value in os.environ.items() if name not in VOLATILE_ENVIRONMENT}
    return _digest([VERSION, sys.version, os.getuid(), environment, [_tree(root, set()) for root in listed["trees"]],
                    [_stat(path) for path in listed["files"]]])


def _keep(name: str, journal: dict) -> None:
    remember(name, json.dumps(journal, ensure_ascii=True).encode("ascii"))


def _outputs(out: Path, manifest: Path, lock: Path) -> str:
    return _digest(_tree(str(out), {str(manifest), str(lock)}))


def record(argv: list[str], config: Config, manifest: Path, lock: Path, *, exit_status: int, listed: dict,
           before: str) -> None:
    """At the end of a whole-corpus build, still holding the output lock: keep what the next identical build may
    replay, if this one succeeded and nothing it depends on changed while it ran (`before`, from `state`)."""
    name = _journal_name(argv, config.path)
    try:
        if exit_status != 0 or state(listed) != before:
            (user_cache_dir() / name).unlink(missing_ok=True)
            return
        journal = {"version": VERSION, "inputs": listed, "state": before, "manifest": str(manifest),
                   "lock": str(lock), "outputs": _outputs(manifest.parent, manifest, lock),
                   "manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(), "language": current_language()}
        _keep(name, journal)
    except Exception:  # noqa: BLE001 - a journal is an optimisation: never the reason a build fails
        log.debug("build journal not recorded", exc_info=True)


def replay(argv: list[str], config_path: Path | None, progress) -> tuple[Path, dict] | None:
    """If nothing changed since the journal's build: write the manifest of a build that reused everything and
    return its path and content; None, for the build to run, if anything did or there is no journal."""
    from generator.core.project import find_config

    started = time.monotonic()
    try:
        name = _journal_name(argv, config_path.resolve() if config_path else find_config(Path.cwd()))
    except Exception:  # noqa: BLE001 - no usable journal: build
        return None
    # Verified: an entry that is not the journal this name keeps (damaged, edited, copied from another command's)
    # is discarded, and so is one of another form.
    journal = recall_json(name, SCHEMA)
    if not journal or journal["version"] != VERSION:
        return None
    manifest_path, lock = Path(journal["manifest"]), Path(journal["lock"])
    if not manifest_path.is_absolute() or lock.parent != manifest_path.parent or not manifest_path.parent.is_dir():
        discard(user_cache_dir() / name, "its output directory is not one")
        return None
    with ExitStack() as stack:
        try:
            stack.enter_context(OutputLock(manifest_path.parent))  # as a build would: refused while one runs
        except OSError as error:
            discard(user_cache_dir() / name, f"its output directory cannot be locked: {error}")
            return None
        try:
            data = manifest_path.read_bytes()
            if (hashlib.sha256(data).hexdigest() != journal["manifest_sha256"]
                    or journal["state"] != state(journal["inputs"])
                    or journal["outputs"] != _outputs(manifest_path.parent, manifest_path, lock)):
                return None
            manifest = reused(json.loads(data))
        except Exception:  # noqa: BLE001 - anything unexpected: build
            log.debug("build journal not used", exc_info=True)
            return None
        set_language(journal["language"])
        progress.start(len(manifest["volumes"]), _("Building"))
        for volume in manifest["volumes"]:
            progress.advance(_("volume {year} unchanged").format(year=volume["year"]))
        progress.finish()
        manifest["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        manifest["duration_seconds"] = round(time.monotonic() - started, 3)
        data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        atomic_write(manifest_path, data)
        journal["manifest_sha256"] = hashlib.sha256(data).hexdigest()
        _keep(name, journal)
    return manifest_path, manifest


def reused(manifest: dict) -> dict:
    """A build's manifest as the next build writes it when it reuses everything: what was built is reused."""
    for entry in manifest["reports"] + manifest["volumes"]:
        if entry["result"] == "built":
            entry.update(result="reused", rebuilt=False)
    return manifest
