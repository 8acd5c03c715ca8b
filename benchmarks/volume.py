"""Benchmark: the annual volume at a group's scale (issue 19), the sample year copied FACTOR times.

On one corpus, built cold once (that takes minutes at 16×; `--root DIR` reuses a corpus built before):
  volume remade      every report reused, the volume's record and kept segments removed: the volume PDF joined
                     again from the kept units (each report's part written as a segment) and the Word volume
  one-draft edit     one sentence added to one approved draft (`corpus.edit_one_draft`), then `reportgen build`
  edit back          the sentence removed again
Each line gives the wall time of `reportgen build` and the peak PSS of its process tree (sampled every 50 ms).
Usage: python benchmarks/volume.py [FACTOR] [--root DIR]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build import _tree_memory  # noqa: E402 - the build benchmark's sampler
from corpus import YEAR, edit_one_draft, scaled_project  # noqa: E402

REPORTGEN = Path(sys.executable).with_name("reportgen")


def timed_build(root: Path) -> tuple[float, float]:
    """`reportgen build` in `root`: seconds and peak PSS (MB) of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen([str(REPORTGEN), "build"], cwd=root, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_memory(process.pid)[1])
        time.sleep(0.05)
    if process.returncode not in (0, 1):
        raise SystemExit(f"reportgen build failed in {root} ({process.returncode})")
    return time.perf_counter() - started, peak / 2**20


def main() -> None:
    arguments = sys.argv[1:]
    factor = int(arguments[0]) if arguments and arguments[0].isdigit() else 16
    root = Path(arguments[arguments.index("--root") + 1]) if "--root" in arguments else None
    if root is None:
        root = scaled_project(Path(tempfile.mkdtemp(prefix="reportgen-volume-")), factor)
        seconds, memory = timed_build(root)
        print(f"cold build ({factor}×)         {seconds:7.1f} s  {memory:6.0f} MB")
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


if __name__ == "__main__":
    main()
