"""Compiling a year's volume from the workspace (issue 17): the pages, the progress endpoint and the downloads.

A compile is the real build (`generator.run_build`: the nightly build's code and output lock) run for one year in
a process of its own (`compile_run`), so that it outlives the request. Its state is files, not database rows:
`.reportgen/compiles/<id>/` holds the job, its progress lines, its result and the ZIP of what it made; downloads
come from that ZIP, so they are exactly this compile's files even after a later build. A preview (drafts
included, `--include-drafts`) is built into a directory of its own (`compiles/preview-output/`) and never
replaces the real volume. Only reviewers and admins compile and download (`permissions.require_for_year`)."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

import generator

from . import drafts, permissions
from .compile_run import archive_name
from .i18n import _, current_language

JOB_ID = re.compile(r"(?P<year>[0-9]{4})-[0-9]{8}T[0-9]{6}-[0-9a-f]{6}\Z")
CONTENT_TYPES = {"pdf": "application/pdf",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "zip": "application/zip"}
FINISHED = {"done", "failed", "locked", "error", "gone"}


def compiles_dir() -> Path:
    return Path(settings.STATE_DIR) / "compiles"


def preview_output() -> Path:
    """Where previews are built: never the real output directory, so a preview never replaces the volume."""
    return compiles_dir() / "preview-output"


def years() -> list[str]:
    sources = drafts.config().sources_dir
    found = [entry.name for entry in sources.iterdir() if entry.is_dir() and drafts.YEAR.match(entry.name)] \
        if sources.is_dir() else []
    return sorted(found, reverse=True)


def _year(year: int) -> str:
    if str(year) not in years():
        raise Http404("no such year")
    return str(year)


# --- jobs -------------------------------------------------------------------------------------------------

KEEP = 10   # finished compiles kept per year (each keeps its ZIP); older ones are removed when one starts


def _prune(year: str) -> None:
    finished = [directory for directory in sorted(compiles_dir().glob(f"{year}-*"), reverse=True)
                if (directory / "result.json").is_file() and _running(directory) is not True]
    for directory in finished[KEEP:]:
        shutil.rmtree(directory, ignore_errors=True)


def start(user, year: str, *, preview: bool, wait: bool) -> str:
    """Start a compile of `year` in a process of its own; returns its id at once."""
    config = drafts.config()
    _prune(year)
    job_id = f"{year}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    directory = compiles_dir() / job_id
    directory.mkdir(parents=True)
    job = {"id": job_id, "year": year, "preview": preview, "wait": wait, "user": user.get_username(),
           "language": current_language(), "config": str(config.path) if config.path else None,
           "out": str(preview_output()) if preview else None,
           "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    (directory / "job.json").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    log = (directory / "compile.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "generator.web.compile_run", str(directory)],
                               cwd=config.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)   # not stopped with the request, nor by Ctrl-C of the server
    log.close()
    threading.Thread(target=process.wait, daemon=True, name=f"compile {job_id}").start()   # no zombie left
    return job_id


def _job(year: int, job_id: str) -> tuple[Path, dict]:
    match = JOB_ID.match(job_id)
    if not match or match["year"] != str(year):
        raise Http404("no such compile")
    directory = compiles_dir() / job_id
    try:
        return directory, json.loads((directory / "job.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Http404("no such compile") from None


def _running(directory: Path) -> bool | None:
    """Whether the compile's process is alive (it holds `running` locked); None before it has started."""
    try:
        return generator.lock_holder(directory / "running") is not None
    except FileNotFoundError:
        return None


STARTS_WITHIN = 120.0   # seconds: a compile whose process has not started by then never will


