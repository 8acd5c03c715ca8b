"""Handing a build's tasks to the worker pool and collecting their results.

Reports that go into a volume render first: a volume starts as soon as its reports are done (its parts are their
units), while the remaining reports still render. At most `jobs` report tasks are handed out at a time, so that
a volume that becomes ready does not queue behind reports. The Word volume needs only the reports' page counts
(its TOC prints them): when the previous build knows them all, this process writes it as soon as the workers have
their first tasks, and a worker makes it again only if a report came out with another page count. A report that
fails is taken out of its volume (`VolumeJob.exclude`); whatever a worker does, the `Supervisor` keeps the build
going.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.config import Config
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _, current_language
from generator.core.model import Diagnostic
from generator.core.verify import read_json

from .pool import WorkerPool
from .store import REPORT_RECORD, rendering_marker, report_record_path, trees_dir, units_dir
from .tasks import ReportOutput, ReportTask
from .worker import initialise, run_task

if TYPE_CHECKING:
    from .run import Progress, ReportRecord
    from .tasks import VolumeOutput
    from .volume import VolumeJob

log = logging.getLogger(__name__)


@dataclass
class VolumeState:
    """A volume being made in this build: which of its tasks were handed out and what they delivered."""

    job: VolumeJob
    guess: dict[str, int] | None            # the page counts a Word volume was started from, if it was
    submitted: set[str] = field(default_factory=set)
    outputs: dict[str, VolumeOutput] = field(default_factory=dict)
    stored: bool = False
    generation: int = 0                     # bumped when a report is excluded: tasks of an older one are void
    missed: bool = False                    # a PDF task started early found a report's unit missing

    def exclude(self, record: ReportRecord) -> bool:
        """Take a report that failed out of the volume, if it was to hold it (True then): what was made with it
        is dropped."""
        if not self.job.needs_render or record not in self.job.members:
            return False
        self.job.exclude(record)
        self.generation += 1
        self.guess = None
        self.outputs.clear()
        self.submitted.clear()
        return True


@dataclass(frozen=True)
class RunningReport:
    record: ReportRecord
    task: ReportTask


@dataclass(frozen=True)
class RunningVolume:
    state: VolumeState
    kind: str
    generation: int


Running = RunningReport | RunningVolume


class Scheduler:
    """Renders `to_render` and makes the volumes of `volume_jobs` that need it; `store_report(record, output)`
    writes a report's outputs (and marks it built or failed)."""

    def __init__(self, config: Config, to_render: list[ReportRecord], volume_jobs: list[VolumeJob], *, out: Path,
                 formats: tuple[str, ...], pool: WorkerPool, progress: Progress, environment: str,
                 store_report: Callable[[ReportRecord, ReportOutput], None]):
        self.config, self.out, self.formats, self.pool = config, out, formats, pool
        self.progress, self.environment, self.store_report = progress, environment, store_report
        self.to_render = to_render
        self.pending = [job for job in volume_jobs if job.needs_render]   # volumes whose reports are not all done
        for job in volume_jobs:
            if not job.needs_render:
                progress.advance(_("volume {year} unchanged").format(year=job.year))
        members = {path for job in self.pending for path in job.report_paths}
        self.queue = deque(sorted(to_render, key=lambda record: record.doc.path not in members))
        self.by_path = {record.doc.path: record for record in to_render}
        self.unfinished = set(self.by_path)
        self.states = [VolumeState(job, known_page_counts(job, self.by_path, out)) for job in self.pending]
        self.ready: list[VolumeState] = []                                 # volumes whose reports are all done
        self.running: dict[Future, Running] = {}
        self.supervisor = Supervisor(config, out)

    def task(self, record: ReportRecord) -> ReportTask:
        return ReportTask(record.doc.draft, self.formats, units_dir(self.out, record.doc.draft.year_dir),
                          self.environment, assets=tuple(record.assets), key=record.key)

    def run(self) -> None:
        self._work_while_workers_start()
        # Workers started early are used even for one task; otherwise one task runs in this process (but a
        # report, with a cluster: `distributed.py`).
        executor = self.pool.started() or (self.pool.start() if len(self.to_render) + len(self.pending) > 1
                                           or (self.to_render and not self.pool.local) else None)
        if executor is None:
            self._run_here()
            return
        while self.queue or self.running or self.pending or any(
                set(state.job.formats) - state.submitted for state in self.ready):
            self._start_ready_volumes()
            self._hand_out(executor)
            done, _pending = wait(self.running, timeout=self.supervisor.poll, return_when=FIRST_COMPLETED)
            if self.pool.local:  # a cluster's workers are the cluster's to stop
                self.supervisor.stop_overdue(self.running)
            broken = [entry for entry in (self._collect(future) for future in done) if entry is not None]
            if broken:
                executor = self._after_broken_pool(broken)

    def _run_here(self) -> None:
        """One task in all: no worker is started for it."""
        initialise(self.config, current_language())
        for record in self.to_render:
            self.store_report(record, run_task(self.task(record)))
            self.progress.advance(record.doc.report_id)
            if record.failed:
                for state in self.states:
                    state.exclude(record)
        for job in self.pending:
            if job.needs_render:  # not when a report it held failed under the keep-previous policy
                output = job.run_in_process()
                if job.needs_render:
                    job.store(output, self.out)
            self.progress.advance(_("volume {year}").format(year=job.year))

    def _start_ready_volumes(self) -> None:
        for job in [job for job in self.pending if not self.unfinished & set(job.report_paths)]:
            self.pending.remove(job)
            state = self._state(job)
            self.ready.append(state)
            if state.guess is not None and state.guess != known_page_counts(job, self.by_path, self.out,
                                                                            previous=False):
                state.guess = None  # a report changed length: the Word volume is made again
                state.outputs.pop("docx", None)
                state.submitted.discard("docx")

    def _hand_out(self, executor: ProcessPoolExecutor) -> None:
        isolating = self.supervisor.isolating
        for state in self.ready:
            for kind in state.job.formats:
                if kind in state.submitted or isolating(self.running):
                    continue
                if kind != "docx" or "pdf" not in state.job.formats:
                    self._submit_volume(executor, state, kind)
                elif "pdf" in state.outputs:
                    # The Word volume follows its PDF, from the reports' page counts: the front and back matter
                    # (whose pages its contents print) are in the unit cache by then, and it lays nothing out
                    # (two volume tasks laying the same matter out side by side took the most memory of a
                    # build). Its reports' blocks were kept by their workers (`docx_segments.py`).
                    self._submit_volume(executor, state, kind, page_counts=known_page_counts(
                        state.job, self.by_path, self.out, previous=False))
            self._finish_volume(state)
        if self.supervisor.suspects and not self.running:  # a worker died: each report then is tried again alone
            self._submit_report(executor, self.supervisor.suspects.popleft())
        while self.queue and not isolating(self.running) and sum(
                isinstance(entry, RunningReport) for entry in self.running.values()) < self.pool.jobs:
            self._submit_report(executor, self.queue.popleft())
        # Every report is handed out: a volume PDF starts now and waits for its reports' units, laid out on this
        # machine (a cluster's arrive with their reports' outputs: the volume starts once they are all done).
        if not self.queue and self.pool.local:
            for state in [self._state(job) for job in self.pending]:
                if "pdf" in state.job.formats and "pdf" not in state.submitted and not state.missed \
                        and not isolating(self.running):
                    waiting = frozenset(str(path) for path in self.unfinished & set(state.job.report_paths))
                    self._submit_volume(executor, state, "pdf", waiting_for=waiting)
        for state in self.states:
            if state.guess is not None and "docx" in state.job.formats and "docx" not in state.submitted:
                self._word_volume_here(state)  # the workers have their first tasks: this process has time

    def _submit_report(self, executor: ProcessPoolExecutor, record: ReportRecord) -> None:
        task = self.task(record)
        future = executor.submit(run_task, task)
        self.running[future] = RunningReport(record, task)
        self.supervisor.started(future, record)

    def _submit_volume(self, executor: ProcessPoolExecutor, state: VolumeState, kind: str,
                       waiting_for: frozenset[str] = frozenset(), page_counts: dict[str, int] | None = None) -> None:
        future = executor.submit(run_task, state.job.task(kind, page_counts, waiting_for=waiting_for))
        self.running[future] = RunningVolume(state, kind, state.generation)
        state.submitted.add(kind)

    def _collect(self, future: Future) -> Running | None:
        """Take a finished task's result; the task back if its pool broke under it."""
        entry = self.running.pop(future)
        try:
            result = future.result()
        except BrokenProcessPool:  # a worker died: every task running then fails so
            return entry
        if isinstance(entry, RunningReport):
            self._report_done(entry.record, result)
            return None
        state = entry.state
        if entry.generation != state.generation or not state.job.needs_render:
            return None  # made with a report that has failed since; its replacement is on its way
        if result.missing is not None:  # a report it waited for ended without its unit: again once it is done
            state.submitted.discard(entry.kind)
            state.missed = True
            return None
        failing = state.job.failing_members(result)
        for record in failing:  # not rendered in this build, and found unable to be set: again without it
            self._report_failed(record)
        if not failing:
            state.outputs[entry.kind] = result
            self._finish_volume(state)
        return None

    def _report_done(self, record: ReportRecord, output: ReportOutput) -> None:
        self.store_report(record, output)
        self.unfinished.discard(record.doc.path)
        self.progress.advance(record.doc.report_id)
        if record.failed:
            self._report_failed(record)

    def _report_failed(self, record: ReportRecord) -> None:
        """A volume goes on without a report that failed (`VolumeJob.exclude`): what it made so far is dropped."""
        for state in self.states:
            if state.exclude(record) and not state.job.needs_render:  # keep-previous, or nothing left
                self.progress.advance(_("volume {year}").format(year=state.job.year))
                self.pending[:] = [job for job in self.pending if job is not state.job]
                self.ready[:] = [other for other in self.ready if other is not state]

    def _finish_volume(self, state: VolumeState) -> None:
        """Store a volume once its reports are done and its PDF and Word tasks have both delivered."""
        from .volume import merge_outputs

        if state.job not in self.pending and set(state.outputs) == set(state.job.formats) and not state.stored:
            state.stored = True
            state.job.store(merge_outputs([state.outputs[kind] for kind in state.job.formats]), self.out)
            self.progress.advance(_("volume {year}").format(year=state.job.year))

    def _after_broken_pool(self, broken: list[Running]) -> ProcessPoolExecutor | None:
        from .tasks import VolumeOutput

        broken += [self.running.pop(future) for future in list(self.running)]  # these fail with the same pool
        executor = self.pool.restart()
        for entry, verdict in self.supervisor.after_broken_pool(broken):
            if isinstance(entry, RunningReport) and verdict is not None:  # the report that killed its worker
                self._report_done(entry.record, ReportOutput(path=entry.record.doc.path, diagnostics=[verdict]))
            elif isinstance(entry, RunningReport):
                if entry.record not in self.supervisor.suspects:
                    self.queue.appendleft(entry.record)  # innocent: rendered again as usual
            else:
                entry.state.submitted.discard(entry.kind)
                if verdict is not None:
                    entry.state.outputs[entry.kind] = VolumeOutput(diagnostics=[verdict])
                    entry.state.submitted.add(entry.kind)
                    self._finish_volume(entry.state)
        return executor

    def _state(self, job: VolumeJob) -> VolumeState:
        return next(state for state in self.states if state.job is job)

    def _work_while_workers_start(self) -> None:
        """While the fork server is still importing the renderers, this process would be idle. It parses the
        drafts the workers will render first and keeps their trees in the build's tree store
        (`parse.markdown_tree`), where the worker rendering a report and the volume's tasks find them instead of
        each parsing the draft again (setting Python-Markdown up alone takes 30 ms in each process); and it
        imports what writing a Word volume here needs (`_word_volume_here`)."""
        from generator.read.parse import markdown_tree

        for record in self.queue:
            if not self.pool.starting():
                break
            try:
                markdown_tree(record.doc.draft.body,
                              store=trees_dir(units_dir(self.out, record.doc.draft.year_dir)))
            except Exception:  # noqa: BLE001 - the worker meets it again and reports it
                log.debug("parsing %s ahead of its worker failed", record.doc.path, exc_info=True)
        if self.pool.starting() and any(state.guess is not None and "docx" in state.job.formats
                                        for state in self.states):
            from generator.render import volume_docx, volume_pdf  # noqa: F401 - for `_word_volume_here`, while idle

    def _word_volume_here(self, state: VolumeState) -> None:
        """Write a Word volume in this process, from the page counts the previous build knows (its TOC prints
        them; it needs no layout, and so no WeasyPrint), while the workers render the reports and the volume
        PDF. Should a report come out with another page count, a worker makes it again (`_start_ready_volumes`)."""
        initialise(self.config, current_language())
        state.outputs["docx"] = run_task(state.job.task("docx", state.guess))
        state.submitted.add("docx")


