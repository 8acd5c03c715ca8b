"""Safe writing of outputs: atomic file replacement, and the output directory's lock.

A file is written to a temporary file in the same directory, fsynced and renamed into place: a reader (or a build
killed at any moment) sees either the previous complete file or the new one. Temporary files are named
`.<name>.reportgen-<random>.tmp`; the next build removes any that a killed build left behind (and no other
file: an output directory may hold other programs' temporary files). One build at a time writes to
an output directory: a second is refused at once (`OutputLock`, exit code 3).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from .errors import BuildLocked
from .i18n import _


TEMPORARY = ".reportgen-"  # in the name of every temporary file reportgen makes (`is_temporary`)


def is_temporary(path: Path) -> bool:
    """Whether `path` is named as reportgen's temporary files are (a write or a render marker in progress)."""
    return path.name.startswith(".") and path.name.endswith(".tmp") and TEMPORARY in path.name


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}{TEMPORARY}", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError) and error.filename is None:
            error.filename = str(path)  # a full disk says so without a name: the user needs to know where
        raise


class OutputLock:
    """An exclusive, non-blocking lock on `<output>/.reportgen.lock` for the whole build."""

    def __init__(self, output: Path):
        self.path = output / ".reportgen.lock"
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


def remove_temporaries(directory: Path) -> None:
    """Temporary files of writes that did not finish (a build holding the lock is the only writer): reportgen's
    own only (`is_temporary`, and anything in its `.cache`); another program's `.part.tmp` is not ours."""
    cache = directory / ".cache"
    for path in directory.rglob(".*.tmp"):
        if (is_temporary(path) or cache in path.parents) and path.is_file():
            path.unlink(missing_ok=True)
