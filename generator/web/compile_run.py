"""One compile of the workspace, run in a process of its own: `python -m generator.web.compile_run DIR`.

The compile page (`compile.py`) writes `DIR/job.json` (`.reportgen/compiles/<id>/`) and starts this process in a
session of its own, so a compile outlives the request and the server's worker that started it. It runs the real
build (`generator.run_build`, the nightly build's code and output lock) for one year and writes, all in DIR:

    running         its process id, held locked (flock) while the process lives: the page tells "running" from "gone"
    progress.jsonl  one JSON line per event: waiting (another build holds the lock), start (total), step, finished
    result.json     written last, atomically: state, the manifest's reports and volume of the year, the ZIP's name
    <year>.zip      the year's volume and every report's files as this compile left them (downloads come from it)

Django is not loaded here: only the library API (`import generator`)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import time
import zipfile
from pathlib import Path

import generator

WAIT_SECONDS = 2.0            # between two attempts at the output lock while waiting for another build
WAIT_AT_MOST = 6 * 3600.0     # a build holding the lock longer than this is not waited for


class FileProgress(generator.Progress):
    """The build's progress (the CLI's notion, `generator.Progress`) as lines of JSON appended to a file."""

    def __init__(self, path: Path):
        self.path = path
        self.done = 0
        self.total = 0

    def event(self, kind: str, **fields) -> None:
        line = json.dumps({"event": kind, "time": time.time(), **fields}, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as handle:   # one write per line: readers never see half
            handle.write(line + "\n")

    def start(self, total: int, description: str) -> None:
        self.total, self.done = total, 0
        self.event("start", total=total, description=description)

    def advance(self, description: str) -> None:
        self.done += 1
        self.event("step", done=self.done, total=self.total, description=description)

    def finish(self) -> None:
        self.event("built", done=self.done, total=self.total)


def write_json(path: Path, value: dict) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def archive_name(year: str, preview: bool) -> str:
    return f"{year}-preview.zip" if preview else f"{year}.zip"


class Replaced(Exception):
    """An output is no longer the file the build wrote (another build, started since, replaced it)."""


def _zip(directory: Path, out: Path, year: str, preview: bool, volume: dict | None, reports: list[dict]) -> str:
    """The year's outputs as this build left them, in one ZIP written atomically: `volume.pdf`, `volume.docx`,
    `reports/<id>.pdf` … (stored, not deflated: PDF and DOCX are compressed already). Each file is taken only if
    it is still the one the manifest describes (the build's lock is released by now)."""
    name = archive_name(year, preview)
    temporary = directory / f".{name}.tmp"
    members = [(entry, f"volume.{kind}") for kind, entry in sorted((volume or {}).get("outputs", {}).items())]
    members += [(entry, f"reports/{report['id']}.{kind}") for report in reports
                for kind, entry in sorted(report.get("outputs", {}).items())]
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
        for entry, member in members:
            data = (out / entry["path"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                temporary.unlink()
                raise Replaced(entry["path"])
            archive.writestr(member, data)
    os.replace(temporary, directory / name)
    return name


def _result_of(build, year: str) -> tuple[dict, dict | None, list[dict]]:
    manifest = json.loads(build.manifest_path.read_text(encoding="utf-8"))
    reports = [report for report in manifest["reports"] if report["year"] == year]
    volume = next((item for item in manifest["volumes"] if str(item.get("year")) == year), None)
    return manifest, volume, reports


def run(directory: Path) -> int:
    job = json.loads((directory / "job.json").read_text(encoding="utf-8"))
    progress = FileProgress(directory / "progress.jsonl")
    year, preview = job["year"], job["preview"]
    config = generator.load_config(Path(job["config"])) if job.get("config") else generator.load_config()
    out = Path(job["out"]) if job.get("out") else config.output_dir
    started = time.monotonic()
    _ = generator.translation(job.get("language")).gettext   # this compile's messages in its requester's language
    with generator.messages_in(job.get("language")):
        progress.event("checking")
        waiting = False
        while True:
            try:
                build = generator.run_build(config, years={year}, include_drafts=preview, out=out,
                                            progress=progress)
                break
            except generator.BuildLocked as locked:
                if not job.get("wait") or time.monotonic() - started > WAIT_AT_MOST:
                    write_json(directory / "result.json", {"state": "locked", "message": str(locked)})
                    return 3
                if not waiting:   # once: the page says "waiting" until the build has the lock and has checked
                    progress.event("waiting", message=str(locked))
                    waiting = True
                time.sleep(WAIT_SECONDS)
            except generator.ReportgenError as error:
                write_json(directory / "result.json", {"state": "error", "message": str(error)})
                return 2
        manifest, volume, reports = _result_of(build, year)
        try:
            archive = _zip(directory, out, year, preview, volume, reports)
        except Replaced as replaced:
            write_json(directory / "result.json", {"state": "error", "message": _(
                "{path} was replaced by another build before this compile could keep it; compile again.").format(
                path=replaced)})
            return 2
    failed = build.exit_status != 0
    write_json(directory / "result.json", {
        "state": "failed" if failed else "done", "exit_status": build.exit_status,
        "duration_seconds": round(build.duration, 1), "finished": manifest["finished"], "output": str(out),
        "volume": volume, "reports": reports, "archive": archive,
        "diagnostics": manifest.get("diagnostics", [])})
    return build.exit_status


def main(argv: list[str]) -> int:
    directory = Path(argv[0])
    with (directory / ".running.tmp").open("w") as running:
        fcntl.flock(running, fcntl.LOCK_EX)     # released by the kernel however this process ends
        running.write(str(os.getpid()))
        running.flush()
        os.replace(directory / ".running.tmp", directory / "running")   # seen only once it is locked
        try:
            return run(directory)
        except BaseException as error:   # written down for the page, then the process ends as it would have
            if not (directory / "result.json").exists():
                write_json(directory / "result.json", {"state": "error", "message": f"{type(error).__name__}: {error}"})
            raise


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
