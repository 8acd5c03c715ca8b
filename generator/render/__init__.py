"""Renderers: the same Document tree to HTML (for WeasyPrint's PDF) and to DOCX (python-docx)."""
