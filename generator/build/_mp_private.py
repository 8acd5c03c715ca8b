"""The one module that touches private names of Python's `multiprocessing` and `concurrent.futures`.

The build needs three things the standard library offers no public way to do (before Python 3.14):
- stop the fork server (`multiprocessing.forkserver._forkserver`, its `_forkserver_pid` and `_stop()`): a build
  with nothing to render, or an interrupted one, must not leave it importing the renderers while it holds the
  command's standard output and error open;
- kill a `ProcessPoolExecutor`'s workers at once (`_processes`; Python 3.14 has `terminate_workers`/
  `kill_workers`, used when present);
- replace a worker that retired at its task quota (`max_tasks_per_child`) even when the executor believes an idle
  worker is left: Python 3.11 to 3.13.9 count idle workers wrongly and then start no replacement, until no
  worker is left and the build waits forever (CPython gh-115634; `RecyclingExecutor`).

`pyproject.toml` pins `requires-python` to the versions the suite runs against, and
`tests/test_private_hooks.py` fails loudly if any of these names changes shape.
"""

from __future__ import annotations

import os
import signal
from multiprocessing import forkserver
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


def kill_workers(executor: ProcessPoolExecutor) -> None:
    """SIGKILL every worker process of `executor` (the executor itself is left to be shut down)."""
    public = getattr(executor, "kill_workers", None)  # Python 3.14
    if public is not None:
        try:
            public()
        except Exception:  # noqa: BLE001 - already shut down: nothing left to kill
            pass
        return
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        try:
            process.kill()
        except (OSError, AttributeError):
            pass


def the_fork_server():
    """multiprocessing's one fork server object (its private module global)."""
    return forkserver._forkserver


def stop_fork_server() -> None:
    """Kill the fork server if one runs, and let multiprocessing reap it (`_stop`): a later
    `forkserver.ensure_running()` starts a new one."""
    server = the_fork_server()
    pid = getattr(server, "_forkserver_pid", None)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server._stop()


def recycling_executor(**options) -> ProcessPoolExecutor:
    """A `ProcessPoolExecutor` whose workers each retire after `max_tasks_per_child` tasks and are replaced at
    once: below its number of workers it always starts one (the fix of CPython gh-115634, for the versions
    without it; it only starts workers sooner where that fix is in)."""
    from concurrent.futures import ProcessPoolExecutor

    class RecyclingExecutor(ProcessPoolExecutor):
        def _adjust_process_count(self):
            self._idle_worker_semaphore.acquire(blocking=False)  # a token that may be stale: never trusted
            if len(self._processes) < self._max_workers:
                self._spawn_process()

    return RecyclingExecutor(**options)
