"""All diagnostic codes. Importing this package registers every rule.

    FM1xx  front matter          rules/frontmatter.py
    SEC2xx sections              rules/sections.py
    REG3xx registry and corpus   rules/registry.py
    TXT4xx text and typography   rules/text.py
    AST5xx assets                rules/assets.py
    RND6xx rendering             rules/stages.py, rules/limits.py
    IMP7xx Word import           rules/imports.py
    INT9xx internal errors       rules/stages.py
"""

from . import assets, frontmatter, imports, limits, registry, sections, stages, text  # noqa: F401
