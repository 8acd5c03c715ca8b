"""Font files behind configured font families and the characters they can draw.

Families are looked up with fontconfig (`fc-list`), the same database WeasyPrint's Pango uses, and
coverage is read from the real font files' cmap tables with fontTools. Both are cached per process.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .usercache import recall, remember


@dataclass(frozen=True)
class FontFace:
    family: str
    path: Path
    index: int


@lru_cache(maxsize=1)
def installed_faces() -> tuple[tuple[str, int, tuple[str, ...], str, str], ...]:
    """Every face fontconfig knows: (file, index, family names, style, PostScript name), from one `fc-list`."""
    if not shutil.which("fc-list"):
        return ()
    result = subprocess.run(["fc-list", "--format", "%{file}\t%{index}\t%{family}\t%{style}\t%{postscriptname}\n"],
                            capture_output=True, text=True, check=False)
    faces = []
    for row in result.stdout.splitlines():
        parts = row.split("\t")
        if len(parts) >= 5:
            faces.append((parts[0], int(parts[1] or 0), tuple(name.strip() for name in parts[2].split(",")), parts[3],
                          parts[4]))
    return tuple(faces)


@lru_cache(maxsize=None)
def find_family(family: str) -> FontFace | None:
    """The regular face of an installed family, or None when fontconfig does not have it."""
    faces = [(0 if "Regular" in style or "Book" in style else 1, path, index)
             for path, index, families, style, _postscript in installed_faces() if family in families]
    if not faces:
        return None
    _rank, path, index = min(faces)
    return FontFace(family, Path(path), index)


def _memo_name(path: Path, index: int) -> str:
    stat = path.stat()
    key = hashlib.sha256(f"{path}:{index}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:24]
    return f"cmap-{key}.bin"


@lru_cache(maxsize=None)
def _coverage(path: Path, index: int) -> frozenset[int]:
    """Code points of a face's cmap; kept in the user's cache directory, since parsing a CJK cmap takes ~0.1 s
    (`recall` verifies the entry: a damaged one is read from the font again)."""
    name = _memo_name(path, index)
    kept = recall(name)
    if kept is not None and kept and len(kept) % 4 == 0:
        codes = array("I")
        codes.frombytes(kept)
        return frozenset(codes)
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=index, lazy=True)
    try:
        codes = array("I", sorted(font.getBestCmap() or {}))
    finally:
        font.close()
    remember(name, codes.tobytes())
    return frozenset(codes)


@lru_cache(maxsize=None)
def coverage(families: tuple[str, ...]) -> frozenset[str] | None:
    """Characters drawn by any of the families, or None when none of them is installed."""
    faces = [face for face in (find_family(family) for family in families) if face]
    if not faces:
        return None
    covered: set[int] = set()
    for face in faces:
        covered |= _coverage(face.path, face.index)
    return frozenset(map(chr, covered))
