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


def _package_digest() -> str:
    """A digest of reportgen's own code, so that a changed renderer never reuses outputs of the old one."""
    digest = hashlib.sha256()
    package = Path(__file__).parents[1]  # the whole generator package
    for path in sorted(package.rglob("*.py")):
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