def known_page_counts(job: VolumeJob, to_render: dict[Path, ReportRecord], out: Path, *,
                      previous: bool = True) -> dict[str, int] | None:
    """Page counts of a volume's reports: of those rendered in this build, with `previous` the counts of their
    last build (None if one is unknown), otherwise their new ones; of the others, their reused counts."""
    counts, reused = {}, job.known_pages
    for path in job.report_paths:
        record = to_render.get(path)
        if record is not None and previous:
            cached = read_json(report_record_path(out, record.doc.draft.year_dir, record.doc.report_id),
                               REPORT_RECORD)
            if cached is None:
                return None
            pages = cached["pages"]
        elif record is not None:
            pages = record.pages
        else:
            pages = reused.get(path, 0)
        if not pages:
            return None
        counts[str(path)] = pages
    return counts


class Supervisor:
    """Keeps the build going whatever a worker does. A worker that dies (a crash in a C library, the kernel's
    out-of-memory killer, a signal) breaks the whole pool, and every task running then fails with it: the
    workers are replaced, and each report that was rendering is tried again alone; one that kills its worker
    again fails (RND608), the others are built. A report past its time limit whose worker's own timer cannot
    stop it (stuck inside a C library) is stopped from here: its worker is killed (RND607), and the reports
    beside it are rendered again."""

    def __init__(self, config: Config, out: Path):
        self.config, self.out = config, out
        self.poll = 1.0
        self.suspects: deque[ReportRecord] = deque()
        self._tried: set = set()               # reports (paths) and volumes (year, kind) tried again alone
        self._stopped: set[Path] = set()       # reports whose worker this process killed at the time limit
        self._started: dict[Future, tuple[float, ReportRecord]] = {}

    def started(self, future: Future, record: ReportRecord) -> None:
        self._started[future] = (time.monotonic(), record)

    def isolating(self, running: dict[Future, Running]) -> bool:
        """While suspects wait or one runs alone, nothing else is handed out."""
        return bool(self.suspects) or any(isinstance(entry, RunningReport) and entry.record.doc.path in self._tried
                                          for entry in running.values())

    def _marker(self, record: ReportRecord) -> Path:
        return rendering_marker(units_dir(self.out, record.doc.draft.year_dir), record.doc.path)

    def stop_overdue(self, running: dict[Future, Running]) -> None:
        timeout = self.config.build.report_timeout
        limit = timeout + min(15.0, max(2.0, timeout / 4))  # the worker's own timer first, then this process
        for future, (started, record) in list(self._started.items()):
            if future not in running:
                del self._started[future]
            elif time.monotonic() - started > limit and record.doc.path not in self._stopped:
                try:
                    os.kill(int(self._marker(record).read_text(encoding="ascii")), signal.SIGKILL)
                except (OSError, ValueError):  # not started yet (queued behind a volume task): count from now
                    self._started[future] = (time.monotonic(), record)
                    continue
                log.warning("stopped the worker rendering %s: past %s s", record.doc.path, limit)
                self._stopped.add(record.doc.path)

    def after_broken_pool(self, entries: list[Running]) -> list[tuple[Running, Diagnostic | None]]:
        """What becomes of the tasks that were running when their pool broke: each with None (to run again) or
        the diagnostic it fails with. A report whose worker this process killed is to blame, and the others run
        again as usual; otherwise every report is a suspect, tried again alone, and fails if it breaks the pool
        a second time."""
        stopped = {entry.record.doc.path for entry in entries if isinstance(entry, RunningReport)} & self._stopped
        verdicts: list[tuple[Running, Diagnostic | None]] = []
        for entry in entries:
            if isinstance(entry, RunningVolume):
                key = (entry.state.job.year, entry.kind)
                if key in self._tried and not stopped:
                    verdicts.append((entry, diagnostic("RND608", self.config.sources_dir / entry.state.job.year,
                                                       (1, 1), _(
                        "the process making this volume ended abruptly, twice (a crash, or more memory than the "
                        "{limit} MB a worker may use)").format(limit=self.config.build.worker_memory_mb))))
                else:
                    self._tried.add(key)
                    verdicts.append((entry, None))
                continue
            record = entry.record
            self._marker(record).unlink(missing_ok=True)
            if record.doc.path in stopped:
                verdicts.append((entry, diagnostic("RND607", record.doc.path, (1, 1), _(
                    "rendering took longer than {seconds} s and was stopped").format(
                    seconds=self.config.build.report_timeout))))
            elif stopped:
                verdicts.append((entry, None))
            elif record.doc.path in self._tried:
                verdicts.append((entry, diagnostic("RND608", record.doc.path, (1, 1), _(
                    "the process rendering this report ended abruptly, twice (a crash, or more memory than the "
                    "{limit} MB a worker may use); the other reports were built").format(
                    limit=self.config.build.worker_memory_mb))))
            else:
                self._tried.add(record.doc.path)
                self.suspects.append(record)
                verdicts.append((entry, None))
        return verdicts
