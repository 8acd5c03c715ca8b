"""Benchmark: `reportgen check` on 1,000 generated drafts (target: <= 2 s wall on 2 cores).

The drafts are the sample corpus's 28 reports, copied with new ids and titles (so that the corpus-wide duplicate
checks run on 1,000 distinct reports) into a temporary project. The timed command is the real CLI in a fresh
process, as a user runs it. `check` keeps no results between runs (only `build` does), but the user cache does
keep facts (fonts' character maps, the compiled message catalog, the word cuts of titles): the runs get a user
cache of their own, empty for the first run ("cold", a counselor's first check on a fresh machine) and kept for
the others ("warm", the median of `--runs`). CPU time (user + system, of the command and its workers) is printed
beside the wall time: it depends less on what else the machine is doing.
Usage: python benchmarks/check_1000.py [--drafts N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
        root = Path(directory) / "project"
        make_project(root, args.drafts)
        command = [sys.executable, "-m", "generator", "check", "--format", "json"]
        environment = {**os.environ, "XDG_CACHE_HOME": str(Path(directory) / "cache")}
        runs = []  # (wall, cpu): the first with an empty user cache
        for _run in range(args.runs + 1):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            result = subprocess.run(command, cwd=root, capture_output=True, text=True, env=environment)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs.append((wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
            if result.returncode not in (0, 1):
                print(result.stderr, file=sys.stderr)
                return 2
        summary = json.dumps(json.loads(result.stdout)["summary"])
        (cold_wall, cold_cpu), warm = runs[0], runs[1:]
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"reportgen check, {args.drafts} drafts: warm (median of {args.runs}) "
              f"{statistics.median(wall for wall, _cpu in warm):.2f} s (best {min(wall for wall, _cpu in warm):.2f} s, "
              f"CPU {statistics.median(cpu for _wall, cpu in warm):.2f} s); cold (empty user cache) {cold_wall:.2f} s "
              f"(CPU {cold_cpu:.2f} s); target <= 2.00 s; load average {load}; summary {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
