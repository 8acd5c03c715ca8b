"""Report tasks on a Dask cluster: `reportgen build --scheduler tcp://HOST:8786` (the optional extra
`reportgen[distributed]`; `distributed` is imported only here, and only with that option).

The build checks the drafts, plans the volumes and writes every output as a local build does; only the report
tasks (`worker.run_task` on a `ReportTask`) run on the cluster's workers (`DaskPool` stands where the local
`WorkerPool` does, its executor hands back `concurrent.futures` futures like the local pool's). Volumes are made
in this process, from the units the workers sent back.

No shared file system is assumed. What a report task reads is sent with it: the task (the draft as read and
checked), the images it references, and once per build and worker what every task reads (the configuration,
the templates, the logo: `Project`), each file scattered once by content. A worker keeps the files under a
directory of its own at the paths the build reads them from (`store.shadowed`), so that every relative path is
the build's, lays the report out there, and names every path in what it sends back (the unit keys, the
diagnostics) as the build does (`store.unshadowed`): the keys, and so the outputs, are the local build's. It sends
back the outputs, the page count, the diagnostics and what it wrote into its copy of the unit cache (the laid-out
unit, font programs, the parsed tree), which the build adopts where its volume task finds them.

On a worker, tasks run one at a time per process (WeasyPrint keeps state per process; use `dask worker
--nthreads 1 --nworkers N`), directly in the worker's thread: nothing forks, and no address-space limit is set
(it would limit the whole worker; Dask's own memory limit applies). The time limit interrupts the task's thread
(`worker.time_limit`), but not inside a C library. A worker that dies is replaced by Dask, which runs its task
again elsewhere; a task that kills `distributed.scheduler.allowed-failures` + 1 workers fails as RND608.

What is not a report's fault ends the build as an environment problem (`EnvironmentProblem`, exit 2), the reports
stored so far kept: the connection to the scheduler lost (noticed within `WATCH_INTERVAL` of the client's: at
once for a scheduler that ends, within `distributed.comm.timeouts.tcp` for a network that fails), or a worker
that renders with other versions than the build (checked when the build connects, and again by each task, for a
worker that joins later). On Ctrl-C or SIGTERM, and on such an error, the build cancels its tasks on the cluster
and lets it go; a task already running there ends on its own (Dask does not interrupt one), its result unused.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.config import Config
from generator.core.diagnostics import diagnostic
from generator.core.digest import sha256_bytes, tool_versions
from generator.core.errors import EnvironmentProblem
from generator.core.i18n import _, current_language
from generator.core.model import Diagnostic

from .store import adopt_cache_files, cache_files, shadowed, unshadowed
from .tasks import ReportOutput, ReportTask

if TYPE_CHECKING:
    from .tasks import VolumeTask

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 5  # seconds to reach the scheduler, and for it to have a worker
WATCH_INTERVAL = 0.25  # seconds between two looks at the client's connection to the scheduler


@dataclass(frozen=True)
class Project:
    """What every report task of a build needs besides its draft and images: sent once to each worker."""

    config: Config
    language: str
    source_date_epoch: str | None
    versions: dict[str, str]                  # the build's `tool_versions`: a worker must render with the same
    digest: str                               # of the files every task reads (names the worker's copy)


@dataclass
class RemoteReport:
    """What a worker sends back: the task's output, named as the build names its files, and what it wrote into
    its copy of the year's cache (`store.cache_files`)."""

    output: ReportOutput
    files: dict[str, bytes]


class VersionsDiffer(Exception):
    """Raised on a worker whose `tool_versions` are not the build's: it renders nothing."""

    def __init__(self, worker: str, versions: dict[str, str]):
        super().__init__(worker, versions)
        self.worker, self.versions = worker, versions


# ---- the build's side -----------------------------------------------------------------------------------------


