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
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator import __version__
from generator.core.atomic import atomic_write
from generator.core.config import Config, require_resources
from generator.core.digest import sha256_bytes, sha256_file
from generator.core.i18n import _
from generator.core.model import Diagnostic, Document, Severity, fails, relative_to_project
from generator.core.verify import read_json
from generator.read.discover import discover_drafts

from .keys import environment_key, report_key, unit_basis
from .pool import WorkerPool, stop_fork_server
from .scheduler import Scheduler
from .store import (
    REPORT_RECORD,
    VOLUME_RECORD,
    CheckMemo,
    OutputLock,
    cached_volume_outputs,
    check_memo_path,
    file_identity,
    intact,
    read_report_record,
    remove_temporaries,
    report_record_path,
    report_record_paths,
    trees_dir,
    units_dir,
    volume_record_path,
)
from .tasks import ReportOutput

log = logging.getLogger(__name__)
FORMATS = ("pdf", "docx")
MANIFEST = "manifest.json"


@dataclass
class ReportRecord:
    doc: Document
    key: str = ""
    result: str = "pending"  # built | reused | failed | skipped
    # The keys of the laid-out units its outputs came from (for `reportgen volume`, which renders no report: the
    # unit its last build recorded, if still its own: `_recorded_unit`).
    units: list[str] = field(default_factory=list)
    assets: list[Path] = field(default_factory=list)  # the images it references (in its key)
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
    seen = cached.get("identity") if isinstance(cached.get("identity"), dict) else {}
    if not all(intact(target, cached["outputs"][kind], seen.get(kind)) for kind, target in targets.items()):
        return False
    record.outputs, record.pages, record.units = cached["outputs"], cached["pages"], cached["units"]
    # What rendering reported (a refused image, a character no configured font has) still holds for the outputs.
    # They are all about the draft itself, wherever the project has moved since.
    record.diagnostics.extend(dataclasses.replace(item, path=record.doc.path) for item in cached["diagnostics"])
    return True


def _recorded_unit(record: ReportRecord, out: Path, environment: str, config: Config) -> list[str]:
    """The key of the unit a report's last build laid out (`_store_report`), if that unit was made from what the
    report is made of now (an equal `keys.unit_basis`): the volume takes it from the unit cache by that key instead
    of making the report's HTML again to find it. No key otherwise (the draft, an image, the templates, the
    configuration, reportgen … changed since; that build made no PDF): the volume makes the HTML, and lays the
    report out if no unit has the key it finds."""
    cached = read_report_record(_record_path(out, record.doc))
    unit = cached["unit"] if cached is not None else None
    if unit is None or unit["basis"] != unit_basis(record.doc.draft, record.assets, environment, config.root):
        return []
    return [unit["key"]]


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


@dataclass(frozen=True)
class BuildRequest:
    """What a build is asked to do (`reportgen build` and `reportgen volume` options)."""

    paths: tuple[Path, ...] = ()            # drafts named on the command line; none: every draft of the sources
    formats: tuple[str, ...] = FORMATS
    jobs: int | None = None                 # worker processes; None: the number of cores
    volume: bool = True                     # compile each year's volume (only when every draft is read)
    strict: bool = False                    # warnings fail too
    out: Path | None = None                 # the output directory; None: the configuration's
    include_drafts: bool = False            # a preview volume with the reports not approved yet
    years: frozenset[str] = frozenset()     # `reportgen volume --year`: only these years' volumes
    reports: bool = True                    # False: render no report (`reportgen volume`)
    scheduler: str | None = None            # a Dask scheduler's address: the reports render on its cluster

    @classmethod
    def of(cls, *, paths=None, years=None, formats=FORMATS, **options) -> BuildRequest:
        """A request from keyword options as the library API takes them (lists and sets welcome)."""
        return cls(paths=tuple(paths or ()), years=frozenset(years or ()), formats=tuple(formats), **options)

    @property
    def every_draft(self) -> bool:
        """Every draft of the sources is read and checked: the corpus-wide rules run, and volumes can be made
        (a volume always holds every approved report of its year: made from a subset it would replace the full
        volume with a partial one)."""
        return not self.paths

    @property
    def whole_corpus(self) -> bool:
        """Everything the sources hold is built: outputs of drafts that are gone are removed, unused units
        pruned, and the build's journal may be recorded."""
        return self.every_draft and self.reports and not self.years


