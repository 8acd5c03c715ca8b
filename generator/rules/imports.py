"""Codes the Word importer (generator/importer/) emits, IMP7xx: what a .docx held that its draft does not, or
holds differently. Declared here so that every code is registered in one place and `reportgen rules` lists it."""

from ..diagnostics import declare
from ..model import Severity

declare("IMP701", "merged-table-cell", Severity.WARNING, "A merged table cell, which a Markdown table cannot "
        "express, keeps its text in its first cell; the cells it covered are left empty.")
declare("IMP702", "tracked-changes-accepted", Severity.WARNING, "The document's tracked changes were accepted "
        "on import: the draft holds the text as it reads after them.")
declare("IMP703", "comments-dropped", Severity.WARNING, "The document's comments were dropped on import.")
declare("IMP704", "image-converted", Severity.INFO, "A Windows metafile (EMF/WMF) or another image format the "
        "renderers cannot show was converted to PNG.")
declare("IMP705", "image-not-carried", Severity.ERROR, "An image that could not be converted to PNG or JPEG is "
        "left out; a placeholder paragraph marks its place.")
declare("IMP706", "field-not-found", Severity.WARNING, "A front-matter field the document does not state is "
        "left for the user to fill, never guessed.")
declare("IMP707", "heading-by-formatting", Severity.WARNING, "A paragraph that looks like a heading (bold, "
        "numbered, naming a required section) but has no heading style became a heading.")
declare("IMP708", "content-not-carried", Severity.WARNING, "Content with no equivalent in a draft (text boxes, "
        "equations, fields, blocks inside table cells …) was left out or flattened.")
declare("IMP709", "field-from-text", Severity.INFO, "A front-matter field was taken from the document's running "
        "text or its properties rather than from a labelled line: confirm it.")
declare("IMP710", "safe-fixes-applied", Severity.INFO, "With `import --fix`, the safe fixes `check --fix` offers "
        "were applied to the imported text.")
declare("IMP711", "heading-numbering-written", Severity.INFO, "Word's automatic heading numbering, which a draft "
        "does not have, was written into the headings' text.")
