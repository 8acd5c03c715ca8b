"""Content hashes for incremental builds: everything that can change an output goes into its key.

A report's key covers its draft, the images it references, the templates, the configuration, the font files,
the message language, SOURCE_DATE_EPOCH and the versions of every rendering library. A volume's key covers the
keys of its reports and its own front matter. Equal keys mean byte-identical outputs, so they are reused.

The files behind these (`Dependencies`) are listed once, here: the keys hash their contents, and the journal
(`journal.py`) states the same files by size and times, with what a build reads besides (the sources, Python).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from generator.core.config import Config
from generator.core.digest import sha256_bytes, sha256_file, tool_versions
from generator.core.fonts import FontFace, find_family
from generator.core.i18n import current_language
from generator.core.model import Draft


def _templates_digest(templates: Path) -> str:
    digest = hashlib.sha256()
    if templates.is_dir():
        for path in sorted(p for p in templates.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(templates)).encode())
            digest.update(sha256_file(path).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Dependencies:
    """The files outside the drafts and their images that outputs depend on."""

    configuration: Path | None                      # reportgen.toml (its values are hashed as loaded)
    registry: Path                                  # what a volume prints of it is in the volume's key
    brand_files: tuple[Path, ...]                   # the logo, its PNG for Word: printed, wherever they are
    templates: Path
    fonts: tuple[tuple[str, str, FontFace | None], ...]  # (role, family, installed face or None) in role order


def dependencies(config: Config) -> Dependencies:
    return Dependencies(
        configuration=config.path, registry=config.registry_path,
        brand_files=(config.resolve(config.brand.logo), config.resolve(config.brand.logo_raster)),
        templates=config.templates_dir,
        fonts=tuple((role, family, find_family(family))
                    for role, families in sorted(config.brand.font_families().items()) for family in families))


def _fonts_digest(depends: Dependencies) -> str:
    parts = []
    for role, family, face in depends.fonts:
        if face:
            stat = face.path.stat()
            parts.append(f"{role}:{family}:{face.path}:{face.index}:{stat.st_size}:{int(stat.st_mtime)}")
        else:
            parts.append(f"{role}:{family}:missing")
    return sha256_bytes("\n".join(parts).encode())


def environment_key(config: Config) -> str:
    """The part of every key that does not depend on one draft: with `report_key` and `volume_key`, the one list
    of what an output depends on."""
    depends = dependencies(config)  # looked up once: fontconfig's faces and the brand files
    data = {
        "config": config.model_dump(mode="json"),
        "brand_files": [sha256_file(path) if path.is_file() else None for path in depends.brand_files],
        "templates": _templates_digest(config.templates_dir),
        "fonts": _fonts_digest(depends),
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
    _add_assets(digest, asset_paths)
    return digest.hexdigest()


def _add_assets(digest, asset_paths: list[Path]) -> None:
    for path in sorted(asset_paths):
        digest.update(str(path).encode())
        digest.update(sha256_file(path).encode() if path.is_file() else b"missing")


def unit_basis(draft: Draft, asset_paths: list[Path], environment: str, root: Path) -> str:
    """What a report's laid-out unit is made from, recorded with the unit's key (`run._store_report`) so that the
    key can be known again without making the report's HTML: the key (`store.UnitCache.key`) hashes that HTML, the
    draft's directory, the files under the sources and templates the HTML refers to, and the environment; the HTML
    is made from the draft's bytes, the environment (configuration, templates, brand files, fonts, reportgen's code
    and the libraries' versions, the language, SOURCE_DATE_EPOCH: the report's date) and paths (the draft's, its
    images', the logo's under the project's root). So the basis is those: equal bases, equal keys. Unlike the
    report's key, it leaves out the output formats, which do not change the unit."""
    digest = hashlib.sha256()
    for part in (environment, str(root.resolve()), str(draft.path.parent.resolve()), draft.path.name, draft.digest):
        digest.update(part.encode() + b"\0")
    _add_assets(digest, asset_paths)
    return digest.hexdigest()


def word_segment_key(report: str) -> str:
    """The key of a report's segment of the Word volume (`render/docx_segments.py`): made from the same draft,
    images and environment as the report, it is the same whenever the report's key is."""
    return sha256_bytes(f"word-segment\0{report}".encode())[:32]


def volume_key(environment: str, formats: tuple[str, ...], include_drafts: bool, members, source: Draft | None,
               registry) -> str:
    """Everything a volume depends on besides the environment (configuration, templates, fonts, versions …):
    its reports' keys, its front matter's bytes as read and what it prints of the registry for its reports."""
    printed = registry.printed({r.doc.meta.company for r in members},
                               {name for r in members for name in r.doc.meta.counselors}) if registry else None
    return sha256_bytes(json.dumps({
        "environment": environment, "formats": sorted(formats), "include_drafts": include_drafts,
        "reports": [(r.doc.report_id, r.key) for r in members], "source": source.digest if source else None,
        "registry": printed}, sort_keys=True, ensure_ascii=False).encode())
