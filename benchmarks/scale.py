"""Benchmark: the build at scale, the sample year copied 1×, 4× and 16× (`corpus.py`), all in one run.

For each factor, on a fresh copy of the corpus, each in a fresh `reportgen build` process:
  cold build        empty output directory (peak memory sampled meanwhile: the PSS of the whole process tree)
  no-change build   the same again: nothing to render (the journal replays it)
  one-draft edit    one sentence added to one approved draft (`corpus.edit_one_draft`)
  … without volume  then another draft edited, built with --no-volume: the part of an edit that is not the
                    volume's (checking every draft, the report, records, manifest)
Times are medians of `--runs` runs (memory: the worst); each is also given as a ratio to the 1× figure of the same
run (the issue's targets: cold ≤ 16.5× at 16×, edit and no-change within 1.5× of 1×; peak PSS ≤ 500 MB).
The user's cache (~/.cache/reportgen) is kept, as on any machine after its first build.
`--profile` adds each process's own peak PSS in the cold builds (main process, fork server, every worker …), to
see where the memory goes.
Usage: python benchmarks/scale.py [--factors 1,4,16] [--runs 1] [--profile] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from corpus import YEAR, edit_one_draft, scaled_project
from procmem import timed

MB = 2**20


def measure(directory: Path, factor: int, runs: int, profile: bool) -> dict:
    build = [sys.executable, "-m", "generator", "build", "--format", "json"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1700000000")}
    times: dict[str, list[float]] = {"cold": [], "nochange": [], "edit": [], "edit_reports": []}
    result: dict = {"factor": factor, "peak_pss": 0, "peak_rss": 0, "profiles": []}
    for run in range(runs):
        root = scaled_project(directory, factor, f"corpus-{factor}x-{run}")
        elapsed, peak, done = timed(build, root, memory=True, profile=profile, interval=0.05, env=env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        times["cold"].append(elapsed)
        result["peak_pss"], result["peak_rss"] = max(result["peak_pss"], peak.pss), max(result["peak_rss"], peak.rss)
        if profile:
            result["profiles"].append(peak.by_role())
        manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
        volume = next(item for item in manifest["volumes"] if item["year"] == YEAR)
        result["reports"], result["pages"] = len(manifest["reports"]), volume["pages"]
        result["volume_pdf"] = volume["outputs"]["pdf"]["bytes"]
        elapsed, _peak, done = timed(build, root, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        times["nochange"].append(elapsed)
        edit_one_draft(root)
        elapsed, _peak, done = timed(build, root, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        times["edit"].append(elapsed)
        # The same edit of another draft without the volume: the part of an edit that is not the volume's.
        edit_one_draft(root, "r06")
        elapsed, _peak, done = timed([*build, "--no-volume"], root, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        times["edit_reports"].append(elapsed)
    result.update({key: statistics.median(values) for key, values in times.items()})
    return result


def table(results: list[dict]) -> str:
    base = results[0]
    lines = [f"| corpus | reports | volume pages | cold build | one-draft edit | edit without volume | no-change rebuild | "
             f"peak memory (PSS, all processes) | volume PDF |", "|---|---|---|---|---|---|---|---|---|"]
    for item in results:
        def cell(key: str) -> str:
            return f"{item[key]:.{2 if item[key] < 10 else 1}f} s ({item[key] / base[key]:.2f}× {base['factor']}×)"
        lines.append(f"| {item['factor']}× | {item['reports']} | {item['pages']:,} | {cell('cold')} | {cell('edit')} "
                     f"| {cell('edit_reports')} | {cell('nochange')} | {item['peak_pss'] / MB:,.0f} MB | {item['volume_pdf'] / MB:.1f} MB |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", default="1,4,16", help="corpus sizes, comma-separated (default 1,4,16)")
    parser.add_argument("--runs", type=int, default=1, help="runs per corpus; times are medians (default 1)")
    parser.add_argument("--profile", action="store_true", help="each process's own peak PSS in the cold builds")
    parser.add_argument("--keep", type=Path, help="build the corpora in this directory and keep them")
    args = parser.parse_args()
    factors = [int(item) for item in args.factors.split(",")]
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
    results = []
    with tempfile.TemporaryDirectory(prefix="reportgen-scale-") as scratch:
        directory = args.keep or Path(scratch)
        for factor in factors:
            results.append(measure(directory, factor, args.runs, args.profile))
            print(f"{factor}×: cold {results[-1]['cold']:.1f} s, edit {results[-1]['edit']:.1f} s, "
                  f"no change {results[-1]['nochange']:.2f} s, peak {results[-1]['peak_pss'] / MB:.0f} MB",
                  file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(f"Measured {dt.date.today()}, {os.cpu_count()} cores, load average at the end {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}, {args.runs} run(s) per corpus.\n")
    print(table(results))
    if args.profile:
        for item in results:
            for number, rows in enumerate(item["profiles"], 1):
                print(f"\n{item['factor']}× cold build {number}, each process's peak PSS:")
                for role, pss in rows:
                    print(f"  {role:40} {pss / MB:8.0f} MB")
    print(json.dumps([{key: value for key, value in item.items() if key != "profiles"} for item in results]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
