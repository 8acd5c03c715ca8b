"""Codes that pipeline stages emit themselves, declared here so every code is registered in one place."""

from ..diagnostics import declare
from ..model import Severity

# Reader (generator/reader.py)
declare("FM101", "missing-front-matter", Severity.ERROR, "The draft starts with a `---` line and YAML front matter.")
declare("FM102", "unterminated-front-matter", Severity.ERROR, "Front matter ends with a `---` line.")
declare("FM103", "yaml-syntax-error", Severity.ERROR, "Front matter is one valid YAML document.")
declare("FM104", "front-matter-not-mapping", Severity.ERROR, "Front matter is a mapping of field names to values.")
declare("FM110", "duplicate-field", Severity.ERROR, "Each front-matter field appears once.")
declare("FM111", "yaml-anchor-alias", Severity.ERROR, "YAML anchors and aliases are not allowed.")
declare("FM112", "yaml-tag", Severity.ERROR, "YAML tags (`!!python/…`, `!custom`) are not allowed.")
declare("FM113", "tab-indentation", Severity.ERROR, "Front matter is indented with spaces, not tabs.")
declare("FM118", "unreadable-draft", Severity.ERROR, "The draft is a readable UTF-8 file within the size limit.")

# Registry file (generator/registry.py)
declare("REG310", "invalid-registry", Severity.ERROR, "The registry lists counselors and companies, each with a name.")

# Renderers
declare("AST502", "resource-refused", Severity.ERROR, "Rendering fetched only files under the sources and templates.")
declare("RND601", "render-failed", Severity.ERROR, "The renderer could not produce the document.")
declare("RND602", "glyph-missing-at-render", Severity.ERROR, "Every character is drawn by a configured font.")
declare("RND604", "unsupported-element", Severity.WARNING, "Every element of the body has a Word rendering.")
declare("RND607", "render-limit-exceeded", Severity.ERROR, "Rendering stays within the time and memory limits.")
declare("RND608", "worker-died", Severity.ERROR, "The process rendering a report ended abruptly (a crash, or the "
        "memory limit); the report fails alone.")
declare("RND603", "renderer-warning", Severity.WARNING, "A warning reported by WeasyPrint while rendering.")

# The checker itself
declare("INT901", "internal-error", Severity.ERROR, "A rule crashed on this file; other results are still valid.")
