"""Content digests, and the versions of reportgen's code and the libraries that shape its outputs."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from generator import __version__

LIBRARIES = ("weasyprint", "pydyf", "python-docx", "markdown", "jinja2", "pypdf", "pillow", "fonttools", "pikepdf",
             "uharfbuzz")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


PACKAGE = Path(__file__).parents[1]
# What shapes a build's outputs: the layers, the message catalogs, and the package's own modules (the command line
# and the API, which make the build's request). The faces that only call the API (the web workspace, the Word
# importer, `doctor`) are not: a change to a view must not make every output out of date.
FACES = ("web", "importer", "doctor.py")


def code_paths() -> list[Path]:
    """The package's files and directories that shape outputs (`FACES` left out), for the code digest and the
    build journal."""
    return sorted(path for path in PACKAGE.iterdir()
                  if path.name not in FACES and path.name != "__pycache__"
                  and (path.suffix == ".py" or (path.is_dir() and any(path.rglob("*.py")) or path.name == "locale")))


def _package_digest() -> str:
    """A digest of reportgen's own code and catalogs, so that a changed renderer never reuses outputs of the old one."""
    digest = hashlib.sha256()
    for root in code_paths():
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.suffix in (".py", ".po") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PACKAGE)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def tool_versions() -> dict[str, str]:
    versions = {"reportgen": f"{__version__}+{_package_digest()}"}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except Exception:  # a library without metadata still has a stable key
            versions[name] = "unknown"
    return versions
