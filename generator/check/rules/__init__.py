"""The rule functions. Importing this package registers every rule (`check/registry.py`); the codes themselves,
with their names, severities and descriptions, are data in `core/codes.py`.

    FM1xx  front matter          frontmatter.py
    SEC2xx sections              sections.py
    REG3xx registry and corpus   registry.py
    TXT4xx text and typography   text.py
    AST5xx assets                assets.py
    RND6xx structural limits     limits.py
"""

from . import assets, frontmatter, limits, registry, sections, text  # noqa: F401
