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


def lock_holder(path: Path) -> str | None:
    """What the process holding `path` locked (`flock`) wrote in it ("?" if nothing), or None when no process holds
    it; takes nothing (a shared, non-blocking probe). Raises FileNotFoundError when there is no such file."""
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "?"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
