"""Every diagnostic code, as data: its stable code, kebab-case name, default severity, scope and one-line
description. This table is the one list of codes: the checker attaches rule functions to the codes of scope
"document", "limits" and "corpus" (`generator.check.registry.rule`), the stages emit the "stage" codes themselves,
and `reportgen rules` prints it. Codes are never renumbered or reused.

Scopes: "document", a rule over one parsed draft; "limits", the same, run first (a draft over a structural limit
gets nothing else); "corpus", a rule over every draft of the sources; "stage", emitted by a pipeline stage
(reader, parser, renderer, build, importer).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Severity


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: Severity
    scope: str
    description: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
CODES: dict[str, Code] = {entry.code: entry for entry in (
    # Front matter (read/frontmatter.py, check/rules/frontmatter.py)
    Code('FM101', 'missing-front-matter', _E, 'stage',
         'The draft starts with a `---` line and YAML front matter.'),
    Code('FM102', 'unterminated-front-matter', _E, 'stage',
         'Front matter ends with a `---` line.'),
    Code('FM103', 'yaml-syntax-error', _E, 'stage',
         'Front matter is one valid YAML document.'),
    Code('FM104', 'front-matter-not-mapping', _E, 'stage',
         'Front matter is a mapping of field names to values.'),
    Code('FM105', 'missing-required-field', _E, 'document',
         'Every required front-matter field is present.'),
    Code('FM106', 'unknown-field', _E, 'document',
         'Front matter holds only known fields (and configured extra fields).'),
    Code('FM107', 'invalid-field-value', _E, 'document',
         'Each field has the right type, an allowed value and, for dates, a date that exists.'),
    Code('FM108', 'value-not-allowed', _E, 'stage',
         'Theme and status take one of the configured values.'),
    Code('FM109', 'invalid-date', _E, 'stage',
         'Dates are written YYYY-MM-DD and exist.'),
    Code('FM110', 'duplicate-field', _E, 'stage',
         'Each front-matter field appears once.'),
    Code('FM111', 'yaml-anchor-alias', _E, 'stage',
         'YAML anchors and aliases are not allowed.'),
    Code('FM112', 'yaml-tag', _E, 'stage',
         'YAML tags (`!!python/…`, `!custom`) are not allowed.'),
    Code('FM113', 'tab-indentation', _E, 'stage',
         'Front matter is indented with spaces, not tabs.'),
    Code('FM114', 'year-mismatch', _E, 'document',
         'The `year` field matches the year directory the draft is in.'),
    Code('FM115', 'summary-too-long', _W, 'document',
         'The summary stays within the configured length.'),
    Code('FM116', 'empty-field', _E, 'stage',
         'Fields and list items are not empty.'),
    Code('FM117', 'unsafe-report-id', _E, 'document',
         'The file name (the report id) is ASCII letters, digits, `-` and `_`.'),
    Code('FM118', 'unreadable-draft', _E, 'stage',
         'The draft is a readable UTF-8 file within the size limit.'),
    Code('FM119', 'duplicate-list-item', _E, 'document',
         'A name or keyword appears once in its list.'),
    Code('FM120', 'too-many-keywords', _W, 'document',
         'Keywords stay within the configured number.'),
    Code('FM125', 'title-too-long-for-header', _W, 'document',
         'The running header shows the title (or `short_title`) on one line: a longer one is shortened with “…”.'),
    Code('FM126', 'title-too-long', _E, 'limits',
         'A title has at most `front_matter.title_max_chars` characters.'),
    # Sections (check/rules/sections.py)
    Code('SEC201', 'missing-required-section', _E, 'document',
         'Each configured section appears as a heading; a missing one is reported where it belongs.'),
    Code('SEC202', 'section-out-of-order', _E, 'document',
         'Required sections appear in the configured order.'),
    Code('SEC203', 'section-wrong-level', _E, 'document',
         'Required sections are headings of the configured level (`##` by default).'),
    Code('SEC204', 'empty-section', _E, 'document',
         'A required section has text of its own or in its subsections.'),
    Code('SEC205', 'duplicate-section', _E, 'document',
         'Each required section appears once.'),
    Code('SEC206', 'unknown-section', _W, 'document',
         'Top-level headings are required sections; others are probably misspelt or misplaced.'),
    Code('SEC207', 'title-heading-in-body', _W, 'document',
         'The report title lives in front matter; the body has no level-1 heading.'),
    Code('SEC208', 'scaffold-placeholder', _E, 'document',
         'The placeholder text `reportgen new` writes (in each section and the summary) has been replaced.'),
    # Registry and corpus (read/registry.py, check/rules/registry.py)
    Code('REG301', 'unknown-counselor', _E, 'document',
         'Every counselor is listed in the registry.'),
    Code('REG302', 'unknown-company', _E, 'document',
         'The company is listed in the registry under its full name.'),
    Code('REG303', 'duplicate-report-id', _E, 'corpus',
         'Report ids (file names) are unique within a year, ignoring letter case.'),
    Code('REG304', 'duplicate-title', _E, 'corpus',
         'Report titles are unique within a year.'),
    Code('REG305', 'counselor-without-report', _W, 'corpus',
         'Every registered counselor appears in at least one draft (checked when the whole corpus is).'),
    Code('REG306', 'company-without-report', _W, 'corpus',
         'Every registered company appears in at least one draft (checked when the whole corpus is).'),
    Code('REG310', 'invalid-registry', _E, 'stage',
         'The registry lists counselors and companies, each with a name.'),
    # Text and typography (check/rules/text.py)
    Code('TXT401', 'pinyin-gloss-artifact', _E, 'document',
         'A Han character followed by a parenthesised pinyin gloss, as web converters leave (創(chuàng)).'),
    Code('TXT402', 'wrong-script', _E, 'document',
         'Characters of the other script (Traditional in a Simplified document, or the reverse).'),
    Code('TXT403', 'halfwidth-punctuation', _W, 'document',
         'Half-width punctuation (, ; : ? ! . and parentheses) inside Chinese sentences.'),
    Code('TXT404', 'cjk-latin-spacing', _W, 'document',
         'Spacing between Han characters and Latin letters or digits follows the configured policy.'),
    Code('TXT405', 'repeated-punctuation', _W, 'document',
         'The same Chinese punctuation mark twice or more in a row (。。 ，，).'),
    Code('TXT406', 'fullwidth-alphanumeric', _W, 'document',
         'Full-width digits and Latin letters (１２３ ＡＢＣ) instead of half-width ones.'),
    Code('TXT407', 'space-between-han', _W, 'document',
         'A stray space between two Chinese characters, or next to Chinese punctuation.'),
    Code('TXT408', 'invisible-character', _W, 'document',
         'Zero-width characters, bidirectional overrides and ideographic spaces where a normal space belongs.'),
    Code('TXT409', 'xml-invalid-character', _W, 'document',
         'Control characters that PDF and Word cannot hold (NUL, vertical tab, form feed, U+FFFE…).'),
    Code('TXT410', 'glyph-not-in-font', _E, 'document',
         'Every character can be drawn by the configured fonts of the role that sets it (no tofu, no silent'),
    Code('TXT411', 'ascii-quotes', _W, 'document',
         'ASCII double quotes around Chinese text instead of “”.'),
    Code('TXT412', 'html-character-reference', _W, 'document',
         'HTML entities pasted from web pages (`&emsp;&emsp;`, `&nbsp;`, `&copy;`): indentation, spaces and symbols'),
    Code('TXT413', 'unsupported-markdown-extension', _W, 'document',
         'Syntax of other Markdown tools that reportgen does not interpret: `[TOC]` and attribute lists.'),
    # Assets (check/rules/assets.py) and resources fetched while rendering
    Code('AST501', 'unusable-image', _E, 'document',
         'Images are relative paths to existing files under the sources directory.'),
    Code('AST502', 'resource-refused', _E, 'stage',
         'Rendering fetched only files under the sources and templates.'),
    Code('AST503', 'invalid-image', _E, 'document',
         'Images are PNG, JPEG or GIF files that decode completely, within size limits (SVG is refused).'),
    Code('AST504', 'raw-html', _W, 'document',
         'Raw HTML is not passed through: it is printed literally.'),
    # Rendering and structural limits (render/, build/, check/rules/limits.py)
    Code('RND601', 'render-failed', _E, 'stage',
         'The renderer could not produce the document.'),
    Code('RND602', 'glyph-missing-at-render', _E, 'stage',
         'Every character is drawn by a configured font.'),
    Code('RND603', 'renderer-warning', _W, 'stage',
         'A warning reported by WeasyPrint while rendering.'),
    Code('RND604', 'unsupported-element', _W, 'stage',
         'Every element of the body has a Word rendering.'),
    Code('RND605', 'structure-too-deep', _E, 'limits',
         'Block quotes and lists nest at most `check.max_nesting` levels.'),
    Code('RND606', 'table-too-large', _E, 'limits',
         'Tables stay within `check.max_table_rows` rows and `check.max_table_columns` columns.'),
    Code('RND607', 'render-limit-exceeded', _E, 'stage',
         'Rendering stays within the time and memory limits.'),
    Code('RND608', 'worker-died', _E, 'stage',
         'The process rendering a report ended abruptly (a crash, or the memory limit); the report fails alone.'),
    Code('RND609', 'draft-too-long', _E, 'limits',
         'A draft has at most `check.max_lines` lines.'),
    Code('RND610', 'too-many-list-items', _E, 'limits',
         'A draft has at most `check.max_list_items` list items.'),
    Code('RND611', 'too-many-footnotes', _E, 'limits',
         'A draft defines at most `check.max_footnotes` footnotes.'),
    Code('RND612', 'inline-nesting-too-deep', _E, 'limits',
         'Brackets and parentheses nest at most `check.max_inline_nesting` deep on a line, and runs of emphasis'),
    Code('RND613', 'line-too-long', _E, 'limits',
         'A line (a paragraph written on one line) has at most `check.max_line_chars` characters.'),
    # Word import (importer/)
    Code('IMP701', 'merged-table-cell', _W, 'stage',
         'A merged table cell, which a Markdown table cannot express, keeps its text in its first cell; the cells it covered are left empty.'),
    Code('IMP702', 'tracked-changes-accepted', _W, 'stage',
         "The document's tracked changes were accepted on import: the draft holds the text as it reads after them."),
    Code('IMP703', 'comments-dropped', _W, 'stage',
         "The document's comments were dropped on import."),
    Code('IMP704', 'image-converted', _I, 'stage',
         'A Windows metafile (EMF/WMF) or another image format the renderers cannot show was converted to PNG.'),
    Code('IMP705', 'image-not-carried', _E, 'stage',
         'An image that could not be converted to PNG or JPEG is left out; a placeholder paragraph marks its place.'),
    Code('IMP706', 'field-not-found', _W, 'stage',
         'A front-matter field the document does not state is left for the user to fill, never guessed.'),
    Code('IMP707', 'heading-by-formatting', _W, 'stage',
         'A paragraph that looks like a heading (bold, numbered, naming a required section) but has no heading style became a heading.'),
    Code('IMP708', 'content-not-carried', _W, 'stage',
         'Content with no equivalent in a draft (text boxes, equations, fields, blocks inside table cells …) was left out or flattened.'),
    Code('IMP709', 'field-from-text', _I, 'stage',
         "A front-matter field was taken from the document's running text or its properties rather than from a labelled line: confirm it."),
    Code('IMP710', 'safe-fixes-applied', _I, 'stage',
         'With `import --fix`, the safe fixes `check --fix` offers were applied to the imported text.'),
    Code('IMP711', 'heading-numbering-written', _I, 'stage',
         "Word's automatic heading numbering, which a draft does not have, was written into the headings' text."),
    # Internal errors
    Code('INT901', 'internal-error', _E, 'stage',
         'A rule crashed on this file; other results are still valid.'),
)}



def code_info(code: str) -> Code:
    """The entry of a registered code; a KeyError for any other (a typo in reportgen itself)."""
    return CODES[code]
