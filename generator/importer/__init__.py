"""Word documents to drafts (issue 18): a face, like the CLI and the web workspace, that uses only the
library API (`import generator`).

    draft = convert_docx(data, name="报告.docx", config=config, year=2022)   # in memory: text, images, IMP7xx
    result = import_docx(Path("报告.docx"), config=config, year=2022)        # writes <id>.md and assets/, checks

pandoc (the `pypandoc-binary` package's binary) reads the document into its AST (heading styles, lists,
tables with merged cells, footnotes, images; tracked changes accepted); `markdown.BodyWriter` writes the
draft's Markdown from it; `package.py` reads what the AST does not carry (heading styles named in Chinese or by
outline level, automatic heading numbering, tracked changes and comments, document properties). Exceptions:
`errors.py` (`NotADocx`, `ImportRefused`, both `ReportgenError`s).
"""

from __future__ import annotations

from .convert import ImportedDraft, convert_docx, next_report_id
from .errors import ImportRefused, NotADocx
from .store import ImportResult, import_docx, write_images, write_imported

__all__ = ["ImportedDraft", "ImportRefused", "ImportResult", "NotADocx", "convert_docx", "import_docx",
           "next_report_id", "write_images", "write_imported"]
