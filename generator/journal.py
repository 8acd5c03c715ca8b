"""The build journal: a build that finds nothing changed since the last one replays its result.

A successful whole-corpus build records, in the user cache, the state of every file the build reads or writes:
size, modification and change times and inode of everything under the sources, the templates and the output
directory, of the configuration and registry files, of reportgen's own code, of the font files the configuration
names and fontconfig's directories, and of Python and its package directories; with the command line, the
working directory and the environment. The next build with the same command line compares them first: about
400 stats, a few milliseconds. If not one differs, nothing it would read is different, so it would render nothing
and reuse every output: the journal writes the manifest as such a build writes it (every result "reused") and the
command prints the same summary, without loading the configuration, the checker or the renderers.

Anything that differs, however harmless (a draft saved without a change, a template touched, a variable added to
the environment), sends the build down its normal path, which compares contents by their hashes and records a
new journal. A build that failed records none, so its problems are always reported by a real build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import OutputLock, atomic_write
from .i18n import _, current_language, set_language
from .usercache import remember_json, user_cache_dir

if TYPE_CHECKING:
    from .config import Config

VERSION = 1
MANIFEST = "manifest.json"
PACKAGE = Path(__file__).parent
# Variables that differ between two shells and change nothing a build does.
VOLATILE_ENVIRONMENT = ("_", "OLDPWD", "PWD", "SHLVL")
# Where fontconfig finds and caches fonts: installing or removing a font changes one of them.
FONTCONFIG_DIRECTORIES = ("/etc/fonts", "/etc/fonts/conf.d", "/var/cache/fontconfig", "/usr/share/fonts",
                          "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts", "~/.cache/fontconfig")


def _journal_name(argv: list[str], config_path: Path | None) -> str:
    key = json.dumps([argv, os.getcwd(), str(config_path)], ensure_ascii=False)
    return f"journal/{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _stat(path: Path | str) -> tuple:
    try:
        info = os.stat(path)
    except OSError:
        return (str(path), "missing")
    return (str(path), info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def _tree(root: str, skipped: set[str]) -> list[tuple]:
    """The state of every file under `root` (symbolic links followed, but not into directories), and the names
    in every directory: not a directory's times, which writing the manifest beside the outputs changes."""
    found = []
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            found.append((directory, "unreadable"))
            continue
        for entry in entries:
            if entry.name == "__pycache__" or entry.path in skipped:
                continue
            if entry.is_dir(follow_symlinks=False):
                found.append((entry.path, "directory"))
                pending.append(entry.path)
            else:
                found.append(_stat(entry.path))
    return found


def _state(inputs: dict) -> str:
    """A digest of everything the build depends on, as it is now."""
    environment = {name: value for name, value in os.environ.items() if name not in VOLATILE_ENVIRONMENT}
    skipped = set(inputs["skipped"])
    state = [VERSION, sys.version, os.getuid(), environment,
             [_tree(root, skipped) for root in inputs["trees"]], [_stat(path) for path in inputs["files"]]]
    return hashlib.sha256(json.dumps(state, ensure_ascii=False).encode()).hexdigest()


def _inputs(config: Config, out: Path) -> dict:
    from .fonts import find_family

    fonts = {str(face.path) for families in config.brand.fonts.model_dump().values() for family in families
             if (face := find_family(family)) is not None}
    python = [entry for entry in sys.path if entry and os.path.isdir(entry)]
    files = [str(path) for path in (config.path, config.registry_path) if path is not None]
    files += [sys.executable, *python, *sorted(fonts), *(os.path.expanduser(path) for path in FONTCONFIG_DIRECTORIES)]
    trees = sorted({str(path.resolve()) for path in (config.sources_dir, config.templates_dir, out, PACKAGE)})
    return {"trees": trees, "files": files, "skipped": [str(out / MANIFEST), str(out / ".reportgen.lock")]}


def record(argv: list[str], config: Config, manifest_path: Path, exit_status: int) -> None:
    """After a whole-corpus build: keep what the next identical build may replay (nothing, if this one failed)."""
    name = _journal_name(argv, config.path)
    if exit_status != 0:
        (user_cache_dir() / name).unlink(missing_ok=True)
        return
    inputs = _inputs(config, manifest_path.parent)
    remember_json(name, {"version": VERSION, "inputs": inputs, "state": _state(inputs),
                         "manifest": str(manifest_path), "language": current_language(),
                         "manifest_sha256": hashlib.sha256(manifest_path.read_bytes()).hexdigest()})


def replay(argv: list[str], config_path: Path | None, progress) -> dict | None:
    """The summary of a build that found nothing changed since the journal's, after writing its manifest; None
    when anything did change (or there is no journal), for the build to run."""
    from .project import find_config

    started = time.monotonic()
    config_path = config_path.resolve() if config_path else find_config(Path.cwd())
    name = _journal_name(argv, config_path)
    try:
        journal = json.loads((user_cache_dir() / name).read_text(encoding="utf-8"))
        if journal.get("version") != VERSION or journal["state"] != _state(journal["inputs"]):
            return None
        manifest_path = Path(journal["manifest"])
        data = manifest_path.read_bytes()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if hashlib.sha256(data).hexdigest() != journal["manifest_sha256"]:
        return None
    set_language(journal["language"])
    with OutputLock(manifest_path.parent):
        manifest = json.loads(data)
        for entry in manifest["reports"]:
            if entry["result"] == "built":
                entry.update(result="reused", rebuilt=False)
        progress.start(len(manifest["volumes"]), _("Building"))
        for volume in manifest["volumes"]:
            if volume["result"] == "built":
                volume.update(result="reused", rebuilt=False)
            progress.advance(_("volume {year} unchanged").format(year=volume["year"]))
        progress.finish()
        duration = time.monotonic() - started
        manifest["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        manifest["duration_seconds"] = round(duration, 3)
        data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        atomic_write(manifest_path, data)
    remember_json(name, {**journal, "manifest_sha256": hashlib.sha256(data).hexdigest()})
    counts = {name: sum(1 for entry in manifest["reports"] if entry["result"] == name)
              for name in ("built", "reused", "failed", "skipped")}
    return {"exit_status": manifest["exit_status"], "duration": duration, "counts": counts,
            "manifest_path": manifest_path, "volumes": manifest["volumes"]}