class DaskPool:
    """Stands where the local `WorkerPool` does: connects to the scheduler (early, from a thread, while this
    process checks the drafts) and gives the `DaskExecutor`."""

    local = False  # its tasks share neither this machine's unit cache nor its processes

    def __init__(self, config: Config, address: str):
        self.config, self.address = config, address
        self.jobs = 1
        self.executor: DaskExecutor | None = None
        self._starting: threading.Thread | None = None
        self._error: BaseException | None = None

    def __enter__(self):
        return self

    def start_early(self) -> None:
        if self.executor is None and self._starting is None:
            self._starting = threading.Thread(target=self._connect_quietly, name="reportgen-dask", daemon=True)
            self._starting.start()

    def _connect_quietly(self) -> None:
        try:
            self._connect()
        except BaseException as error:  # noqa: BLE001 - raised in the build's thread (`started`)
            self._error = error

    def starting(self) -> bool:
        return self._starting is not None and self._starting.is_alive()

    def started(self) -> DaskExecutor | None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self.executor is not None:
            from .worker import initialise

            initialise(self.config, current_language())  # the volumes are made in this process
        return self.executor

    def start(self) -> DaskExecutor:
        if self.started() is None:
            self._connect()
        return self.started()

    def restart(self) -> DaskExecutor | None:
        return self.executor  # never broken: Dask replaces a worker that dies

    def _connect(self) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise EnvironmentProblem(_(
                "--scheduler needs Dask's distributed package: install reportgen with its “distributed” extra "
                "(pip install 'reportgen[distributed]')")) from None
        _dask_logs_only_when_verbose()
        try:
            client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError):
            log.debug("connecting to %s failed", self.address, exc_info=True)
            raise EnvironmentProblem(_(
                "cannot reach the Dask scheduler at {address} within {seconds} s (is `dask scheduler` running "
                "there?)").format(address=self.address, seconds=CONNECT_TIMEOUT)) from None
        try:
            self.jobs = _check_workers(client, self.address)
            self.executor = DaskExecutor(client, self.config, self.address)
        except BaseException:
            client.close()
            raise

    def __exit__(self, exc_type, *exc):
        if self._starting is not None:
            self._starting.join()
        if self.executor is not None:
            self.executor.close(cancel=exc_type is not None)