def _result(directory: Path) -> dict | None:
    try:
        return json.loads((directory / "result.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _age(directory: Path) -> float:
    return time.time() - (directory / "job.json").stat().st_mtime


def state(directory: Path) -> dict:
    """What the page shows of a compile: its state, its steps so far and, once finished, its result."""
    events = []
    try:
        for line in (directory / "progress.jsonl").read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                pass   # a line being written
    except FileNotFoundError:
        pass
    result = _result(directory)
    running = _running(directory) if result is None else None
    if result is None and running is not True:
        result = _result(directory)   # written just before the process ended, after the first look
    steps = [event["description"] for event in events if event["event"] == "step"]
    total = next((event["total"] for event in reversed(events) if event["event"] == "start"), 0)
    last = events[-1]["event"] if events else None
    if result is not None:
        current = result["state"]
    elif running is False or (running is None and _age(directory) > STARTS_WITHIN):
        current = "gone"     # ended without a result (killed), or never started
    elif last == "waiting":
        current = "waiting"
    elif last in ("start", "step", "built"):
        current = "building"
    elif last == "checking":
        current = "checking"
    else:
        current = "starting"
    message = result.get("message") if result else (events[-1].get("message") if last == "waiting" else None)
    return {"state": current, "finished": current in FINISHED, "total": total, "done": len(steps), "steps": steps,
            "message": message, "result": result}


def recent(year: str, count: int = 10) -> list[dict]:
    """The year's latest compiles, newest first."""
    directories = sorted(compiles_dir().glob(f"{year}-*"), reverse=True) if compiles_dir().is_dir() else []
    found = []
    for directory in directories[:count]:
        try:
            job = json.loads((directory / "job.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            continue
        found.append({"job": job, "started": _local(job["started"]), **state(directory)})
    return found


# --- pages ------------------------------------------------------------------------------------------------

def _local(moment: str) -> str:
    """A job's start (UTC, ISO 8601) in the workspace's time zone."""
    from django.utils import timezone

    return timezone.localtime(dt.datetime.fromisoformat(moment)).strftime("%Y-%m-%d %H:%M:%S")


def _messages() -> dict:
    """The compile script's words, in the page's language."""
    return {"starting": _("Starting…"), "checking": _("Checking the drafts…"),
            "waiting": _("Another build is running; waiting for it to finish…"),
            "building": _("Building: {done} of {total} done"), "done": _("Finished."),
            "failed": _("Finished with failures."), "gone": _("The compile stopped before it finished."),
            "locked": _("Another build is running."), "error": _("The compile could not run.")}


@login_required
@require_GET
def index_view(request):
    permissions.require_for_year(request.user, "compile")
    return render(request, "workspace/compile_index.j2", {"years": years()})


@login_required
@require_GET
def year_view(request, year):
    permissions.require_for_year(request.user, "compile")
    year = _year(year)
    return render(request, "workspace/compile_year.j2", {"year": year, "recent": recent(year),
                                                          "messages": _messages(),
                                                          "busy": generator.build_running(drafts.config())})


@login_required
@require_POST
def start_view(request, year):
    permissions.require_for_year(request.user, "compile")
    year = _year(year)
    job_id = start(request.user, year, preview=request.POST.get("preview") == "1",
                   wait=request.POST.get("wait") == "1")
    return redirect("workspace:compile_job", year, job_id)


def _titles(year: str) -> dict[str, str]:
    """The year's report titles by id, to name each step of the progress (the build names reports by id)."""
    return {draft.report_id: draft.meta.title or "" for draft in drafts.all_drafts()
            if str(draft.year) == year and draft.text is not None}


@login_required
@require_GET
def job_view(request, year, job_id):
    permissions.require_for_year(request.user, "compile")
    directory, job = _job(year, job_id)
    current = state(directory)
    result = current["result"] or {}
    reports = result.get("reports", [])
    volume = result.get("volume") or {}
    starts = {entry["id"]: entry["start_page"] for entry in volume.get("reports", [])}
    return render(request, "workspace/compile_job.j2", {
        "year": job["year"], "job": job, "started": _local(job["started"]), "state": current, "result": result, "volume": volume,
        "reports": reports, "starts": starts, "failed": [report for report in reports if report["result"] == "failed"],
        "messages": _messages(), "status_url": reverse("workspace:compile_status", args=[year, job_id]),
        "titles": _titles(job["year"])})


@login_required
@require_GET
def status_view(request, year, job_id):
    permissions.require_for_year(request.user, "compile")
    directory, job = _job(year, job_id)
    current = state(directory)
    current.pop("result")
    return JsonResponse({**current, "preview": job["preview"]})


# --- downloads --------------------------------------------------------------------------------------------

def content_disposition(filename: str, fallback: str) -> str:
    """An attachment's name for every browser: an ASCII `filename` and the real one in RFC 5987's `filename*`."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _safe(text: str) -> str:
    return re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", text).strip()[:80]


def _volume_name(job: dict) -> str:
    if job["preview"]:
        return _("{year} annual volume (preview with drafts)").format(year=job["year"])
    return _("{year} annual volume").format(year=job["year"])


def _finished_archive(directory: Path) -> Path:
    result = state(directory)["result"] or {}
    if not result.get("archive"):
        raise Http404("nothing compiled")
    return directory / result["archive"]


def _member(directory: Path, member: str, filename: str, fallback: str, kind: str) -> HttpResponse:
    with zipfile.ZipFile(_finished_archive(directory)) as archive:
        try:
            data = archive.read(member)
        except KeyError:
            raise Http404("no such file") from None
    response = HttpResponse(data, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = content_disposition(filename, fallback)
    return response


@login_required
@require_GET
def volume_download_view(request, year, job_id, kind):
    permissions.require_for_year(request.user, "compile")
    directory, job = _job(year, job_id)
    if kind not in ("pdf", "docx"):
        raise Http404("no such format")
    suffix = "-preview" if job["preview"] else ""
    return _member(directory, f"volume.{kind}", f"{_volume_name(job)}.{kind}", f"volume-{year}{suffix}.{kind}", kind)


@login_required
@require_GET
def report_download_view(request, year, job_id, report_id, kind):
    permissions.require_for_year(request.user, "compile")
    directory, job = _job(year, job_id)
    if kind not in ("pdf", "docx"):
        raise Http404("no such format")
    reports = (state(directory)["result"] or {}).get("reports", [])
    report = next((report for report in reports if report["id"] == report_id), None)
    if report is None:
        raise Http404("no such report")
    title = _safe(report.get("title") or "")
    return _member(directory, f"reports/{report_id}.{kind}", f"{year}-{report_id} {title}.{kind}".replace(" .", "."),
                   f"{year}-{report_id}.{kind}", kind)


@login_required
@require_GET
def archive_download_view(request, year, job_id):
    permissions.require_for_year(request.user, "compile")
    directory, job = _job(year, job_id)
    path = _finished_archive(directory)
    if path.name != archive_name(job["year"], job["preview"]) or not path.is_file():
        raise Http404("no such file")
    response = FileResponse(path.open("rb"), content_type=CONTENT_TYPES["zip"])
    suffix = "-preview" if job["preview"] else ""
    response["Content-Disposition"] = content_disposition(f"{_volume_name(job)}.zip", f"{year}{suffix}.zip")
    return response
