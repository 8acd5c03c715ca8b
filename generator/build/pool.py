"""The build's worker processes.

Workers fork from a fork server: a clean process, started afresh (a forked build would copy its open lock file
and loggers), that imports the renderers once for all workers (`build/preload.py`). The command line starts
the fork server first thing (`start_fork_server`), so that it imports WeasyPrint while this process loads the
configuration and checks the drafts; workers themselves start only when a report must be rendered.

A worker retires after `TASKS_PER_WORKER` tasks and a fresh one forks in its place (≈ 0.1 s): what a layout leaves
behind (the heap WeasyPrint, Pango and the Python allocator keep) grows with every report a worker renders, ≈ 0.3 MB
each, which a long build of a few hundred reports would otherwise carry to its end, into the volume's task.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from contextlib import contextmanager
from multiprocessing import forkserver, get_context
from typing import TYPE_CHECKING

from generator.core.i18n import current_language

from . import _mp_private

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from generator.core.config import Config

log = logging.getLogger(__name__)
PRELOAD = ["generator.build.preload"]
TASKS_PER_WORKER = 40  # then a fresh worker takes over (the warm-up task counts as one)


def _context():
    context = get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_fork_server() -> None:
    """Start the fork server now (it imports the renderers in the background); idempotent. It is tied to the
    calling thread (`die_with_parent`): call it from a thread that lives as long as the builds do."""
    from multiprocessing import resource_tracker

    _context()
    # The tracker first: starting it, multiprocessing blocks and then unblocks SIGINT itself, which would lift
    # the block below before the fork server is started.
    resource_tracker.ensure_running()
    with _ctrl_c_held():
        forkserver.ensure_running()


@contextmanager
def _ctrl_c_held():
    """Ctrl-C reaches the whole process group. A process started here starts with SIGINT blocked (a signal mask
    is inherited) until it ignores it (`_preload`; multiprocessing's resource tracker does so itself), so that one
    pressed while it starts up leaves no traceback of its own: the build stops it."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def stop_workers(executor: ProcessPoolExecutor) -> None:
    """Kill the executor's workers at once (an interrupted build must not wait for a layout to end), then let
    it go. `ProcessPoolExecutor` offers no public way to do this before Python 3.14 (`_mp_private.py`)."""
    _kill(executor)
    executor.shutdown(wait=True, cancel_futures=True)  # prompt now: its queues' semaphores are released


def _kill(executor: ProcessPoolExecutor) -> None:
    _mp_private.kill_workers(executor)


def stop_fork_server() -> None:
    """Stop a fork server that no worker will fork from (a build with nothing to render): it may still be
    importing, and it holds this process's standard output and error open, so that a nightly job reading them
    would wait for it. A later `start` starts it again."""
    _mp_private.stop_fork_server()


class WorkerPool:
    """The worker processes, started on demand or early (see `_probably_stale`); `None` pool with one job."""

    local = True  # its workers share this machine's unit cache (`distributed.DaskPool` is not)

    def __init__(self, config: Config, jobs: int):
        self.config, self.jobs, self.executor = config, jobs, None
        self._starting: threading.Thread | None = None

    def __enter__(self):
        return self

    def start_early(self) -> None:
        """Start the workers from a thread: starting the first worker waits until the fork server has imported
        the renderers, and this process has the drafts to check meanwhile."""
        if self.jobs > 1 and self.executor is None and self._starting is None:
            start_fork_server()  # from this thread: the fork server dies with the thread that started it
            self._starting = threading.Thread(target=self._start_quietly, name="reportgen-workers", daemon=True)
            self._starting.start()

    def _start_quietly(self) -> None:
        try:
            self.start()
        except Exception:  # noqa: BLE001 - the build was stopped meanwhile (its fork server is gone)
            log.debug("the workers did not start", exc_info=True)

    def starting(self) -> bool:
        """Whether workers started early are still getting ready."""
        return self._starting is not None and self._starting.is_alive()

    def started(self) -> ProcessPoolExecutor | None:
        """The executor, if the workers were started (an early start is waited for)."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        return self.executor

    def start(self) -> ProcessPoolExecutor | None:
        if self.executor is None and self.jobs > 1:
            from .worker import initialise_worker, warm_up

            if threading.current_thread() is not self._starting:
                start_fork_server()
            with _ctrl_c_held():
                executor = _mp_private.recycling_executor(
                    max_workers=self.jobs, mp_context=_context(), max_tasks_per_child=TASKS_PER_WORKER,
                    initializer=initialise_worker,
                    initargs=(self.config, current_language(), dict(os.environ), os.getcwd(),
                              logging.getLogger().isEnabledFor(logging.DEBUG)))
                for _worker in range(self.jobs):
                    executor.submit(warm_up)
            self.executor = executor
        return self.executor

    def restart(self) -> ProcessPoolExecutor | None:
        """Fresh workers after one died (a pool with a dead worker is broken: it takes no more tasks)."""
        if self.executor is not None:
            stop_workers(self.executor)
            self.executor = None
        return self.start()

    def __exit__(self, exc_type, *exc):
        interrupted = exc_type is not None and not issubclass(exc_type, Exception)  # Ctrl-C, SIGTERM
        if interrupted:
            stop_fork_server()  # first: workers still being started fail at once, and go with it
            if self._starting is not None:
                self._starting.join(timeout=10)
            if self.executor is not None:
                stop_workers(self.executor)
            return
        if self.started() is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
