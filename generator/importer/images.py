"""The document's images, as a draft can hold them: PNG and JPEG kept byte for byte, GIF/BMP/TIFF converted to
PNG with Pillow, Windows metafiles (EMF/WMF) converted to PNG with LibreOffice (`soffice --headless
--convert-to png`, libreoffice-draw), anything else left out with IMP705. Names are `<id>-<n>.<ext>` under
`assets/`; a name taken by other bytes gets the content hash added, so nothing is ever overwritten."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
from pathlib import Path

from ._messages import _
from .markdown import Note

SOFFICE_TIMEOUT_SECONDS = 60


def image_kind(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:4] == b"\x01\x00\x00\x00" and data[40:44] == b" EMF":
        return "emf"
    if data[:4] == b"\xd7\xcd\xc6\x9a" or data[:6] in (b"\x01\x00\x09\x00\x00\x03", b"\x02\x00\x09\x00\x00\x03"):
        return "wmf"
    return None


def metafile_to_png(data: bytes, kind: str, workdir: Path) -> bytes | None:
    """A Windows metafile drawn to PNG by LibreOffice (None if it is not installed or fails)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    folder = workdir / f"metafile-{hashlib.sha256(data).hexdigest()[:12]}"
    folder.mkdir(exist_ok=True)
    source = folder / f"image.{kind}"
    source.write_bytes(data)
    try:
        subprocess.run([soffice, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--norestore",
                        "--convert-to", "png", "--outdir", str(folder), str(source)],
                       capture_output=True, timeout=SOFFICE_TIMEOUT_SECONDS, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    result = folder / "image.png"
    if not result.is_file() or image_kind(result.read_bytes()) != "png":
        return None
    return _cropped(result.read_bytes())


def _cropped(data: bytes) -> bytes:
    """LibreOffice Draw lays the metafile out on a whole page: keep only the drawing (and a small margin)."""
    from PIL import Image, ImageChops

    with Image.open(io.BytesIO(data)) as page:
        rgb = page.convert("RGB")
    box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, (255, 255, 255))).getbbox()
    if box is None:
        return data
    margin = 4
    box = (max(box[0] - margin, 0), max(box[1] - margin, 0), min(box[2] + margin, rgb.width),
           min(box[3] + margin, rgb.height))
    output = io.BytesIO()
    rgb.crop(box).save(output, format="PNG")
    return output.getvalue()


class ImageStore:
    """Collects the images the body references (`store(url, notes)` gives the draft-relative path)."""

    def __init__(self, *, workdir: Path, report_id: str, assets: Path, file_name: str):
        self.workdir = workdir.resolve()
        self.report_id = report_id
        self.assets = assets
        self.file_name = file_name
        self.images: dict[str, bytes] = {}
        self.by_source: dict[str, str | None] = {}
        self.count = 0

    def store(self, url: str, notes: list[Note]) -> str | None:
        if url in self.by_source:
            return self.by_source[url]
        source = Path(url) if os.path.isabs(url) else self.workdir / url
        try:
            source = source.resolve()
            inside = source.is_relative_to(self.workdir) and source.is_file()
        except OSError:
            inside = False
        if not inside:  # a linked (not embedded) picture, or a path pandoc did not extract
            notes.append(Note("IMP705", _("{file}: the picture “{name}” is linked, not embedded in the document; "
                                          "insert it into the document or add it to assets/ by hand").format(
                file=self.file_name, name=url)))
            self.by_source[url] = None
            return None
        data = source.read_bytes()
        kind = image_kind(data)
        self.count += 1
        if kind in ("gif", "bmp", "tiff"):
            converted = _pillow_png(data)
            if converted is not None:
                notes.append(Note("IMP704", _("{file}: image {number} ({kind}) was converted to PNG").format(
                    file=self.file_name, number=self.count, kind=kind.upper())))
            data, kind = (converted, "png") if converted is not None else (data, None)
        elif kind in ("emf", "wmf"):
            converted = metafile_to_png(data, kind, self.workdir)
            if converted is None:
                notes.append(Note("IMP705", _("{file}: image {number} is a Windows metafile ({kind}) and could not "
                                              "be converted (LibreOffice Draw is needed); save it as PNG and add it "
                                              "to assets/").format(file=self.file_name, number=self.count,
                                                                   kind=kind.upper())))
                self.by_source[url] = None
                return None
            notes.append(Note("IMP704", _("{file}: image {number} ({kind}) was converted to PNG").format(
                file=self.file_name, number=self.count, kind=kind.upper())))
            data, kind = converted, "png"
        if kind not in ("png", "jpeg"):
            notes.append(Note("IMP705", _("{file}: image {number} is in a format the reports cannot show; save it "
                                          "as PNG or JPEG and add it to assets/").format(file=self.file_name,
                                                                                         number=self.count)))
            self.by_source[url] = None
            return None
        name = self._name(data, "jpg" if kind == "jpeg" else "png")
        self.images[name] = data
        self.by_source[url] = f"assets/{name}"
        return f"assets/{name}"

    def _name(self, data: bytes, extension: str) -> str:
        name = f"{self.report_id}-{self.count}.{extension}"
        existing = self.assets / name
        if (existing.exists() and existing.read_bytes() != data) or \
                (name in self.images and self.images[name] != data):
            name = f"{self.report_id}-{self.count}-{hashlib.sha256(data).hexdigest()[:8]}.{extension}"
        return name


def _pillow_png(data: bytes) -> bytes | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.load()
            output = io.BytesIO()
            image.save(output, format="PNG")
            return output.getvalue()
    except Exception:  # noqa: BLE001 - any decoder failure means: not carried (reported)
        return None