def _dask_logs_only_when_verbose() -> None:
    """Dask logs its own errors on stderr, in English and with its tracebacks (a lost scheduler gives several);
    the build says what they mean, in the user's language. Dask's log shows with `-v` only."""
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        return
    for name in ["distributed", *(name for name in logging.root.manager.loggerDict if name.startswith("distributed."))]:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _check_workers(client, address: str) -> int:
    """The number of report tasks to keep handed out: one per worker thread. Dask sends a task that has
    dependencies (its files) to a worker at once, and a worker that dies counts against every task it holds
    (`allowed-failures`): a report waiting beside one that kills its worker is not to share the blame."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError:
        raise EnvironmentProblem(_("the Dask scheduler at {address} has no workers").format(address=address)) from None
    try:
        theirs = client.run(tool_versions)
    except Exception as error:  # noqa: BLE001 - reportgen is not installed there, say
        raise EnvironmentProblem(_("the Dask workers of {address} cannot run reportgen: {error}").format(
            address=address, error=f"{type(error).__name__}: {error}")) from None
    ours = tool_versions()
    for worker, versions in sorted(theirs.items()):
        if versions != ours:
            raise EnvironmentProblem(_version_difference(worker, versions, ours))
    return max(1, sum(client.nthreads().values()))


def _version_difference(worker: str, theirs: dict[str, str], ours: dict[str, str]) -> str:
    differences = _(", ").join(_("{name} {theirs} there, {ours} here").format(
        name=name, theirs=theirs.get(name, "-"), ours=ours.get(name, "-"))
        for name in sorted(set(theirs) | set(ours)) if theirs.get(name) != ours.get(name))
    return _("the Dask worker {worker} renders with other versions than this build ({differences}): its outputs "
             "would differ").format(worker=worker, differences=differences)


class DaskExecutor:
    """Runs report tasks on the cluster and volume tasks here; `submit` gives `concurrent.futures` futures, as
    the local pool does, whose results are the tasks' outputs (a task that failed on the cluster ends as a
    diagnostic). A problem of the cluster's own (`_give_up`) ends every future not done yet with an
    `EnvironmentProblem`, and `submit` raises it from then on: the build stops there, and never waits for a
    scheduler that is gone."""

    def __init__(self, client, config: Config, address: str):
        self.client, self.config, self.address = client, config, address
        self._build = uuid.uuid4().hex[:12]
        self._blobs: dict[str, object] = {}           # sha256 -> the scattered bytes (a Dask future)
        self._running: dict[object, Future] = {}     # a report's Dask future -> the build's
        self._lock = threading.Lock()                 # between the build's thread, Dask's callbacks and the watch
        self._closing = False
        self._lost: EnvironmentProblem | None = None
        self._stop = threading.Event()
        common = _common_files(config)
        digest = sha256_bytes("\n".join(f"{path}\0{sha}" for path, (sha, _data) in sorted(common.items())).encode())
        self._common = {path: (sha, self._blob(sha, data)) for path, (sha, data) in common.items()}
        project = Project(config, current_language(), os.environ.get("SOURCE_DATE_EPOCH"), tool_versions(), digest)
        self._project = client.submit(_given, project, key=f"reportgen-project-{self._build}", pure=False)
        threading.Thread(target=self._watch, name="reportgen-dask-watch", daemon=True).start()

    def _blob(self, sha: str, data: bytes):
        """A file's bytes on the cluster, once whatever the number of tasks that read it: a task that gives them
        (not scattered data, which is lost with the worker holding it: the scheduler runs this task again)."""
        if sha not in self._blobs:
            self._blobs[sha] = self.client.submit(_given, data, key=f"reportgen-file-{sha}", pure=False)
        return self._blobs[sha]

    def submit(self, function, task: ReportTask | VolumeTask) -> Future:
        result: Future = Future()
        if not isinstance(task, ReportTask):  # a volume: made here, from the units the workers sent back
            result.set_result(function(task))
            return result
        files = dict(self._common)
        for path in task.assets:
            real = Path(os.path.realpath(path))
            data = real.read_bytes()
            sha = sha256_bytes(data)
            files[str(real)] = (sha, self._blob(sha, data))
        sent = dataclasses.replace(task, draft=dataclasses.replace(task.draft, path=_real(task.draft.path)), units=None)
        with self._lock:  # a future is either refused here or ended by `_give_up`: none is left waiting
            if self._lost is not None:
                raise EnvironmentProblem(str(self._lost))
            future = self.client.submit(run_report, sent, self._project, files, pure=False,
                                        key=f"reportgen-{task.draft.year_dir}-{task.draft.report_id}-{self._build}")
            self._running[future] = result
        future.add_done_callback(lambda done: self._deliver(done, task, result))
        return result

    def _deliver(self, done, task: ReportTask, result: Future) -> None:
        """In Dask's callback thread: the task's output, its cache files adopted into this build's cache."""
        with self._lock:
            if result.done():  # the build gave up on the cluster before this came (`_give_up`)
                return
            if self._closing:
                result.cancel()
                result.set_running_or_notify_cancel()
                return
            try:
                output = self._output(done, task)
            except EnvironmentProblem as problem:
                self._give_up(problem)  # this future too
                return
            finally:
                self._running.pop(done, None)
            result.set_result(output)

    def _output(self, done, task: ReportTask) -> ReportOutput:
        """What a finished Dask future gives the build; an `EnvironmentProblem` for what is no report's fault."""
        from distributed.scheduler import KilledWorker

        try:
            if done.status == "cancelled":  # not by this build (it is not closing): by the lost connection
                raise self._connection_lost()
            try:
                remote = done.result()
            except VersionsDiffer as refused:  # a worker that joined since the build connected (`run_report`)
                raise EnvironmentProblem(_version_difference(refused.worker, refused.versions,
                                                             tool_versions())) from None
            except KilledWorker:
                return _failed(task, "RND608", _(
                    "the Dask workers rendering this report ended abruptly, each time it was tried (a crash, or "
                    "more memory than a worker may use); the other reports were built"))
            except Exception as error:  # noqa: BLE001 - a lost connection, or the task's own error
                if self.client.status != "running":
                    raise self._connection_lost() from None
                log.debug("the task of %s failed on the cluster", task.draft.path, exc_info=True)
                return _failed(task, "RND601", _("rendering failed: {error}").format(
                    error=f"{type(error).__name__}: {error}"))
            if task.units is not None:
                adopt_cache_files(task.units, remote.files)
            return _as_built_here(remote.output, task)
        except EnvironmentProblem:
            raise
        except BaseException as error:  # noqa: BLE001 - the build waits for this future: it must end
            return _failed(task, "RND601", _("rendering failed: {error}").format(
                error=f"{type(error).__name__}: {error}"))

    def _connection_lost(self) -> EnvironmentProblem:
        return EnvironmentProblem(_(
            "lost the connection to the Dask scheduler at {address} (it stopped, or the network failed); the "
            "reports finished so far are kept and the next build reuses them").format(address=self.address))

    def _give_up(self, problem: EnvironmentProblem) -> None:
        """With the lock held: end every future not done yet with `problem` (the build raises it where it
        collects them), and refuse new tasks."""
        if self._lost is None:
            self._lost = problem
        for result in self._running.values():
            if not result.done():
                result.set_exception(EnvironmentProblem(str(self._lost)))

    def _watch(self) -> None:
        """Notice a lost connection when no task is there to tell it (Dask cancels only the futures it holds
        then; one submitted while it reconnects would wait for ever)."""
        while not self._stop.wait(WATCH_INTERVAL):
            if self.client.status != "running":
                with self._lock:
                    if not self._closing:
                        self._give_up(self._connection_lost())
                return

    def close(self, *, cancel: bool) -> None:
        """Let the cluster go: with `cancel` (Ctrl-C, an error) the tasks not finished are cancelled first.
        Waits for a delivery under way (its files are adopted whole); never raises over the build's error."""
        with self._lock:
            self._closing = True
            self._stop.set()
            unfinished = [future for future in self._running if not future.done()]
        try:
            if cancel and unfinished and self._lost is None and self.client.status == "running":
                self.client.cancel(unfinished, force=True)
        except Exception:  # noqa: BLE001 - the connection went meanwhile: the scheduler forgets them with it
            log.debug("cancelling the build's tasks on the cluster failed", exc_info=True)
        finally:
            try:
                self.client.close(timeout=CONNECT_TIMEOUT)
            except Exception:  # noqa: BLE001 - as above
                log.debug("closing the connection to the scheduler failed", exc_info=True)