def build(config: Config, request: BuildRequest = BuildRequest(), *, progress: Progress | None = None,
          journal_as: list[str] | None = None) -> BuildResult:
    """Run the main job; see the module docstring for the stages. With `journal_as` (the command line), a
    whole-corpus build records the journal that lets the next identical build replay it (`journal.py`)."""
    from .volume import VolumeJob, plan_volumes  # imported late: the volume module is only needed here

    require_resources(config, rendering=True)  # a missing font or logo is an error, never a silent omission
    started = time.monotonic()
    progress = progress or Progress()
    paths, formats, strict, years = request.paths, request.formats, request.strict, request.years
    out = (request.out or config.output_dir).resolve()
    jobs = max(1, request.jobs or os.cpu_count() or 1)
    whole_corpus = request.whole_corpus
    recording = journal_as is not None and whole_corpus
    if request.scheduler:
        from .distributed import DaskPool

        workers = DaskPool(config, request.scheduler)
    else:
        workers = WorkerPool(config, jobs)
    with OutputLock(out) as lock, workers as pool:
        if recording:  # what this build depends on, before it reads any of it
            from generator.build import journal

            listed = journal.inputs(config)
            before = journal.state(listed)
        remove_temporaries(out)  # of a build that was killed mid-write
        drafts = discover_drafts(list(paths or []), config)
        if request.reports and _probably_stale(drafts, out, config.check.max_draft_bytes):
            pool.start_early()  # workers get ready while this process loads the checker and checks the drafts
        else:
            stop_fork_server()  # the command line started it in case; workers start on demand if need be
        from generator.check.context import CheckContext, forget
        from generator.check.engine import check_paths
        from generator.check.rules.assets import asset_files
        from generator.read.registry import load_registry

        environment = environment_key(config)
        registry = load_registry(config.registry_path)
        memo = CheckMemo(check_memo_path(out), f"{environment}\0{registry.digest or 'none'}\0{request.every_draft}")
        volume_sources: dict = {}
        documents, diagnostics = check_paths(drafts, config, registry, whole_corpus=request.every_draft, memo=memo,
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
            record.assets = memo.assets(record.doc)  # found by the check, or (not in its memo) now
            if record.assets is None:
                record.assets = asset_files(record.doc, context)
                forget(record.doc)  # the lines the images were found in: a copy of every draft otherwise
            record.key = report_key(record.doc.draft.digest, record.assets, environment, formats)
            if not request.reports:
                record.result = "skipped"
                continue
            if _reusable(record, out, _outputs_for(record.doc, out, formats)):
                record.result = "reused"
            else:
                to_render.append(record)

        volume_jobs: list[VolumeJob] = []
        if request.volume and request.every_draft:
            volume_jobs = plan_volumes(config, records, out=out, formats=formats,
                                       include_drafts=request.include_drafts,
                                       environment=environment, registry=registry, sources=volume_sources)
        if not request.reports:  # `reportgen volume`: its reports' units as their last builds recorded them
            for member in (member for job in volume_jobs if job.needs_render for member in job.members):
                member.units = _recorded_unit(member, out, environment, config)
        if to_render and not pool.local:
            pool.start()  # a cluster that cannot be used is an error before anything is built
        progress.start(len(to_render) + len(volume_jobs), _("Building"))
        Scheduler(config, to_render, volume_jobs, out=out, formats=formats, pool=pool, progress=progress,
                  environment=environment,
                  store_report=lambda record, output: _store_report(record, output, out, formats, config,
                                                                    environment)).run()
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
        if not request.reports:
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
        if not any(job.year == year for job in volumes):  # not made in this build (--no-volume): its last one's
            cached = read_json(volume_record_path(out, year), VOLUME_RECORD)  # units stay for the next volume
            keys.update(cached["units"] if cached is not None else ())
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
    written = _outputs_for(record.doc, out, formats)
    for kind, target in written.items():
        atomic_write(target, blobs[kind])
        record.outputs[kind] = {"path": relative_to_project(target, out), "sha256": sha256_bytes(blobs[kind]),
                                "bytes": len(blobs[kind])}
    record.pages = output.pages
    record.result = "built"
    # The report's unit is the one unit its PDF came from: its key, with what it was made from.
    unit = {"key": record.units[0], "basis": unit_basis(record.doc.draft, record.assets, environment, config.root)} \
        if "pdf" in formats and len(record.units) == 1 else None
    atomic_write(_record_path(out, record.doc), json.dumps(
        {"key": record.key, "outputs": record.outputs, "pages": record.pages, "units": record.units, "unit": unit,
         "diagnostics": [item.to_json() for item in rendering],
         "draft": record.doc.draft.digest, "environment": environment,
         "identity": {kind: file_identity(target) for kind, target in written.items()}}, indent=1).encode())


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
