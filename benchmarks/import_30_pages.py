"""Benchmark (issue 18): `reportgen import` of a 30-page Word document must take under 2 s.

The document is made with reportgen's own Word writer from five sample reports joined into one draft (their
sections, lists, tables, footnotes and charts), and its length is measured in pages of the PDF the same draft
gives (Word lays a .docx out itself; the PDF is the house layout of the same text). Then, in a fresh copy of the
project each time:

- the library call `generator.importer.import_docx` (read, convert through pandoc, write the draft and its
  images, `check` it), median of 5 runs in this process;
- the command `reportgen import FILE.docx --year 2022` as a user runs it (a new Python process), median of 5.

    .venv/bin/python benchmarks/import_30_pages.py
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ["r02", "r03", "r10", "r16", "r22"]   # charts, nested lists, tables, footnotes, quotes
RUNS = 5


def long_draft(config) -> str:
    """Five sample reports' bodies under the first one's front matter, footnotes renumbered to stay distinct."""
    first = (config.sources_dir / "2022" / f"{REPORTS[0]}.md").read_text(encoding="utf-8")
    front = first[: first.index("\n---\n", 4) + 5]
    bodies = []
    for number, report in enumerate(REPORTS):
        text = (config.sources_dir / "2022" / f"{report}.md").read_text(encoding="utf-8")
        body = text[text.index("\n---\n", 4) + 5:]
        bodies.append(re.sub(r"\[\^(\w+)\]", lambda match: f"[^{number}-{match.group(1)}]", body))
    return front + "\n".join(bodies)


def copy_project(target: Path) -> Path:
    shutil.copy(ROOT / "reportgen.toml", target / "reportgen.toml")
    shutil.copytree(ROOT / "reports_src", target / "reports_src")
    shutil.copytree(ROOT / "templates", target / "templates")
    return target


def main() -> int:
    import generator
    from generator.importer import import_docx

    config = generator.load_config(ROOT / "reportgen.toml")
    text = long_draft(config)
    path = config.sources_dir / "2022" / "r90.md"
    document = generator.parse_text(text, path=path, config=config)
    renderer = generator.Renderer(config)
    pages = renderer.pdf(document).pages
    word = renderer.docx(document).data
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "long-report.docx"
        source.write_bytes(word)
        characters = len(re.sub(r"\s+", "", text))
        print(f"document: {pages} pages (PDF of the same draft), {len(word) / 1024:.0f} KiB, "
              f"{characters} characters of Markdown")
        library, command = [], []
        for run in range(RUNS):
            project = copy_project(Path(tempfile.mkdtemp(dir=scratch)))
            run_config = generator.load_config(project / "reportgen.toml")
            started = time.perf_counter()
            result = import_docx(source, config=run_config, year=2022, report_id=f"r9{run}")
            library.append(time.perf_counter() - started)
            assert result.path.is_file() and len(result.images) == 3, (result.path, result.images)
            started = time.perf_counter()
            completed = subprocess.run([sys.executable, "-m", "generator", "import", str(source), "--year", "2022",
                                        "--config", str(project / "reportgen.toml"), "--no-source"],
                                       capture_output=True, cwd=project)
            command.append(time.perf_counter() - started)
            assert completed.returncode in (0, 1), completed.stderr.decode()
    print(f"import_docx (library):   median {statistics.median(library):.2f} s "
          f"(min {min(library):.2f}, max {max(library):.2f}) over {RUNS} runs")
    print(f"reportgen import (CLI):  median {statistics.median(command):.2f} s "
          f"(min {min(command):.2f}, max {max(command):.2f}) over {RUNS} runs")
    target = 2.0
    print("target < 2 s: " + ("met" if statistics.median(command) < target else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
