"""Benchmark: `reportgen check` on 1,000 generated drafts (target: <= 2 s wall on 2 cores).

The drafts are the sample corpus's 28 reports, copied with new ids and titles (so that the corpus-wide duplicate
checks run on 1,000 distinct reports) into a temporary project. The timed command is the real CLI in a fresh
process, as a user runs it. Usage: python benchmarks/check_1000.py [--drafts N] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_project(root: Path, count: int) -> None:
    sources = REPO / "reports_src"
    year = root / "reports_src" / "2022"
    year.mkdir(parents=True)
    shutil.copy(REPO / "reportgen.toml", root)
    shutil.copy(sources / "registry.yaml", root / "reports_src")
    shutil.copytree(sources / "2022" / "assets", year / "assets")
    originals = sorted((sources / "2022").glob("r*.md"))
    for number in range(count):
        source = originals[number % len(originals)]
        text = source.read_text(encoding="utf-8")
        title_line = next(line for line in text.splitlines() if line.startswith("title: "))
        text = text.replace(title_line, f"{title_line}（第{number + 1}篇）", 1)
        (year / f"d{number:04d}.md").write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--drafts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        make_project(root, args.drafts)
        command = [sys.executable, "-m", "generator", "check", "--format", "json"]
        times = []
        for _run in range(args.runs):
            started = time.perf_counter()
            result = subprocess.run(command, cwd=root, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if result.returncode not in (0, 1):
                print(result.stderr, file=sys.stderr)
                return 2
        summary = result.stdout[result.stdout.index('"summary"'):].split("}", 1)[0] + "}"
        print(f"reportgen check, {args.drafts} drafts, {args.runs} runs: median {statistics.median(times):.2f} s, "
              f"best {min(times):.2f} s (target <= 2.00 s); {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
