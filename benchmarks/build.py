"""Benchmark: builds of the sample year, side by side with pandoc (from the pypandoc-binary package).

Measured, each in a fresh process on a copy of the project:
  cold build        reportgen build (28 PDF + 28 DOCX + volume PDF + DOCX), empty output directory
  no-change build   the same again: nothing to render
  one-draft edit    one sentence added to one approved draft
  pandoc volume     pandoc --pdf-engine=weasyprint --toc, one PDF of the same approved drafts (no reports)
  DOCX volume       reportgen's Word volume writer alone vs pandoc md -> docx of the same Markdown
Each time is the median of BENCH_RUNS (default 3) runs, each on a fresh copy. Peak memory is measured in one more
cold build (and pandoc run) of its own, sampled every 20 ms: the largest PSS of the build's process tree (pages
shared between processes, such as the code the workers inherit from their fork server, counted once), and beside
it the sum of the processes' RSS (which counts shared pages once per process).
The user's cache (~/.cache/reportgen: font cmaps, decoded images, pinyin) is kept, as on any machine after its
first build; the output directory, and with it every laid-out unit, starts empty.
Usage: python benchmarks/build.py   (needs `pip install -e '.[bench]'`; `make bench` does it)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from procmem import timed

REPO = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "3"))  # every figure is the median of this many runs (memory: the worst)


def approved_markdown(root: Path) -> str:
    """The approved drafts as one Markdown document (title as a level-1 heading), as pandoc would get it."""
    sys.path.insert(0, str(REPO))
    from generator.core.config import load_config
    from generator.read.reader import read_draft

    config = load_config(root / "reportgen.toml")
    parts = []
    for path in sorted((root / "reports_src" / "2022").glob("r*.md")):
        draft = read_draft(path)
        if draft.fields["status"].value != config.front_matter.approved_status:
            continue
        parts.append(f"# {draft.fields['title'].value}\n\n{draft.body}\n")
    return "\n".join(parts)


def fresh_project(directory: Path, name: str) -> Path:
    root = directory / name
    root.mkdir()
    for item in ("reportgen.toml", "templates", "reports_src"):
        source = REPO / item
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / item)
    return root


def main() -> int:
    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
    samples: dict[str, list[float]] = {key: [] for key in ("cold", "nochange", "edit", "pandoc_pdf", "pandoc_docx",
                                                            "docx_volume")}
    results: dict[str, float] = {}
    build = [sys.executable, "-m", "generator", "build", "--format", "json"]
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
    with tempfile.TemporaryDirectory() as directory:
        for run in range(RUNS):
            # Each run on a fresh copy of the project: a cold build, then no change, then one draft edited.
            root = fresh_project(Path(directory), f"project-{run}")
            elapsed, _peak, cold = timed(build, root)
            assert cold.returncode == 0, cold.stderr
            samples["cold"].append(elapsed)
            samples["nochange"].append(timed(build, root)[0])
            draft = root / "reports_src" / "2022" / "r05.md"
            draft.write_text(draft.read_text(encoding="utf-8").replace(
                "## 六、经验启示", "## 六、经验启示\n\n本段为基准测试新增的一句话。"), encoding="utf-8")
            elapsed, _peak, edited = timed(build, root)
            assert edited.returncode == 0, edited.stderr
            samples["edit"].append(elapsed)
            results["volume_pdf_bytes"] = (root / "output" / "2022" / "volume.pdf").stat().st_size

            markdown = root / "volume.md"
            markdown.write_text(approved_markdown(root), encoding="utf-8")
            resources = f"--resource-path={root / 'reports_src' / '2022'}"
            pandoc_pdf = [pandoc, str(markdown), resources, "--pdf-engine=weasyprint", "--toc", "-o",
                          str(root / "pandoc.pdf"), "--metadata", "title=党建辅导员制项目课题成果汇编",
                          "--metadata", "lang=zh-CN"]
            elapsed, _peak, done = timed(pandoc_pdf, root)
            assert done.returncode == 0, done.stderr
            samples["pandoc_pdf"].append(elapsed)
            pandoc_docx = [pandoc, str(markdown), resources, "--toc", "-o", str(root / "pandoc.docx")]
            elapsed, _peak, done = timed(pandoc_docx, root)
            assert done.returncode == 0, done.stderr
            samples["pandoc_docx"].append(elapsed)
            # In a fresh process each time, so that no run is warmed by the previous one (pandoc starts afresh too).
            measured = subprocess.run([sys.executable, __file__, "--docx-volume", str(root)], capture_output=True,
                                      text=True, check=True)
            samples["docx_volume"].append(float(measured.stdout.split()[-1]))
        # Memory in runs of their own: reading every process's memory map 50 times a second costs CPU, which
        # would slow the timed runs.
        root = fresh_project(Path(directory), "project-memory")
        _elapsed, peak, cold = timed(build, root, memory=True)
        results["cold_peak"], results["cold_peak_pss"] = peak.rss, peak.pss
        assert cold.returncode == 0, cold.stderr
        _elapsed, peak, done = timed(pandoc_pdf, root, memory=True)
        results["pandoc_pdf_peak"] = peak.rss
        assert done.returncode == 0, done.stderr
    results.update({key: statistics.median(values) for key, values in samples.items()})

    rows = [
        ("cold build (28 PDF + 28 DOCX + volume PDF + DOCX)", f"{results['cold']:.1f} s", ""),
        ("pandoc --pdf-engine=weasyprint --toc, volume PDF only", f"{results['pandoc_pdf']:.1f} s", ""),
        ("ratio cold build / pandoc", f"{results['cold'] / results['pandoc_pdf']:.2f}", "≤ 1.0"),
        ("one-draft edit rebuild", f"{results['edit']:.1f} s ({results['edit'] / results['cold']:.0%} of cold)",
         "≤ 20%"),
        ("no-change rebuild", f"{results['nochange']:.2f} s ({results['nochange'] / results['cold']:.0%} of cold)",
         "≤ 5%"),
        ("DOCX volume writer alone", f"{results['docx_volume']:.2f} s", ""),
        ("pandoc md -> docx, same Markdown", f"{results['pandoc_docx']:.2f} s", ""),
        ("ratio DOCX volume / pandoc", f"{results['docx_volume'] / results['pandoc_docx']:.2f}", "≤ 1.0"),
        ("peak memory of the cold build (process tree, PSS)", f"{results['cold_peak_pss'] / 2**20:.0f} MB",
         "≤ 500 MB"),
        ("the same as a sum of RSS (shared pages counted per process)", f"{results['cold_peak'] / 2**20:.0f} MB",
         ""),
        ("peak memory of pandoc + WeasyPrint", f"{results['pandoc_pdf_peak'] / 2**20:.0f} MB", ""),
        ("volume PDF size", f"{results['volume_pdf_bytes'] / 2**20:.1f} MB", "≤ 6 MB"),
    ]
    print(f"| what | measured ({dt.date.today()}, {os.cpu_count()} cores) | target |\n|---|---|---|")
    for what, measured, target in rows:
        print(f"| {what} | {measured} | {target} |")
    print(json.dumps({key: round(value, 3) for key, value in results.items()}))
    return 0


def docx_volume_seconds(root: Path) -> float:
    """Time of the Word volume writer alone (the PDF layout it takes page numbers from is made first)."""
    sys.path.insert(0, str(REPO))
    from generator.build import worker
    from generator.core.config import load_config
    from generator.read.parse import parse
    from generator.read.reader import read_draft
    from generator.read.registry import load_registry
    from generator.read.volume_source import read_volume_source
    from generator.render.volume_docx import render_volume_docx
    from generator.render.volume_pdf import render_volume_pdf

    config = load_config(root / "reportgen.toml")
    worker.initialise(config, "zh_CN")
    docs = [parse(read_draft(path), config) for path in sorted((root / "reports_src" / "2022").glob("r*.md"))]
    docs = [doc for doc in docs if doc.meta.status == config.front_matter.approved_status]
    source = read_volume_source(config, "2022")
    registry = load_registry(config.registry_path)
    stamp = dt.datetime(2022, 12, 20)
    pdf = render_volume_pdf(config, "2022", docs, source, registry, timestamp=stamp)
    started = time.perf_counter()
    render_volume_docx(config, "2022", docs, source, pdf, timestamp=stamp)
    return time.perf_counter() - started


if __name__ == "__main__":
    if sys.argv[1:2] == ["--docx-volume"]:
        print(docx_volume_seconds(Path(sys.argv[2])))
        raise SystemExit(0)
    raise SystemExit(main())
