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


def volume_toc_and_start(pdf: bytes, title: str) -> tuple[int, int]:
    """In a volume PDF: the page number its table of contents gives `title`, and the number printed on the page
    where that report starts (its footer “— N —”)."""
    import io
    import re

    from pypdf import PdfReader

    pages = [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]
    title = title.replace(" ", "")
    toc_start = next(index for index, text in enumerate(pages) if text.startswith("目录"))
    first_report = next(index for index, text in enumerate(pages) if index > toc_start and "课题单位" in text)
    toc_number = int(re.search(re.escape(title) + r"\.+(\d+)", "".join(pages[toc_start:first_report])).group(1))
    start = next(index for index in range(first_report, len(pages))
                 if "课题单位" in pages[index] and title in pages[index])
    printed = int(re.findall(r"—\s*(\d+)\s*—", pages[start])[-1])
    return toc_number, printed
