"""Render tasks, run in worker processes (or in-process with --jobs 1).

Each worker is initialised once with the configuration and language and renders many reports; workers fork from
a fork server that has imported WeasyPrint and the other renderers once for all of them (`pool.py`). A task
returns bytes and diagnostics and writes no output (only the build stage does), only laid-out units to the cache.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import resource
import signal
import threading
import traceback
from contextlib import contextmanager
from pathlib import Path

from generator.core.config import Config
from generator.core.diagnostics import diagnostic
from generator.core.i18n import _, set_language
from generator.read.parse import parse
from generator.read.volume_source import read_volume_source

from .store import UnitCache, rendering_marker, trees_dir
from .tasks import KeptFile, ReportOutput, ReportTask, VolumeOutput, VolumeTask

_config: Config | None = None


class LimitExceeded(BaseException):
    """Raised by the timer inside a render; a BaseException so that no library's `except Exception` eats it."""


def die_with_parent() -> None:
    """Have the kernel kill this process when the thread that started it ends, however it ends (SIGKILL
    included), so that no fork server or worker outlives its build. A worker's parent is the fork server, whose
    parent is the build; the chain takes them all. Linux only (`prctl(PR_SET_PDEATHSIG)`); elsewhere a no-op."""
    import ctypes

    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(1)


_limit_threads = False  # whether `time_limit` also limits a block run in another thread than the main one


def initialise(config: Config, language: str, *, limit_memory: bool = False, limit_threads: bool = False) -> None:
    """Set up a worker: configuration, language and, in worker processes, an address-space limit. A Dask worker
    runs tasks in threads, where no SIGALRM reaches: `limit_threads` has `time_limit` interrupt them otherwise."""
    global _config, _limit_threads
    _config = config
    _limit_threads = limit_threads
    set_language(language)
    if limit_memory:  # a worker process
        limit = config.build.worker_memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def initialise_worker(config: Config, language: str, environment: dict[str, str], directory: str,
                      verbose: bool = False) -> None:
    """The initializer of the build's worker processes (this module imports nothing the workers do not need).
    A worker forks from the fork server, which may have been started by an earlier build of this process: it
    takes this build's environment variables (SOURCE_DATE_EPOCH …) and working directory, as a spawned process
    would, and with `-v` logs details as the command does (a kept entry discarded, a traceback)."""
    die_with_parent()  # the fork server: it dies with the build
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle
    if verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    os.environ.clear()
    os.environ.update(environment)
    os.chdir(directory)
    _remember_library_lookups()
    initialise(config, language, limit_memory=True)


