"""Messages of the importer in the current language, through the library API's catalog (`generator.translate`)."""

from __future__ import annotations


def _(message: str) -> str:
    import generator

    return generator.translate(message)
