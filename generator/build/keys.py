"""Content hashes for incremental builds: everything that can change an output goes into its key.

A report's key covers its draft, the images it references, the templates, the configuration, the font files,
the message language, SOURCE_DATE_EPOCH and the versions of every rendering library. A volume's key covers the
keys of its reports and its own front matter. Equal keys mean byte-identical outputs, so they are reused.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from generator.core.config import Config
from generator.core.digest import sha256_bytes, sha256_file, tool_versions
from generator.core.fonts import find_family
from generator.core.i18n import current_language


def _templates_digest(templates: Path) -> str:
    digest = hashlib.sha256()
    if templates.is_dir():
        for path in sorted(p for p in templates.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(templates)).encode())
            digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def _fonts_digest(config: Config) -> str:
    parts = []
    for role, families in sorted(config.brand.font_families().items()):
        for family in families:
            face = find_family(family)
            if face:
                stat = face.path.stat()
                parts.append(f"{role}:{family}:{face.path}:{face.index}:{stat.st_size}:{int(stat.st_mtime)}")
            else:
                parts.append(f"{role}:{family}:missing")
    return sha256_bytes("\n".join(parts).encode())


def brand_files(config: Config) -> list[Path]:
    """Files the configuration names that outputs print (the logo, its PNG for Word), wherever they are: their
    bytes are part of every key, and the journal states them (`journal.inputs`)."""
    return [config.resolve(config.brand.logo), config.resolve(config.brand.logo_raster)]


def environment_key(config: Config) -> str:
    """The part of every key that does not depend on one draft: with `report_key` and `volume.volume_key`, the
    one list of what an output depends on (the registry fields a volume prints are in the volume's key; the
    journal states the files behind all of these, `journal.inputs`)."""
    data = {
        "config": config.model_dump(mode="json"),
        "brand_files": [sha256_file(path) if path.is_file() else None for path in brand_files(config)],
        "templates": _templates_digest(config.templates_dir),
        "fonts": _fonts_digest(config),
        "versions": tool_versions(),
        "language": current_language(),
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
    }
    return sha256_bytes(json.dumps(data, sort_keys=True, ensure_ascii=False).encode())


def report_key(draft_digest: str, asset_paths: list[Path], environment: str, formats: tuple[str, ...]) -> str:
    """A report's key: the SHA-256 of the draft's bytes as read and checked, its images, the environment."""
    digest = hashlib.sha256()
    digest.update(environment.encode())
    digest.update(",".join(sorted(formats)).encode())
    digest.update(draft_digest.encode())
    for path in sorted(asset_paths):
        digest.update(str(path).encode())
        digest.update(sha256_file(path).encode() if path.is_file() else b"missing")
    return digest.hexdigest()

