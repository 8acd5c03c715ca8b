"""Benchmark: the annual volume at a group's scale (issue 19), the sample year copied FACTOR times.

On one corpus, built cold once (that takes minutes at 16×; `--root DIR` reuses a corpus built before, by the same
reportgen: another one's cache is of no use to it):
  volume remade      every report reused, the volume's record and kept segments removed: the volume PDF joined
                     again from the kept units (each report's part written as a segment) and the Word volume
  one-draft edit     one sentence added to one approved draft (`corpus.edit_one_draft`), then `reportgen build`
  edit back          the sentence removed again
Each line gives the wall time of `reportgen build` and the peak PSS of its process tree (sampled every 50 ms).

With `--command`, `reportgen volume --year 2022` instead (it renders no report: each report's unit is found by
the key its last build recorded, `run._recorded_unit`), after the build, `--runs N` times each (median, range):
  unchanged          nothing changed since the build: the volume is reused
  preface edited     a new sentence in `_volume.md`'s preface: the volume is made again from the kept units
  draft edited       a new sentence in one approved draft (r05): the volume lays that report out itself
Each run adds another sentence, so that every run has the front matter (and the draft) to lay out again; the
sources are restored at the end. CPU is that of the command and all its processes.
Usage: python benchmarks/volume.py [FACTOR] [--root DIR] [--command [--runs N]]
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import YEAR, edit_one_draft, scaled_project  # noqa: E402
from procmem import timed  # noqa: E402 - the build benchmarks' sampler

REPORTGEN = Path(sys.executable).with_name("reportgen")
ENVIRONMENT = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}


def timed_run(root: Path, *arguments: str) -> tuple[float, float, float]:
    """`reportgen ARGUMENTS` in `root`: wall seconds, CPU seconds of its process tree, peak PSS (MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, peak, completed = timed([str(REPORTGEN), *arguments], root, memory=True, interval=0.05,
                                     env=ENVIRONMENT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        raise SystemExit(f"reportgen {' '.join(arguments)} failed in {root} ({completed.returncode}):\n"
                         f"{completed.stdout}{completed.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, peak.pss / 2**20


def timed_build(root: Path) -> tuple[float, float]:
    """`reportgen build` in `root`: seconds and peak PSS (MB) of its process tree."""
    seconds, _cpu, memory = timed_run(root, "build")
    return seconds, memory


def build_cases(root: Path) -> None:
    cache = root / "output" / ".cache" / YEAR
    (cache / "_volume.json").unlink(missing_ok=True)
    for kept in (*cache.glob("units/*.pdfseg"), *cache.glob("units/*.segment")):
        kept.unlink()
    seconds, memory = timed_build(root)
    print(f"volume remade from units     {seconds:7.1f} s  {memory:6.0f} MB")
    draft = root / "reports_src" / YEAR / "r05.md"
    original = draft.read_bytes()
    edit_one_draft(root)
    seconds, memory = timed_build(root)
    print(f"one-draft edit               {seconds:7.1f} s  {memory:6.0f} MB")
    draft.write_bytes(original)
    seconds, memory = timed_build(root)
    print(f"edit back                    {seconds:7.1f} s  {memory:6.0f} MB  (load {os.getloadavg()[0]:.1f})")


def _add_sentence(path: Path, after: str, sentence: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(after, f"{after}\n\n{sentence}", 1) if after else
                    text.rstrip("\n") + f"\n\n{sentence}\n", encoding="utf-8")


def command_cases(root: Path, runs: int) -> None:
    sources = root / "reports_src" / YEAR
    preface, draft = sources / "_volume.md", sources / "r05.md"
    originals = {path: path.read_bytes() for path in (preface, draft)}
    cases = {"unchanged": lambda run: None,
             "preface edited": lambda run: _add_sentence(preface, "## 前言", f"本书前言新增的第{run}句。"),
             "draft edited": lambda run: _add_sentence(draft, "", f"本段为基准测试添加的第{run}句话。")}
    volume = ("volume", "--year", YEAR)
    try:
        timed_run(root, *volume)  # whatever the last build left to do for the volume: done before timing
        for name, change in cases.items():
            results = []
            for run in range(1, runs + 1):
                change(run)
                results.append(timed_run(root, *volume))
            walls, cpus, peaks = zip(*results)
            print(f"reportgen volume, {name:15} {statistics.median(walls):7.1f} s (runs {min(walls):.1f}–"
                  f"{max(walls):.1f})  CPU {statistics.median(cpus):6.1f} s  {max(peaks):6.0f} MB  "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        for path, data in originals.items():
            path.write_bytes(data)


def main() -> None:
    arguments = sys.argv[1:]
    factor = int(arguments[0]) if arguments and arguments[0].isdigit() else 16
    root = Path(arguments[arguments.index("--root") + 1]) if "--root" in arguments else None
    runs = int(arguments[arguments.index("--runs") + 1]) if "--runs" in arguments else 3
    if root is None:
        root = scaled_project(Path(tempfile.mkdtemp(prefix="reportgen-volume-")), factor)
        seconds, memory = timed_build(root)
        print(f"cold build ({factor}×)         {seconds:7.1f} s  {memory:6.0f} MB")
    if "--command" in arguments:
        command_cases(root, runs)
    else:
        build_cases(root)


if __name__ == "__main__":
    main()
