"""read — from files to typed data: a draft's bytes and front matter with positions (`reader`, `frontmatter`), the
Markdown tree (`parse`: Draft -> Document), the registry, discovery of drafts, a year's `_volume.md`
(`volume_source`), and the prose segments the text rules read (`prose`). Only this layer reads sources.

May import: `generator.core`."""
