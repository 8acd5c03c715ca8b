"""A group-wide corpus for the scale benchmarks: the sample project with its programme year copied `factor` times.

Copy k (k = 2 … factor) of report rNN is `rNN-k.md`, its title marked “（第k组）”, so that the corpus-wide checks
(duplicate titles, one report per company and theme …) see distinct reports; the registry, assets, `_volume.md`,
templates and configuration are the sample project's. Usage from a benchmark or a test:
`scaled_project(Path(directory), 16)` returns the project's root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
YEAR = "2022"


def scaled_project(directory: Path, factor: int, name: str | None = None) -> Path:
    root = directory / (name or f"corpus-{factor}x")
    root.mkdir(parents=True)
    for item in ("reportgen.toml", "templates", "reports_src"):
        source = REPO / item
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / item)
    year = root / "reports_src" / YEAR
    originals = sorted(year.glob("r[0-9][0-9].md"))
    for copy in range(2, factor + 1):
        for source in originals:
            text = source.read_text(encoding="utf-8")
            title_line = next(line for line in text.splitlines() if line.startswith("title: "))
            text = text.replace(title_line, f"{title_line}（第{copy}组）", 1)
            (year / f"{source.stem}-{copy}.md").write_text(text, encoding="utf-8")
    return root


def edit_one_draft(root: Path, report: str = "r05") -> None:
    """The one-draft edit of the benchmarks: one sentence added to the end of one approved draft."""
    path = root / "reports_src" / YEAR / f"{report}.md"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n本段为基准测试添加的一句话。\n",
                    encoding="utf-8")
