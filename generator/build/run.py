"""The main job: check, render every valid report, compile each year's volume, write the manifest.

    build(config, ...)
      1. lock the output directory (a second build is refused at once: BuildLocked, exit 3)
      2. check every draft (the same `check_paths` as `reportgen check`)
      3. render reports whose content hash changed, in worker processes; reuse the others
      4. compile each year's volume from the approved reports (skipped when nothing it depends on changed)
      5. write every output atomically, then `manifest.json`

This module is the only one that writes outputs (but for the manifest of a replayed build, `journal.py`). A
report that fails stops nothing else; the result's exit status says whether anything failed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import signal
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from generator import __version__
from generator.core.atomic import atomic_write
from generator.core.config import Config, require_resources
from generator.core.diagnostics import diagnostic
from generator.core.digest import sha256_bytes, sha256_file
from generator.core.i18n import _, current_language
from generator.core.model import Diagnostic, Document, Severity, fails, relative_to_project
from generator.core.verify import read_json
from generator.read.discover import discover_drafts

from .keys import environment_key, report_key
from .pool import WorkerPool, stop_fork_server
from .store import (
    REPORT_RECORD,
    CheckMemo,
    OutputLock,
    cached_volume_outputs,
    check_memo_path,
    intact,
    read_report_record,
    remove_temporaries,
    rendering_marker,
    report_record_path,
    report_record_paths,
    trees_dir,
    units_dir,
)
from .worker import ReportOutput, initialise, render_report

log = logging.getLogger(__name__)
FORMATS = ("pdf", "docx")
MANIFEST = "manifest.json"


@dataclass
class ReportRecord:
    doc: Document
    key: str = ""
    result: str = "pending"  # built | reused | failed | skipped
    units: list[str] = field(default_factory=list)  # keys of the laid-out units its outputs came from
    outputs: dict[str, dict] = field(default_factory=dict)
    pages: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stale: dict[str, dict] = field(default_factory=dict)  # previous outputs left in place by a failure

    @property
    def failed(self) -> bool:
        return self.result == "failed"


@dataclass
class BuildResult:
    reports: list[ReportRecord]
    volumes: list[dict]
    corpus_diagnostics: list[Diagnostic]
    duration: float
    exit_status: int
    manifest_path: Path


class Progress:
    """What the build reports while it runs; the CLI supplies a terminal or plain-log implementation."""

    def start(self, total: int, description: str) -> None: ...
    def advance(self, description: str) -> None: ...
    def finish(self) -> None: ...


def _outputs_for(doc: Document, out: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    directory = out / doc.draft.year_dir / "reports"
    return {kind: directory / f"{doc.report_id}.{kind}" for kind in formats}


def _record_path(out: Path, doc: Document) -> Path:
    return report_record_path(out, doc.draft.year_dir, doc.report_id)


def _reusable(record: ReportRecord, out: Path, targets: dict[str, Path]) -> bool:
    cached = read_report_record(_record_path(out, record.doc))
    if cached is None or cached["key"] != record.key or set(cached["outputs"]) != set(targets):
        return False
    if not all(intact(target, cached["outputs"][kind]) for kind, target in targets.items()):
        return False
    record.outputs, record.pages, record.units = cached["outputs"], cached["pages"], cached["units"]
    # What rendering reported (a refused image, a character no configured font has) still holds for the outputs.
    # They are all about the draft itself, wherever the project has moved since.
    record.diagnostics.extend(dataclasses.replace(item, path=record.doc.path) for item in cached["diagnostics"])
    return True


def _probably_stale(drafts: list[Path], out: Path, max_bytes: int) -> bool:
    """A cheap guess, before anything is checked, whether a report will be rendered (to start workers early): a
    draft changed or an output is missing. A wrong guess costs only time: workers start when they are needed."""
    for path in drafts:
        cached = read_json(report_record_path(out, path.parent.name, path.stem), REPORT_RECORD)
        try:
            if cached is None or not path.is_file() or path.stat().st_size > max_bytes \
                    or cached["draft"] != sha256_file(path):
                return True  # (only a regular file within the size limit is read: the check reports the others)
        except OSError:
            return True  # the check reports it
        if any(not (out / entry["path"]).is_file() for entry in cached["outputs"].values()):
            return True
    return False


def build(config: Config, *, paths: list[Path] | None = None, formats: tuple[str, ...] = FORMATS,
          jobs: int | None = None, volume: bool = True, strict: bool = False, out: Path | None = None,
          include_drafts: bool = False, years: set[str] | None = None, reports: bool = True,
          progress: Progress | None = None, journal_as: list[str] | None = None) -> BuildResult:
    """Run the main job; see the module docstring for the stages. With `journal_as` (the command line), a
    whole-corpus build records the journal that lets the next identical build replay it (`journal.py`)."""
    from .volume import VolumeJob, plan_volumes  # imported late: the volume module is only needed here

    require_resources(config, rendering=True)  # a missing font or logo is an error, never a silent omission
    started = time.monotonic()
    progress = progress or Progress()
    out = (out or config.output_dir).resolve()
    jobs = max(1, jobs or os.cpu_count() or 1)
    whole_corpus = not paths and reports and not years
    recording = journal_as is not None and whole_corpus
    with OutputLock(out) as lock, WorkerPool(config, jobs) as pool:
        if recording:  # what this build depends on, before it reads any of it
            from generator.build import journal

            listed = journal.inputs(config)
            before = journal.state(listed)
        remove_temporaries(out)  # of a build that was killed mid-write
        drafts = discover_drafts(list(paths or []), config)
        if reports and _probably_stale(drafts, out, config.check.max_draft_bytes):
            pool.start_early()  # workers get ready while this process loads the checker and checks the drafts
        else:
            stop_fork_server()  # the command line started it in case; workers start on demand if need be
        from generator.check.context import CheckContext
        from generator.check.engine import check_paths
        from generator.check.rules.assets import asset_files
        from generator.read.registry import load_registry

        environment = environment_key(config)
        registry = load_registry(config.registry_path)
        memo = CheckMemo(check_memo_path(out), f"{environment}\0{registry.digest or 'none'}\0{not paths}")
        volume_sources: dict = {}
        documents, diagnostics = check_paths(drafts, config, registry, whole_corpus=not paths, memo=memo,
                                             volume_sources=volume_sources)
        if years:
            documents = [doc for doc in documents if doc.draft.year_dir in years]
        by_path: dict[Path, list[Diagnostic]] = {}
        for item in diagnostics:
            by_path.setdefault(item.path, []).append(item)
        records = [ReportRecord(doc=doc, diagnostics=by_path.get(doc.path, [])) for doc in documents]
        corpus_diagnostics = [item for item in diagnostics if item.path not in {doc.path for doc in documents}]
        context = CheckContext(config, registry)

        to_render: list[ReportRecord] = []
        for record in records:
            if fails(record.diagnostics, strict=strict):
                record.result = "failed"
                continue
            # The bytes that were read and checked (the draft is never read again: `reader.read_source`).
            record.key = report_key(record.doc.draft.digest, asset_files(record.doc, context), environment, formats)
            if not reports:
                record.result = "skipped"
                continue
            if _reusable(record, out, _outputs_for(record.doc, out, formats)):
                record.result = "reused"
            else:
                to_render.append(record)

        volume_jobs: list[VolumeJob] = []
        # A volume holds every approved report of its year: compiling it from a subset named on the command
        # line would overwrite the full volume with a partial one.
        if volume and not paths:
            volume_jobs = plan_volumes(config, records, out=out, formats=formats, include_drafts=include_drafts,
                                       environment=environment, registry=registry, sources=volume_sources)
        progress.start(len(to_render) + len(volume_jobs), _("Building"))
        _render_all(config, to_render, volume_jobs, out=out, formats=formats, pool=pool, progress=progress,
                    environment=environment)
        progress.finish()

        volumes = [job.record for job in volume_jobs]
        _mark_stale_outputs(out, records, volumes)
        if whole_corpus:
            _prune_stale_outputs(out, records)
            _prune_units(out, records, volume_jobs)
        failed = any(record.failed for record in records) or any(v.get("result") == "failed" for v in volumes)
        failed = failed or fails(corpus_diagnostics, strict=strict)
        exit_status = 1 if failed else 0
        duration = time.monotonic() - started
        manifest = _manifest(config, records, volumes, corpus_diagnostics, duration=duration,
                             exit_status=exit_status, out=out)
        if not reports:
            _keep_previous_reports(manifest, out / MANIFEST)
        manifest_path = out / MANIFEST
        atomic_write(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        if recording:
            journal.record(journal_as, config, manifest_path, lock.path, exit_status=exit_status, listed=listed,
                           before=before)
    return BuildResult(records, volumes, corpus_diagnostics, duration, exit_status, manifest_path)


def _prune_units(out: Path, records: list[ReportRecord], volumes: list) -> None:
    """Remove laid-out units that no current report or volume came from, and parsed trees of drafts that are
    gone or changed (they can never be used again)."""
    from generator.read.parse import tree_key

    keep: dict[str, set[str]] = {}
    trees: dict[str, set[str]] = {}
    for record in records:
        keep.setdefault(record.doc.draft.year_dir, set()).update(record.units)
        trees.setdefault(record.doc.draft.year_dir, set()).add(tree_key(record.doc.draft.body))
    for job in volumes:
        keep.setdefault(job.year, set()).update(job.units_used)
    for year, keys in keep.items():
        units = units_dir(out, year)
        for directory, kept in ((units, keys), (trees_dir(units), trees.get(year, set()))):
            for path in directory.glob("*") if directory.is_dir() else []:
                if path.is_file() and path.stem not in kept and not path.name.startswith("."):
                    path.unlink()


def _store_report(record: ReportRecord, output: ReportOutput, out: Path, formats: tuple[str, ...],
                  config: Config, environment: str) -> None:
    from generator.check.engine import apply_severity

    record.units = sorted(output.cache_used)
    rendering = apply_severity(output.diagnostics, config)
    record.diagnostics.extend(rendering)
    blobs = {"pdf": output.pdf, "docx": output.docx}
    if any(blobs[kind] is None for kind in formats) or any(item.severity == Severity.ERROR
                                                            for item in output.diagnostics):
        record.result = "failed"
        return
    for kind, target in _outputs_for(record.doc, out, formats).items():
        atomic_write(target, blobs[kind])
        record.outputs[kind] = {"path": relative_to_project(target, out), "sha256": sha256_bytes(blobs[kind]),
                                "bytes": len(blobs[kind])}
    record.pages = output.pages
    record.result = "built"
    atomic_write(_record_path(out, record.doc), json.dumps(
        {"key": record.key, "outputs": record.outputs, "pages": record.pages, "units": record.units,
         "diagnostics": [item.to_json() for item in rendering],
         "draft": record.doc.draft.digest, "environment": environment}, indent=1).encode())


def _report_task(record: ReportRecord, out: Path, formats: tuple[str, ...], environment: str) -> tuple:
    return record.doc.draft, formats, units_dir(out, record.doc.draft.year_dir), environment


def _render_all(config: Config, to_render: list[ReportRecord], volume_jobs: list, *, out: Path,
                formats: tuple[str, ...], pool: WorkerPool, progress: Progress, environment: str) -> None:
    from .volume import VolumeOutput, merge_outputs

    pending_volumes = [job for job in volume_jobs if job.needs_render]
    for job in volume_jobs:
        if not job.needs_render:
            progress.advance(_("volume {year} unchanged").format(year=job.year))
    members = {path for job in pending_volumes for path in job.report_paths}
    queue = deque(sorted(to_render, key=lambda record: record.doc.path not in members))
    by_path = {record.doc.path: record for record in to_render}
    states = {id(job): _VolumeState(job, _known_page_counts(job, by_path, out)) for job in pending_volumes}
    _work_while_workers_start(queue, states.values(), out, pool)
    # Workers started early are used even for one task; otherwise one task runs in this process.
    executor = pool.started() or (pool.start() if len(to_render) + len(pending_volumes) > 1 else None)
    if executor is None:
        initialise(config, current_language())
        for record in to_render:
            _store_report(record, render_report(*_report_task(record, out, formats, environment)), out, formats,
                          config, environment)
            progress.advance(record.doc.report_id)
            if record.failed:
                for state in states.values():
                    _exclude(state, record)
        for job in pending_volumes:
            if job.needs_render:
                output = job.run_in_process()
                if job.needs_render:
                    job.store(output, out)
            progress.advance(_("volume {year}").format(year=job.year))
        return
    # Reports that go into a volume first: a volume starts as soon as its reports are done (its parts are their
    # units), while the remaining reports still render. At most `jobs` report tasks are handed out at a time, so
    # that a volume that becomes ready does not queue behind reports. The Word volume needs only the reports'
    # page counts (its TOC prints them): when the previous build knows them all, this process writes it as soon
    # as the workers have their first tasks (`_word_volume_here`), and a worker makes it again only if a report
    # came out with another page count.
    unfinished = {record.doc.path for record in to_render}
    running: dict[Future, tuple] = {}
    supervisor = _Supervisor(config, out)

    def finish_volume(state: _VolumeState) -> None:
        """Store a volume once its reports are done and its PDF and Word tasks have both delivered."""
        if state.job not in pending_volumes and set(state.outputs) == set(state.job.formats) and not state.stored:
            state.stored = True
            state.job.store(merge_outputs([state.outputs[kind] for kind in state.job.formats]), out)
            progress.advance(_("volume {year}").format(year=state.job.year))

    ready: list[_VolumeState] = []

    def report_failed(record: ReportRecord) -> None:
        """A volume goes on without a report that failed (`VolumeJob.exclude`): what it made so far is dropped."""
        for state in states.values():
            if _exclude(state, record) and not state.job.needs_render:  # keep-previous, or nothing left
                progress.advance(_("volume {year}").format(year=state.job.year))
                pending_volumes[:] = [job for job in pending_volumes if job is not state.job]
                ready[:] = [other for other in ready if other is not state]

    while queue or running or pending_volumes or any(set(state.job.formats) - state.submitted for state in ready):
        for job in [job for job in pending_volumes if not unfinished & set(job.report_paths)]:
            pending_volumes.remove(job)
            state = states[id(job)]
            ready.append(state)
            actual = _known_page_counts(job, by_path, out, previous=False)
            if state.guess is not None and state.guess != actual:
                state.guess = None  # a report changed length: the Word volume is made again
                state.outputs.pop("docx", None)
                state.submitted.discard("docx")
        for state in ready:
            for kind in state.job.formats:
                # The Word volume waits for the reports still queued: by then the PDF task has laid out the back
                # matter (whose pages the Word TOC prints) and the Word task finds it in the unit cache.
                if kind not in state.submitted and (kind != "docx" or not queue) and not supervisor.isolating(running):
                    running[state.job.submit(executor, kind)] = ("volume", state, kind, state.generation)
                    state.submitted.add(kind)
            finish_volume(state)
        if supervisor.suspects and not running:  # a worker died: each report rendering then is tried again alone
            record = supervisor.suspects.popleft()
            future = executor.submit(render_report, *_report_task(record, out, formats, environment))
            running[future] = ("report", record)
            supervisor.started(future, record)
        while queue and not supervisor.isolating(running) and sum(
                1 for task in running.values() if task[0] == "report") < pool.jobs:
            record = queue.popleft()
            future = executor.submit(render_report, *_report_task(record, out, formats, environment))
            running[future] = ("report", record)
            supervisor.started(future, record)
        if not queue:  # every report is handed out: a volume PDF starts now and waits for its reports' units
            for job in pending_volumes:
                state = states[id(job)]
                if ("pdf" in job.formats and "pdf" not in state.submitted and not state.missed
                        and not supervisor.isolating(running)):
                    waiting = frozenset(str(path) for path in unfinished & set(job.report_paths))
                    running[job.submit(executor, "pdf", waiting_for=waiting)] = ("volume", state, "pdf",
                                                                                 state.generation)
                    state.submitted.add("pdf")
        for state in states.values():
            if state.guess is not None and "docx" in state.job.formats and "docx" not in state.submitted:
                _word_volume_here(state, config)  # the workers have their first tasks: this process has time
        done, _pending = wait(running, timeout=supervisor.poll, return_when=FIRST_COMPLETED)
        supervisor.stop_overdue(running)
        broken = []
        for future in done:
            task = running.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool:  # a worker died: every task running then fails so
                broken.append(task)
                continue
            if task[0] == "report":
                record = task[1]
                _store_report(record, result, out, formats, config, environment)
                unfinished.discard(record.doc.path)
                progress.advance(record.doc.report_id)
                if record.failed:
                    report_failed(record)
                continue
            _kind, state, kind, generation = task
            if generation != state.generation or not state.job.needs_render:
                continue  # made with a report that has failed since; its replacement is on its way
            output = result
            if output.missing is not None:  # a report it waited for ended without its unit: again once it is done
                state.submitted.discard(kind)
                state.missed = True
                continue
            failing = state.job.failing_members(output)
            for record in failing:  # not rendered in this build, and found unable to be set: again without it
                report_failed(record)
            if not failing:
                state.outputs[kind] = output
                finish_volume(state)
        if broken:
            broken += [running.pop(future) for future in list(running)]  # these fail with the same broken pool
            executor = pool.restart()
            for task, verdict in supervisor.after_broken_pool(broken):
                if task[0] == "report" and verdict is not None:  # the report that killed its worker
                    record = task[1]
                    _store_report(record, ReportOutput(path=record.doc.path, diagnostics=[verdict]), out, formats,
                                  config, environment)
                    unfinished.discard(record.doc.path)
                    progress.advance(record.doc.report_id)
                    report_failed(record)
                elif task[0] == "report":
                    if task[1] not in supervisor.suspects:
                        queue.appendleft(task[1])  # innocent: rendered again as usual
                else:
                    _kind, state, kind, _generation = task
                    state.submitted.discard(kind)
                    if verdict is not None:
                        state.outputs[kind] = VolumeOutput(diagnostics=[verdict])
                        state.submitted.add(kind)
                        finish_volume(state)


class _Supervisor:
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
        self._tried: set = set()               # tasks tried again after a broken pool
        self._stopped: set[Path] = set()       # reports whose worker this process killed at the time limit
        self._started: dict[Future, tuple[float, ReportRecord]] = {}

    def started(self, future: Future, record: ReportRecord) -> None:
        self._started[future] = (time.monotonic(), record)

    def isolating(self, running: dict) -> bool:
        """While suspects wait or one runs alone, nothing else is handed out."""
        return bool(self.suspects) or any(task[0] == "report" and task[1].doc.path in self._tried
                                          for task in running.values())

    def stop_overdue(self, running: dict) -> None:
        timeout = self.config.build.report_timeout
        limit = timeout + min(15.0, max(2.0, timeout / 4))  # the worker's own timer first, then this process
        for future, (started, record) in list(self._started.items()):
            if future not in running:
                del self._started[future]
            elif time.monotonic() - started > limit and record.doc.path not in self._stopped:
                marker = rendering_marker(units_dir(self.out, record.doc.draft.year_dir), record.doc.path)
                try:
                    os.kill(int(marker.read_text(encoding="ascii")), signal.SIGKILL)
                except (OSError, ValueError):  # not started yet (queued behind a volume task): count from now
                    self._started[future] = (time.monotonic(), record)
                    continue
                log.warning("stopped the worker rendering %s: past %s s", record.doc.path, limit)
                self._stopped.add(record.doc.path)

    def after_broken_pool(self, tasks: list[tuple]) -> list[tuple[tuple, Diagnostic | None]]:
        """What becomes of the tasks that were running when their pool broke: each with None (to run again) or
        the diagnostic it fails with. A report whose worker this process killed is to blame, and the others run
        again as usual; otherwise every report is a suspect, tried again alone, and fails if it breaks the pool
        a second time."""
        stopped = {task[1].doc.path for task in tasks if task[0] == "report"} & self._stopped
        verdicts = []
        for task in tasks:
            if task[0] == "report":
                record = task[1]
                rendering_marker(units_dir(self.out, record.doc.draft.year_dir), record.doc.path).unlink(
                    missing_ok=True)
                if record.doc.path in stopped:
                    verdicts.append((task, diagnostic("RND607", record.doc.path, (1, 1), _(
                        "rendering took longer than {seconds} s and was stopped").format(
                        seconds=self.config.build.report_timeout))))
                elif stopped:
                    verdicts.append((task, None))
                elif record.doc.path in self._tried:
                    verdicts.append((task, diagnostic("RND608", record.doc.path, (1, 1), _(
                        "the process rendering this report ended abruptly, twice (a crash, or more memory than the "
                        "{limit} MB a worker may use); the other reports were built").format(
                        limit=self.config.build.worker_memory_mb))))
                else:
                    self._tried.add(record.doc.path)
                    self.suspects.append(record)
                    verdicts.append((task, None))
                continue
            _kind, state, kind, _generation = task
            key = (state.job.year, kind)
            if key in self._tried and not stopped:
                verdicts.append((task, diagnostic("RND608", self.config.sources_dir / state.job.year, (1, 1), _(
                    "the process making this volume ended abruptly, twice (a crash, or more memory than the "
                    "{limit} MB a worker may use)").format(limit=self.config.build.worker_memory_mb))))
            else:
                self._tried.add(key)
                verdicts.append((task, None))
        return verdicts


def _work_while_workers_start(queue: deque[ReportRecord], states, out: Path, pool: WorkerPool) -> None:
    """While the fork server is still importing the renderers, this process would be idle. It parses the drafts
    the workers will render first and keeps their trees in the build's tree store (`parse.markdown_tree`), where
    the worker rendering a report and the volume's tasks find them instead of each parsing the draft again
    (setting Python-Markdown up alone takes 30 ms in each process); and it imports what writing a Word volume
    here needs (`_word_volume_here`)."""
    from generator.read.parse import markdown_tree

    for record in queue:
        if not pool.starting():
            break
        try:
            markdown_tree(record.doc.draft.body, store=trees_dir(units_dir(out, record.doc.draft.year_dir)))
        except Exception:  # noqa: BLE001 - the worker meets it again and reports it
            log.debug("parsing %s ahead of its worker failed", record.doc.path, exc_info=True)
    if pool.starting() and any(state.guess is not None and "docx" in state.job.formats for state in states):
        from generator.render import volume_docx, volume_pdf  # noqa: F401 - for `_word_volume_here`, while idle


def _word_volume_here(state: _VolumeState, config: Config) -> None:
    """Write a Word volume in this process, from the page counts the previous build knows (its TOC prints them;
    it needs no layout, and so no WeasyPrint), while the workers render the reports and the volume PDF. Should a
    report come out with another page count, a worker makes it again (`_render_all`)."""
    from .volume import render_volume

    initialise(config, current_language())
    state.outputs["docx"] = render_volume(*state.job.task("docx", state.guess))
    state.submitted.add("docx")


@dataclass
class _VolumeState:
    job: object
    guess: dict[str, int] | None            # the page counts a Word volume was started from, if it was
    submitted: set[str] = field(default_factory=set)
    outputs: dict[str, object] = field(default_factory=dict)
    stored: bool = False
    generation: int = 0                     # bumped when a report is excluded: tasks of an older one are void
    missed: bool = False                    # a PDF task started early found a report's unit missing


def _exclude(state: _VolumeState, record: ReportRecord) -> bool:
    """Take a report that failed out of a volume that was to hold it; True if it was a member."""
    job = state.job
    if not job.needs_render or record not in job.members:
        return False
    job.exclude(record)
    state.generation += 1
    state.guess = None
    state.outputs.clear()
    state.submitted.clear()
    return True


def _known_page_counts(job, to_render: dict[Path, ReportRecord], out: Path, *,
                       previous: bool = True) -> dict[str, int] | None:
    """Page counts of a volume's reports: of those rendered in this build, with `previous` the counts of their
    last build (None if one is unknown), otherwise their new ones; of the others, their reused counts."""
    counts, reused = {}, job.known_pages
    for path in job.report_paths:
        record = to_render.get(path)
        if record is not None and previous:
            cached = read_json(_record_path(out, record.doc), REPORT_RECORD)
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


def _keep_previous_reports(manifest: dict, previous_path: Path) -> None:
    """`reportgen volume` renders no report: keep the reports of the previous manifest instead of “skipped”."""
    previous = read_json(previous_path, {"reports": [dict], "volumes": [{"year": str}]})
    if previous is None:
        return
    manifest["reports"] = previous["reports"]
    years = {volume["year"] for volume in manifest["volumes"]}
    manifest["volumes"] = sorted([v for v in previous["volumes"] if v["year"] not in years]
                                 + manifest["volumes"], key=lambda volume: volume["year"])


def _owned_outputs(out: Path, year: str, report_id: str, cached: dict | None) -> dict[str, Path]:
    """The outputs a report's cache entry says the build wrote for it, that are still exactly what it wrote
    (ownership is by that record: a file the build did not write, or that was changed since, is not its own)."""
    owned = {}
    for kind, entry in (cached or {}).get("outputs", {}).items():
        target = out / year / "reports" / f"{report_id}.{kind}"
        if entry["path"] == str(target.relative_to(out)) and intact(target, entry):
            owned[kind] = target
    return owned


def _prune_stale_outputs(out: Path, records: list[ReportRecord]) -> None:
    """Remove the outputs and cache entries of drafts that no longer exist (a whole-corpus build only): only
    files this build wrote, as their cache entries record, and only while they are as it wrote them."""
    current = {(record.doc.draft.year_dir, record.doc.report_id) for record in records}
    for entry in report_record_paths(out):
        year, report_id = entry.parent.name, entry.stem
        if (year, report_id) in current:
            continue
        for path in _owned_outputs(out, year, report_id, read_report_record(entry)).values():
            log.info("removing %s: its draft is gone", path)
            path.unlink()
        entry.unlink()


def _mark_stale_outputs(out: Path, records: list[ReportRecord], volumes: list[dict]) -> None:
    """A report or volume that failed leaves its previous outputs in place: the manifest lists them as
    `stale_outputs` (with their hashes), so that nothing takes them for outputs of these sources."""
    for record in records:
        if record.failed:
            cached = read_report_record(_record_path(out, record.doc))
            owned = _owned_outputs(out, record.doc.draft.year_dir, record.doc.report_id, cached)
            if owned:
                record.stale = {kind: cached["outputs"][kind] for kind in owned}
    for volume in volumes:
        if volume.get("result") == "failed" and (stale := cached_volume_outputs(out, volume["year"])):
            volume["stale_outputs"] = stale


def _manifest(config: Config, records: list[ReportRecord], volumes: list[dict],
              corpus_diagnostics: list[Diagnostic], *, duration: float, exit_status: int, out: Path) -> dict:
    root = config.root.resolve()
    return {
        "version": 1,
        "generator": f"reportgen {__version__}",
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "duration_seconds": round(duration, 3),
        "exit_status": exit_status,
        "output": str(out),
        "reports": [{
            "id": record.doc.report_id,
            "year": record.doc.draft.year_dir,
            "source": relative_to_project(record.doc.path, root),
            "title": record.doc.meta.title,
            "status": record.doc.meta.status,
            "content_hash": record.key or None,
            "result": record.result,
            "rebuilt": record.result == "built",
            "outputs": record.outputs,
            **({"stale_outputs": record.stale} if record.stale else {}),
            "pages": record.pages,
            "diagnostics": [item.to_record(root) for item in record.diagnostics],
        } for record in records],
        "volumes": volumes,
        "diagnostics": [item.to_record(root) for item in corpus_diagnostics],
    }
