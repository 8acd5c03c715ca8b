"""The annual volume (年度成果汇编): planning which reports go in, and compiling its PDF and DOCX.

Order: cover, inside title page, preface (from `<sources>/<year>/_volume.md`), an overview computed from the
drafts, the table of contents, the reports grouped by theme (each from a right-hand page), indexes of
counselors and companies, the afterword and the back cover. Front matter is numbered in roman numerals, the
body from 1. The reports' parts are the units their own PDFs were made from (`render/units.py`), already in the
unit cache when the build starts a volume; the back and front matter are laid out with the page numbers the
parts give, and `render/assemble.py` joins everything into one PDF (see `render/volume_pdf.py`); the printed
start pages are used for the TOC, the indexes, the manifest and the pre-filled Word TOC field. The PDF and the
Word volume are two tasks run side by side (`VolumeJob`), sharing laid-out units through the cache.

Failure policy (`volume.on_failed_report`): "exclude" builds the volume without reports that failed and the
build exits 1; "keep-previous" leaves the previous volume in place, writes nothing, and the build exits 1.
A report that fails while the build runs (at render) is excluded then (`VolumeJob.exclude`): what its volume's
tasks made with it is dropped, and a task waiting for its unit stops instead of laying it out. Either way a
volume is written whole or not at all, and one whose own diagnostics hold an error is not written.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from generator.core.atomic import atomic_write
from generator.core.config import Config
from generator.core.digest import sha256_bytes
from generator.core.model import Draft, Severity
from generator.core.verify import read_json
from generator.read.volume_source import volume_source_draft

from .keys import volume_key, word_segment_key
from .store import VOLUME_RECORD, intact, units_dir, volume_record_path
from .tasks import KeptFile, VolumeOutput, VolumeTask

# ---- planning (parent process) ------------------------------------------------------------------------


@dataclass
class VolumeJob:
    config: Config
    year: str
    report_paths: list[Path]
    formats: tuple[str, ...]
    include_drafts: bool
    key: str
    targets: dict[str, Path]
    record: dict
    environment: str
    units: Path
    source: Draft | None = None                          # `_volume.md` as read for the key
    registry: object = None                              # the registry as read for the key and the checks
    needs_render: bool = True
    units_used: list[str] = field(default_factory=list)  # keys of the laid-out units the volume came from
    members: list = field(default_factory=list, repr=False)      # the reports' build records, updated as they render

    @property
    def known_pages(self) -> dict[Path, int]:
        """Page counts of the reports reused from the cache."""
        return {record.doc.path: record.pages for record in self.members if record.result == "reused"}

    def task(self, kind: str, page_counts: dict[str, int] | None = None,
             waiting_for: frozenset[str] = frozenset()) -> VolumeTask:
        """The PDF and the Word volume are separate tasks, run side by side: each lays out what it needs (the
        Word volume only the back matter, whose pages its TOC prints) or takes it from the unit cache. Given the
        reports' page counts, the Word volume needs no report laid out at all. The PDF task may start while
        the reports in `waiting_for` (paths) are still being laid out: it waits for their units."""
        # The units of the reports already rendered or reused, by key: a task reads them without making each
        # report's HTML again to find its key. The drafts, `_volume.md` and the registry are as this build read
        # and checked them: no task reads them again.
        return VolumeTask(
            year=self.year, drafts=tuple(record.doc.draft for record in self.members), kind=kind,
            include_drafts=self.include_drafts, units=self.units, environment=self.environment, source=self.source,
            registry=self.registry, page_counts=page_counts, waiting_for=waiting_for,
            unit_keys={str(record.doc.path): record.units[0] for record in self.members if len(record.units) == 1},
            segment_keys={str(record.doc.path): word_segment_key(record.key) for record in self.members
                          if record.key})

    def failing_members(self, output: VolumeOutput) -> list:
        """Members whose laid-out unit reported an error (with the severity overrides): a report that was not
        rendered in this build (`reportgen volume`) and that cannot be set, found as the volume lays it out.
        Each is marked failed, with what its layout reported, for the build to exclude."""
        from generator.check.engine import apply_severity

        failing = []
        for member in self.members:
            problems = apply_severity(output.member_diagnostics.get(str(member.doc.path), ()), self.config)
            if any(item.severity == Severity.ERROR for item in problems):
                member.diagnostics.extend(item for item in problems if item not in member.diagnostics)
                member.result = "failed"
                failing.append(member)
        return failing

    def run_in_process(self) -> VolumeOutput:
        """Make the volume here: again without each report found failing (unless the policy stops it)."""
        from . import worker

        while True:
            output = merge_outputs([worker.render_volume(self.task(kind)) for kind in self.formats])
            failing = self.failing_members(output)
            if not failing:
                return output
            for member in failing:
                self.exclude(member)
            if not self.needs_render:
                return output

    def exclude(self, member) -> None:
        """A report of this volume failed while the build ran: the volume goes on without it, or under the
        `keep-previous` policy is not made at all (the previous one stays)."""
        self.members.remove(member)
        self.report_paths.remove(member.doc.path)
        self.record["excluded"].append(member.doc.report_id)
        self.record["exclusions"].append(exclusion(member))
        if self.config.volume.on_failed_report == "keep-previous":
            self.record.update(result="failed", kept_previous=True)
            self.needs_render = False
        elif not self.members:
            self.record["result"] = "skipped"
            self.needs_render = False
        else:
            self.record["failed_reports"] = True
            self.key = self.record["content_hash"] = volume_key(self.environment, self.formats, self.include_drafts,
                                                                self.members, self.source, self.registry)

    def store(self, output: VolumeOutput, out: Path) -> None:
        from generator.check.engine import apply_severity

        self.units_used = sorted(output.cache_used)
        root = self.config.root.resolve()
        problems = apply_severity(output.diagnostics, self.config)
        self.record["diagnostics"] = [item.to_record(root) for item in problems]
        blobs = {"pdf": output.pdf, "docx": output.docx}
        # As for a report: an error (a character no configured font draws in the front matter, …) fails it.
        if any(blobs[kind] is None for kind in self.formats) or any(item.severity == Severity.ERROR
                                                                    for item in problems):
            self.record["result"] = "failed"
            for blob in blobs.values():
                if isinstance(blob, KeptFile):
                    blob.path.unlink(missing_ok=True)
            return
        for kind, target in self.targets.items():
            blob = blobs[kind]
            if isinstance(blob, KeptFile):  # written and fsynced by the task: moved into place
                target.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(blob.path, target.stat().st_mode & 0o777 if target.exists() else 0o644)  # as atomic_write
                os.replace(blob.path, target)
                size, digest = blob.size, blob.sha256
            else:
                atomic_write(target, blob)
                size, digest = len(blob), sha256_bytes(blob)
            self.record["outputs"][kind] = {"path": str(target.relative_to(out)), "sha256": digest, "bytes": size}
        # The page count is the PDF volume's: Word lays its own file out, to a count no one knows here.
        self.record.update(result="built", rebuilt=True, pages=output.pages if "pdf" in self.formats else None,
                           reports=[{"id": rid, "title": title, "start_page": page} for rid, title, page in output.starts])
        atomic_write(volume_record_path(out, self.year), json.dumps(
            {"key": self.key, "record": self.record, "units": self.units_used}, ensure_ascii=False,
            indent=1).encode())


def exclusion(record) -> dict:
    """Why a report is not in its volume, for the manifest: its result and the codes that failed it."""
    errors = sorted({item.code for item in record.diagnostics if item.severity == Severity.ERROR})
    return {"id": record.doc.report_id, "result": record.result,
            "codes": errors or sorted({item.code for item in record.diagnostics if item.severity == Severity.WARNING})}


def merge_outputs(outputs: list[VolumeOutput]) -> VolumeOutput:
    """One volume's result from its PDF and Word tasks (a diagnostic both report is kept once)."""
    merged = VolumeOutput()
    for output in outputs:
        merged.pdf = merged.pdf if output.pdf is None else output.pdf
        merged.docx = merged.docx if output.docx is None else output.docx
        merged.pages, merged.starts = max(merged.pages, output.pages), merged.starts or output.starts
        merged.diagnostics.extend(item for item in output.diagnostics if item not in merged.diagnostics)
        merged.cache_used |= output.cache_used
        merged.member_diagnostics.update(output.member_diagnostics)
        merged.missing = merged.missing or output.missing
    return merged


