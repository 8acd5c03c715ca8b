"""Cold build of the sample year: local (`--jobs 2`) against a Dask cluster of 2 spawned single-threaded workers on
this machine (`--scheduler`), run back to back, alternately; prints the medians and the load average, and checks
that both give the same bytes. The cluster's start-up (its workers import reportgen and WeasyPrint) is not timed.

    .venv/bin/python benchmarks/dask_build.py [RUNS]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dask
from distributed import Client, LocalCluster

REPO = Path(__file__).resolve().parents[1]


def project(directory: Path) -> Path:
    root = directory / "project"
    root.mkdir()
    for name in ("reportgen.toml", "templates", "reports_src"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    return root


def cold_build(root: Path, out: str, *options: str) -> float:
    shutil.rmtree(root / out, ignore_errors=True)
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "generator", "build", "--out", out, *options], cwd=root, env=environment,
                   check=True, capture_output=True)
    return time.monotonic() - started


def outputs(out: Path) -> dict[str, bytes]:
    return {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*"))
            if path.is_file() and path.name not in ("manifest.json", ".reportgen.lock")}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-dask-") as directory:
        root = project(Path(directory))
        with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}), \
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                             local_directory=str(Path(directory) / "workers")) as cluster:
            with Client(cluster) as client:  # the workers import the renderers before the first timed build
                client.run(lambda: __import__("generator.render.pdf"))
            local, distributed = [], []
            for _run in range(runs):
                local.append(cold_build(root, "out-local", "--jobs", "2"))
                distributed.append(cold_build(root, "out-dask", "--scheduler", cluster.scheduler_address))
        same = outputs(root / "out-local") == outputs(root / "out-dask")
    print(f"cold build of the sample year (28 reports, volume), {runs} runs each, load {os.getloadavg()[0]:.1f}")
    print(f"  local, --jobs 2:            median {statistics.median(local):6.1f} s  {[round(t, 1) for t in local]}")
    print(f"  Dask, 2 workers × 1 thread: median {statistics.median(distributed):6.1f} s  "
          f"{[round(t, 1) for t in distributed]}")
    print(f"  outputs byte-identical: {same}")


if __name__ == "__main__":
    main()