def _given(value):
    return value


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _common_files(config: Config) -> dict[str, tuple[str, bytes]]:
    """The files every report task reads, by real path: the templates (with `reference.docx`) and the logos."""
    paths = [path for path in sorted(config.templates_dir.rglob("*")) if path.is_file()] \
        if config.templates_dir.is_dir() else []
    paths += [config.resolve(name) for name in (config.brand.logo, config.brand.logo_raster) if name]
    files = {}
    for path in paths:
        if path.is_file():
            data = path.read_bytes()
            files[str(_real(path))] = (sha256_bytes(data), data)
    return files


def _failed(task: ReportTask, code: str, message: str) -> ReportOutput:
    return ReportOutput(path=task.draft.path, diagnostics=[diagnostic(code, task.draft.path, (1, 1), message)])


def _as_built_here(output: ReportOutput, task: ReportTask) -> ReportOutput:
    """A worker's output with the draft named as this build names it (the worker knew its real path)."""
    real = _real(task.draft.path)

    def named(item: Diagnostic) -> Diagnostic:
        return dataclasses.replace(item, path=task.draft.path) if item.path == real else item

    output.path = task.draft.path
    output.diagnostics = [named(item) for item in output.diagnostics]
    return output


# ---- the worker's side ----------------------------------------------------------------------------------------

