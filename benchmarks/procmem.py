"""Peak memory of a command's process tree, sampled from /proc (Linux), shared by the build benchmarks.

`timed(command, cwd, memory=True)` runs a command and samples, every `interval` seconds, the PSS of the process
and all its descendants (a page shared by several processes, such as the code a fork server's workers inherit,
counts once) and the sum of their RSS (which counts shared pages once per process). With `profile=True` it also
keeps each process's own peak PSS, labelled by its role in a build: the main process, multiprocessing's fork
server and resource tracker, the workers (children of the fork server), any other program by its name.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def _children(pid: int) -> list[int]:
    """Child processes of `pid`, from /proc/<pid>/task/*/children (cheap: no scan of all of /proc)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:
        pass
    return found


def _process_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, pss


def _tree(pid: int) -> list[tuple[int, int]]:
    """(pid, parent pid) of a process and all its descendants, parents first."""
    found, stack = [], [(pid, 0)]
    while stack:
        current, parent = stack.pop()
        found.append((current, parent))
        stack.extend((child, current) for child in _children(current))
    return found


def tree_memory(pid: int) -> tuple[int, int]:
    """Resident memory (bytes) of a process and all its descendants: the sum of their RSS, and of their PSS."""
    rss = pss = 0
    for current, _parent in _tree(pid):
        one = _process_memory(current)
        rss, pss = rss + one[0], pss + one[1]
    return rss, pss


def _role(pid: int, parent_role: str) -> str:
    if parent_role == "fork server":  # a worker forked from it has its command line
        return "worker"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "gone"
    if "multiprocessing.forkserver" in command:
        return "fork server"
    if "multiprocessing.resource_tracker" in command:
        return "resource tracker"
    return name


@dataclass
class Peak:
    """Peak memory of a process tree while a command ran (bytes)."""

    rss: int = 0                      # largest sum of the tree's RSS
    pss: int = 0                      # largest sum of the tree's PSS
    processes: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> (role, its own peak PSS)
    at_peak: dict[int, int] = field(default_factory=dict)  # pid -> its PSS when the tree's PSS peaked

    def by_role(self) -> list[tuple[str, int]]:
        """Each process's peak PSS, labelled (workers numbered in the order they started), largest first within
        a role."""
        rows, workers = [], 0
        for pid, (role, pss) in sorted(self.processes.items()):
            if role == "gone":
                continue
            if role == "worker":
                workers += 1
                role = f"worker {workers}"
            at_peak = f", {self.at_peak[pid] // 2**20} MB at the peak" if pid in self.at_peak else ""
            rows.append((f"{role} (pid {pid}{at_peak})", pss))
        return rows


def timed(command: list[str], cwd: Path, *, memory: bool = False, profile: bool = False, interval: float = 0.02,
          env: dict | None = None) -> tuple[float, Peak, subprocess.CompletedProcess]:
    """Wall time of `command`; with `memory` (or `profile`) the peak memory of its process tree, sampled every
    `interval` seconds; with `profile` each process's own peak too."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = Peak()
    roles: dict[int, str] = {process.pid: "main"}
    done = threading.Event()

    def sample():
        while not done.is_set():
            rss = pss = 0
            moment = {}
            for pid, parent in _tree(process.pid):
                one_rss, one_pss = _process_memory(pid)
                rss, pss = rss + one_rss, pss + one_pss
                moment[pid] = one_pss
                if profile:
                    role = roles.get(pid) or _role(pid, roles.get(parent, ""))
                    if role in ("worker", "fork server", "resource tracker", "main"):
                        roles[pid] = role  # final; another name may be a process not yet past its exec
                    if role != "gone":
                        peak.processes[pid] = (role, max(peak.processes.get(pid, (role, 0))[1], one_pss))
            if pss > peak.pss:
                peak.at_peak = moment
            peak.rss, peak.pss = max(peak.rss, rss), max(peak.pss, pss)
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory or profile:
        sampler.start()
    stdout, stderr = process.communicate()
    done.set()
    if memory or profile:
        sampler.join()
    elapsed = time.perf_counter() - started
    return elapsed, peak, subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
