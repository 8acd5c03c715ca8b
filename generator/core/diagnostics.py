"""Making a diagnostic: a registered code (`codes.py`) at its default severity, at a place in a file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .codes import CODES
from .model import Diagnostic, Edit, Position


def diagnostic(code: str, path: Path, position: Position | tuple[int, int], message: str,
               *, fix: Iterable[Edit] = ()) -> Diagnostic:
    """Build a diagnostic for a registered code at its default severity."""
    registered = CODES[code]
    line, col = (position.line, position.col) if isinstance(position, Position) else position
    return Diagnostic(path=path, line=max(line, 1), col=max(col, 1), code=code, name=registered.name,
                      severity=registered.severity, message=message, fix=tuple(fix))
