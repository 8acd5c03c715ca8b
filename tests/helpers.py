"""Small projects made from the sample corpus, for build tests that must stay fast."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).parent.parent


def corpus_project(tmp_path: Path, ids: list[str], *, extra_config: str = "") -> Path:
    """A project with the repository's configuration and templates and the named sample drafts."""
    root = tmp_path / "corpus"
    drafts = root / "reports_src" / "2022"
    drafts.mkdir(parents=True)
    shutil.copy(REPO / "reportgen.toml", root / "reportgen.toml")
    if extra_config:
        with (root / "reportgen.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n" + extra_config)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "reports_src" / "registry.yaml", root / "reports_src")
    shutil.copy(REPO / "reports_src" / "2022" / "_volume.md", drafts)
    shutil.copytree(REPO / "reports_src" / "2022" / "assets", drafts / "assets")
    for report_id in ids:
        shutil.copy(REPO / "reports_src" / "2022" / f"{report_id}.md", drafts)
    return root
