"""The importer's exceptions: a `ReportgenError` (exit code 2 in the CLI), never a traceback.

    ReportgenError
      └── ImportRefused          the import cannot be done (a draft with that id exists, pandoc is missing …)
            └── NotADocx         the file is not a real .docx (.doc, Word 2003 XML, encrypted, damaged)
"""

from __future__ import annotations

import generator


class ImportRefused(generator.ReportgenError):
    """The document cannot be imported; the message says why and what to do."""


class NotADocx(ImportRefused):
    """The file is not a Word 2007+ document; the message names what it is and asks for a .docx."""