def preload() -> None:
    """Run once in the build's fork server (`build/preload.py`), before it forks the workers: the renderers
    are imported once for all workers (WeasyPrint's import alone takes most of a second of CPU), and what they
    import is frozen, so that no collection walks it again and forked workers do not copy it by touching it.
    Collections are off while importing: the imports make 150,000 long-lived objects, which the collector would
    walk again and again (0.1 s), and a final collection would find only about 1,000 garbage objects among them
    (0.06 s, on the way to every build's first worker): they are frozen with the rest."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        _remember_library_lookups()
        from generator.render import docx, pdf, units, volume_docx, volume_pdf  # noqa: F401
        gc.freeze()
    finally:
        if collecting:
            gc.enable()


def _remember_library_lookups() -> None:
    """WeasyPrint asks cffi for each native library under several names; for every name that is not installed
    (HarfBuzz's optional vector library, say) `ctypes.util.find_library` runs gcc and ld, ≈ 0.2 s of each
    worker's start. Its answers only change when the system's library cache does, so they are remembered in the
    user cache, keyed by that cache file and `LD_LIBRARY_PATH`."""
    import ctypes.util
    import hashlib

    from generator.core.usercache import recall_json, remember_json
    from generator.core.verify import Each

    if getattr(ctypes.util.find_library, "remembered", False):
        return
    try:
        stat = os.stat("/etc/ld.so.cache")
    except OSError:
        return
    key = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}:{os.environ.get('LD_LIBRARY_PATH', '')}".encode())
    name = f"libraries-{key.hexdigest()[:16]}.json"
    known = recall_json(name, Each((str, None)))
    original = ctypes.util.find_library

    def find_library(library: str):
        if library not in known:
            known[library] = original(library)
            remember_json(name, known)
        return known[library]

    find_library.remembered = True
    ctypes.util.find_library = find_library


def warm_up() -> None:
    """Compile the templates (and import the renderers, unless the fork server did) while the drafts are
    checked."""
    from generator.render import docx, pdf, units, volume_docx, volume_pdf  # noqa: F401
    from generator.render.html import template_environment

    environment = template_environment(_config.templates_dir)
    for name in environment.list_templates(filter_func=lambda name: name.endswith(".j2")):
        environment.get_template(name)
    gc.collect()
    gc.freeze()  # everything so far lives as long as the worker: no collection need walk it again


@contextmanager
def time_limit(seconds: int):
    """Abandon the block after `seconds` (in the main thread; in another, only when `initialise` was told to
    limit threads, else the block runs unlimited)."""
    if threading.current_thread() is not threading.main_thread():
        if not _limit_threads:
            yield
        else:
            with _thread_time_limit(seconds):
                yield
        return

    def expired(_signum, _frame):
        raise LimitExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _thread_time_limit(seconds: int):
    """The time limit in a thread other than the main one (a Dask worker's): a timer raises `LimitExceeded` in
    it through `PyThreadState_SetAsyncExc`, which takes effect at its next Python instruction. A thread stuck
    inside a C library is not stopped until it comes back (the local build kills such a worker; a Dask worker
    is left to the cluster)."""
    import ctypes

    target = threading.get_ident()
    state = threading.Lock()
    active = [True]

    def expired():
        with state:
            if active[0]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(LimitExceeded))

    timer = threading.Timer(seconds, expired)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with state:
            active[0] = False
            timer.cancel()


def limited(function, seconds: int, source: Path, *args):
    """Run a render task under the time limit; time-outs and memory exhaustion become RND607."""
    try:
        with time_limit(seconds):
            return function(*args)
    except LimitExceeded:
        problem = _("rendering took longer than {seconds} s and was abandoned").format(seconds=seconds)
    except MemoryError:
        problem = _("rendering needed more memory than the worker may use ({limit} MB)").format(
            limit=_config.build.worker_memory_mb)
    return problem


def build_timestamp(date: dt.date | None) -> dt.datetime:
    """SOURCE_DATE_EPOCH when set, else the given date (from front matter), else 1980-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None)
    if date:
        return dt.datetime(date.year, date.month, date.day)
    return dt.datetime(1980, 1, 1)


def render_report(task: ReportTask) -> ReportOutput:
    """Render one already checked draft, as it was read and checked (the file is not read again), within the
    time and memory limits."""
    path = task.draft.path
    result = limited(_render_report, _config.build.report_timeout, path, task)
    if isinstance(result, str):
        return ReportOutput(path=path, diagnostics=[diagnostic("RND607", path, (1, 1), result)])
    return result


def _render_report(task: ReportTask) -> ReportOutput:
    from generator.render.docx import render_report_docx
    from generator.render.docx_segments import extract_segment
    from generator.render.html import report_view
    from generator.render.units import report_pdf

    from .keys import word_segment_key

    draft, formats, units = task.draft, task.formats, task.units
    config = _config
    assert config is not None, "worker not initialised"
    path = draft.path
    result = ReportOutput(path=path)
    cache = UnitCache(units, task.environment, shadow=task.shadow)
    marker = rendering_marker(units, path) if units is not None else None
    if marker is not None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        # A volume task may be waiting for this report's unit (`units.render_unit`); the build reads the pid to
        # stop a worker stuck past the time limit where its own timer cannot reach (inside a C library).
        marker.write_text(str(os.getpid()), encoding="ascii")
    try:
        doc = parse(draft, config, trees=trees_dir(units))
        timestamp = build_timestamp(doc.meta.submitted)
        view = report_view(doc, config)  # serialised once, read by both renderers
        if "pdf" in formats:
            pdf = report_pdf(doc, config, timestamp=timestamp, view=view, cache=cache)
            result.pdf, result.pages = pdf.data, pdf.pages
            result.diagnostics.extend(pdf.diagnostics)
            result.cache_used = cache.used
        if "docx" in formats:
            keep = None
            if task.key and units is not None:  # its blocks, kept for the Word volume (`docx_segments.py`)
                kept = UnitCache(units, task.environment, shadow=task.shadow)  # not among its units

                def keep(writer, before):
                    try:
                        kept.put_word_segment(word_segment_key(task.key), extract_segment(writer, before))
                    except Exception:  # noqa: BLE001 - the volume makes it itself, and reports what fails then
                        _log_traceback(path)
            data, problems = render_report_docx(doc, view, config, timestamp=timestamp, keep=keep)
            result.docx = data
            result.diagnostics.extend(problems)
    except Exception as error:  # one broken report must not stop the others
        result.pdf = result.docx = None
        result.diagnostics.append(diagnostic("RND601", path, (1, 1), _("rendering failed: {error}").format(
            error=f"{type(error).__name__}: {error}")))
        _log_traceback(path)
    finally:
        if marker is not None:
            marker.unlink(missing_ok=True)
    from generator.core.typeset import keep_words

    keep_words()  # the word cuts of its titles and headings, once per report
    return result


def _log_traceback(path: Path) -> None:
    import logging

    logging.getLogger(__name__).debug("rendering %s failed:\n%s", path, traceback.format_exc())


def render_volume(task: VolumeTask) -> VolumeOutput:
    """Make one volume, from the drafts, `_volume.md` and registry as the build read them, within the time and
    memory limits."""
    config = _config
    result = limited(_render_volume, config.build.volume_timeout, config.sources_dir / task.year, task)
    if isinstance(result, str):
        return VolumeOutput(diagnostics=[diagnostic("RND607", config.sources_dir / task.year, (1, 1), result)])
    return result


def _render_volume(task: VolumeTask) -> VolumeOutput:
    from generator.read.registry import load_registry
    from generator.render.docx_segments import make_segment
    from generator.render.units import UnitNotDelivered
    from generator.render.volume_docx import render_volume_docx
    from generator.render.volume_pdf import render_volume_pdf

    config, year, units = _config, task.year, task.units
    output = VolumeOutput()
    try:
        docs = [parse(draft, config, trees=trees_dir(units)) for draft in task.drafts]
        source = read_volume_source(config, year, task.source)
        output.diagnostics.extend(source.diagnostics)
        registry = task.registry if task.registry is not None else load_registry(config.registry_path)
        timestamp = build_timestamp(source.date)
        cache = UnitCache(units, task.environment)
        pdf = render_volume_pdf(config, year, docs, source, registry, timestamp=timestamp, cache=cache,
                                report_timestamp=lambda doc: build_timestamp(doc.meta.submitted),
                                assemble_pdf=task.kind == "pdf", page_counts=task.page_counts,
                                waiting_for=task.waiting_for, wait=config.build.report_timeout,
                                unit_keys=task.unit_keys)
        output.cache_used = cache.used
        output.member_diagnostics = pdf.part_diagnostics
        output.diagnostics.extend(pdf.diagnostics)
        output.pages, output.starts = pdf.pages, pdf.starts
        if task.kind == "pdf":
            output.pdf = keep_file(task.units, pdf.data)
        if task.kind == "docx":
            def segments(doc, view):
                """A report's Word segment: as its worker kept it, or made now (and kept)."""
                key = task.segment_keys.get(str(doc.path))
                kept = cache.get_word_segment(key) if key else None
                if kept is None:
                    kept = make_segment(doc, view, config)
                    doc.forget_tree()
                    if key:
                        cache.put_word_segment(key, kept)
                return kept

            data, problems = render_volume_docx(config, year, docs, source, pdf, timestamp=timestamp,
                                                segments=segments)
            output.docx = keep_file(task.units, data)
            output.diagnostics.extend(problems)
    except UnitNotDelivered as missing:  # that report failed: the build goes on without it, never lays it out
        output.pdf = output.docx = None
        output.missing = str(missing.source)
    except Exception as error:  # reported, never a traceback that hides the reports' results
        import logging
        import traceback

        logging.getLogger(__name__).debug("volume %s failed:\n%s", year, traceback.format_exc())
        output.pdf = output.docx = None
        output.diagnostics.append(diagnostic("RND601", config.sources_dir / year, (1, 1), _(
            "rendering failed: {error}").format(error=f"{type(error).__name__}: {error}")))
    from generator.core.typeset import keep_words

    keep_words()
    return output


def keep_file(units: Path | None, data: bytes) -> bytes | KeptFile:
    """A volume file's bytes in a temporary file beside the units (fsynced; the build moves it into place, or the
    next build removes it), or as they are where there is no cache."""
    if units is None:
        return data
    import hashlib
    import tempfile

    from generator.core.atomic import TEMPORARY

    units.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".volume{TEMPORARY}", suffix=".tmp", dir=units)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return KeptFile(Path(name), len(data), hashlib.sha256(data).hexdigest())


def run_task(task: ReportTask | VolumeTask) -> ReportOutput | VolumeOutput:
    """Run a task in this (worker) process, within its time and memory limits: the one function the build hands
    to its pool."""
    return render_report(task) if isinstance(task, ReportTask) else render_volume(task)