_ONE_AT_A_TIME = threading.Lock()  # WeasyPrint's state, the language and the environment are the process's
_written: dict[Path, str] = {}      # the worker's copies of the build's files: path -> sha256 of what it holds


def run_report(task: ReportTask, project: Project, files: dict[str, tuple[str, bytes]]) -> RemoteReport:
    """Run on a Dask worker: keep the files under the worker's directory (`store.shadowed`), render the report
    there as `worker.render_report` does, and send back what it made, named as the build names it."""
    from distributed import get_worker

    with _ONE_AT_A_TIME:
        base = Path(get_worker().local_directory).resolve() / "reportgen"
        if tool_versions() != project.versions:  # a worker that joined after the build checked the others
            raise VersionsDiffer(get_worker().address, tool_versions())
        shadow = base / "project" / project.digest[:16]
        _keep(files, base / "blobs", shadow)
        scratch = Path(tempfile.mkdtemp(dir=base, prefix="task-"))
        try:
            return _render_here(task, project, shadow, scratch)
        finally:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


def _keep(files: dict[str, tuple[str, bytes]], blobs: Path, shadow: Path) -> None:
    """The build's files at their paths under `shadow`, each kept once by content under `blobs` (and linked)."""
    from generator.core.atomic import atomic_write

    for path, (sha, data) in files.items():
        target = shadowed(Path(path), shadow)
        if _written.get(target) == sha and target.is_file():
            continue
        blob = blobs / sha
        if not blob.is_file():
            atomic_write(blob, data)
        target.parent.mkdir(parents=True, exist_ok=True)
        link = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            os.link(blob, link)
        except OSError:  # a file system without hard links
            atomic_write(link, data)
        os.replace(link, target)
        _written[target] = sha


def _shadowed_config(config: Config, shadow: Path) -> Config:
    """The configuration with every project path the worker's copy (each absolute, as the build resolved it)."""
    def at(path: Path) -> str:
        return str(shadowed(path, shadow))

    project = config.project.model_copy(update={
        "sources": at(config.sources_dir), "registry": at(config.registry_path), "templates": at(config.templates_dir),
        "output": at(config.output_dir)})
    brand = config.brand.model_copy(update={name: at(config.resolve(getattr(config.brand, name))) if
                                            getattr(config.brand, name) else "" for name in ("logo", "logo_raster")})
    return config.model_copy(update={"project": project, "brand": brand, "root": shadowed(config.root.resolve(), shadow),
                                     "path": shadowed(_real(config.path), shadow) if config.path else None})


def _render_here(task: ReportTask, project: Project, shadow: Path, scratch: Path) -> RemoteReport:
    from . import worker

    if project.source_date_epoch is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = project.source_date_epoch
    worker.initialise(_shadowed_config(project.config, shadow), project.language, limit_threads=True)
    units = scratch / task.draft.year_dir / "units"
    here = dataclasses.replace(task, draft=dataclasses.replace(task.draft, path=shadowed(task.draft.path, shadow)),
                               units=units, shadow=shadow)
    output = worker.render_report(here)

    def named(item: Diagnostic) -> Diagnostic:
        return dataclasses.replace(item, path=Path(unshadowed(str(item.path), shadow)),
                                   message=unshadowed(item.message, shadow))

    output.path = task.draft.path
    output.diagnostics = [named(item) for item in output.diagnostics]
    return RemoteReport(output, cache_files(units))
