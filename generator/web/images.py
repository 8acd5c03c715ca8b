"""Images uploaded into `<sources>/<year>/assets/`: size and pixel limits, the content sniffed (PNG, JPEG or GIF
whatever the name says), a safe file name, and the same asset rules as `reportgen check` (AST5xx) applied to the
stored file before it is kept."""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from pathlib import Path

from django.conf import settings
from django.http import Http404

import generator

from .i18n import _

SNIFFED = {b"\x89PNG\r\n\x1a\n": ("png", "image/png"), b"\xff\xd8\xff": ("jpg", "image/jpeg"),
           b"GIF87a": ("gif", "image/gif"), b"GIF89a": ("gif", "image/gif")}
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,80}\.(png|jpg|gif)\Z")


class Refused(Exception):
    pass


def assets_dir(draft) -> Path:
    return draft.path.parent / "assets"


def asset_path(draft, name: str) -> Path:
    """The asset `name` of the draft's year, or 404 for a name that is not a plain safe file name."""
    if not SAFE_NAME.match(name):
        raise Http404("no such image")
    directory = assets_dir(draft).resolve()
    path = directory / name
    if path.resolve().parent != directory:
        raise Http404("no such image")
    return path


def content_type(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(8)
    return next((kind for magic, (_suffix, kind) in SNIFFED.items() if head.startswith(magic)),
                "application/octet-stream")


def _sniff(data: bytes) -> str:
    for magic, (suffix, _kind) in SNIFFED.items():
        if data.startswith(magic):
            return suffix
    raise Refused(_("Only PNG, JPEG or GIF images can be uploaded."))


def _safe_stem(name: str, report_id: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(name or "").stem).strip("-_")[:40]
    return f"{report_id}-{stem}" if stem else report_id


def store(draft, upload) -> str:
    """Keep an uploaded image; return its file name. Refused: too large, not an image, or refused by AST5xx."""
    if upload.size > settings.IMAGE_MAX_BYTES:
        raise Refused(_("The image is larger than {limit} MB.").format(limit=settings.IMAGE_MAX_BYTES // 2**20))
    data = upload.read(settings.IMAGE_MAX_BYTES + 1)
    if len(data) > settings.IMAGE_MAX_BYTES:
        raise Refused(_("The image is larger than {limit} MB.").format(limit=settings.IMAGE_MAX_BYTES // 2**20))
    suffix = _sniff(data)
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size[0] * image.size[1] > settings.IMAGE_MAX_PIXELS:
                raise Refused(_("The image has more pixels than allowed."))
    except Refused:
        raise
    except Exception:  # noqa: BLE001 - any decoder failure is a file that is not an image
        raise Refused(_("Only PNG, JPEG or GIF images can be uploaded.")) from None
    directory = assets_dir(draft)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{_safe_stem(upload.name, draft.report_id)}-{hashlib.sha256(data).hexdigest()[:8]}.{suffix}"
    final = directory / name
    if final.exists():
        return name   # the same bytes under the same name: already there
    trial = directory / f"upload-{secrets.token_hex(8)}.{suffix}"
    descriptor = os.open(trial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    try:
        text = (draft.text or "").rstrip("\n") + f"\n\n![](assets/{trial.name})\n"
        last_line = text.count("\n")
        refused = [item for item in generator.check_text(text, path=draft.path, config=draft_config())
                   if item.code.startswith("AST") and item.line >= last_line - 1
                   and item.severity == generator.Severity.ERROR]
        if refused:
            raise Refused(refused[0].message)
        os.replace(trial, final)
    finally:
        trial.unlink(missing_ok=True)
    return name


def draft_config():
    return settings.CONFIG
