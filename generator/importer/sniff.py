"""Is it a real Word 2007+ document? Decided from the bytes, whatever the file's name says.

A `.doc` (Word 97–2003), a password-protected `.docx` (an OLE2 container holding an `EncryptedPackage`), a
Word 2003 XML or flat-OPC file saved with a `.docx` name (as some WPS versions do), RTF, HTML, or a ZIP
without `word/document.xml` is refused with a message that says what it is and what to do (“请另存为 .docx 格式”).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ._messages import _
from .errors import NotADocx

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_MEMBERS = 2000
MAX_UNPACKED_BYTES = 512 * 1024 * 1024


def check_docx_bytes(data: bytes, *, name: str) -> None:
    """Raise `NotADocx` unless `data` is a ZIP package with `word/document.xml` that is safe to unpack."""
    head = data[:4096]
    if head.startswith(OLE2_MAGIC):
        # an encrypted OOXML file is an OLE2 container with an EncryptedPackage stream (its directory entry, in
        # UTF-16, may lie anywhere in the file)
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise NotADocx(_("{file} is protected with a password: remove the password in Word or WPS "
                             "(File → Info → Protect Document), then save it again as .docx").format(file=name))
        raise NotADocx(_("{file} is an old Word 97–2003 document (.doc), not a .docx: open it in Word or WPS and "
                         "save it as .docx").format(file=name))
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<w:wordDocument") or stripped.startswith(b"<pkg:"):
        kind = _("a Word 2003 XML document") if b"wordDocument" in head or b"wordml" in head else \
            _("a flat XML document") if b"pkg:package" in head else _("an XML file")
        raise NotADocx(_("{file} is {kind} with a .docx name, not a real .docx: open it in Word or WPS and save it "
                         "as .docx").format(file=name, kind=kind))
    if stripped.startswith(b"{\\rtf"):
        raise NotADocx(_("{file} is an RTF document, not a .docx: open it in Word or WPS and save it as .docx").format(file=name))
    if stripped[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise NotADocx(_("{file} is a web page (HTML), not a .docx: open it in Word or WPS and save it as .docx").format(file=name))
    if not data.startswith(b"PK"):
        raise NotADocx(_("{file} is not a Word document (.docx): save it from Word or WPS as .docx").format(file=name))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
            names = {member.filename for member in members}
            unpacked = sum(member.file_size for member in members)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise NotADocx(_("{file} is damaged or not a Word document (.docx): save it again from Word or WPS as "
                         ".docx").format(file=name)) from None
    if "word/document.xml" not in names:
        what = _("an OpenDocument text (.odt)") if "content.xml" in names else _("a ZIP archive")
        raise NotADocx(_("{file} is {kind}, not a Word document (.docx): save it from Word, WPS or LibreOffice as "
                         ".docx").format(file=name, kind=what))
    if len(members) > MAX_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        raise NotADocx(_("{file} unpacks to more than {limit} MB or {members} parts: it is refused").format(
            file=name, limit=MAX_UNPACKED_BYTES >> 20, members=MAX_MEMBERS))


def read_docx(path: Path, *, max_bytes: int) -> bytes:
    """A .docx file's bytes, checked by `check_docx_bytes` (regular files only, at most `max_bytes`)."""
    if not path.is_file():
        raise NotADocx(_("{file} is not a file").format(file=path))
    size = path.stat().st_size
    if size > max_bytes:
        raise NotADocx(_("{file} is {size} MB; documents of at most {limit} MB are imported").format(
            file=path, size=size >> 20, limit=max_bytes >> 20))
    data = path.read_bytes()
    check_docx_bytes(data, name=str(path))
    return data