def plan_volumes(config: Config, records, *, out: Path, formats: tuple[str, ...], include_drafts: bool,
                 environment: str, registry, sources: dict | None = None) -> list[VolumeJob]:
    """One job per year with reports; decide what goes in and whether the previous volume can be reused."""
    jobs = []
    by_year: dict[str, list] = defaultdict(list)
    for record in records:
        by_year[record.doc.draft.year_dir].append(record)
    approved = config.front_matter.approved_status
    for year, year_records in sorted(by_year.items()):
        wanted = [r for r in year_records if include_drafts or r.doc.meta.status == approved]
        failed = [r for r in wanted if r.failed]
        included = sorted((r for r in wanted if not r.failed), key=lambda r: r.doc.report_id)
        targets = {kind: out / year / (config.volume.pdf_name if kind == "pdf" else config.volume.docx_name)
                   for kind in formats}
        record = {"year": year, "outputs": {}, "pages": 0, "reports": [], "result": "pending", "rebuilt": False,
                  "include_drafts": include_drafts, "excluded": [r.doc.report_id for r in failed],
                  "exclusions": [exclusion(r) for r in failed], "diagnostics": []}
        source = (sources or {}).get(year) if year in (sources or {}) else volume_source_draft(config, year)
        key = volume_key(environment, formats, include_drafts, included, source, registry)
        record["content_hash"] = key
        job = VolumeJob(config, year, [r.doc.path for r in included], formats, include_drafts, key, targets, record,
                        environment, units_dir(out, year), source=source, registry=registry, members=included)
        if not included:
            record["result"] = "skipped"
            job.needs_render = False
        elif failed and config.volume.on_failed_report == "keep-previous":
            record["result"] = "failed"
            record["kept_previous"] = True
            job.needs_render = False
        elif _volume_reusable(job, out):
            job.needs_render = False
        if failed and record["result"] != "failed":
            record["failed_reports"] = True
        jobs.append(job)
    return jobs


def _volume_reusable(job: VolumeJob, out: Path) -> bool:
    cached = read_json(volume_record_path(out, job.year), VOLUME_RECORD)
    if cached is None or cached["key"] != job.key:
        return False
    outputs = cached["record"]["outputs"]
    for kind, target in job.targets.items():
        entry = outputs.get(kind)
        if not entry or not intact(target, entry):
            return False
    job.record.update({k: v for k, v in cached["record"].items()
                       if k not in ("excluded", "exclusions", "failed_reports")})
    job.record.update(result="reused", rebuilt=False)
    job.units_used = cached.get("units", [])
    return True
