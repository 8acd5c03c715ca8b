"""Compiling a year's volume from the workspace (issue 17): the real build run for the year in a process of its own,
its progress, the lock it shares with the nightly build, and the downloads — opened, not just fetched.

The builds run on a small year (2023: two approved reports and a draft copied from the sample) to keep them short."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import re
import time
import zipfile
from urllib.parse import unquote

import docx
import pytest
from pypdf import PdfReader

from ..helpers import volume_toc_and_start
from .conftest import PROJECT

YEAR = "2023"


@pytest.fixture
def small_year(sources):
    """reports_src/2023: r01 and r03 (approved) and r27 (a draft), the sample's, moved to 2023."""
    directory = sources / YEAR
    directory.mkdir()
    for report_id in ("r01", "r03", "r27"):
        text = (sources / "2022" / f"{report_id}.md").read_text(encoding="utf-8")
        (directory / f"{report_id}.md").write_text(text.replace("year: 2022", f"year: {YEAR}", 1), encoding="utf-8")
    volume = (sources / "2022" / "_volume.md").read_text(encoding="utf-8")
    (directory / "_volume.md").write_text(volume.replace("2022", YEAR), encoding="utf-8")
    return directory


def _title(directory, report_id):
    return re.search(r"^title: (.*)$", (directory / f"{report_id}.md").read_text(encoding="utf-8"), re.M).group(1)


def _compile(client, year=YEAR, **fields) -> str:
    response = client.post(f"/compile/{year}/start", fields)
    assert response.status_code == 302, response.content[:300]
    match = re.fullmatch(rf"/compile/{year}/({year}-[0-9T]+-[0-9a-f]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def _wait(client, job, year=YEAR, timeout=300, until=lambda status: status["finished"]) -> dict:
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        status = client.get(f"/compile/{year}/{job}/status").json()
        seen.append(status)
        if until(status):
            return {**status, "seen": seen}
        assert time.monotonic() < deadline, status
        time.sleep(0.25)


def _filename(response) -> str:
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.isascii()
    return unquote(disposition.split("filename*=UTF-8''")[1])


def test_a_reviewer_compiles_the_year_and_downloads_the_real_files(client_as, small_year):
    reviewer = client_as("reviewer")
    job = _compile(reviewer)
    status = _wait(reviewer, job)
    assert status["state"] == "done", status
    # progress came report by report, then the volume
    assert status["total"] == 4 and status["done"] == 4
    assert sorted(status["steps"][:3]) == ["r01", "r03", "r27"] and status["steps"][3] == "2023年度汇编"
    assert any(0 < len(seen["steps"]) < 4 for seen in status["seen"]) or len(status["seen"]) == 1

    page = reviewer.get(f"/compile/{YEAR}/{job}/").content.decode()
    assert "下载" in page and 'id="download-volume-pdf"' in page and "含草稿" not in page

    volume = reviewer.get(f"/compile/{YEAR}/{job}/volume.pdf")
    assert volume.status_code == 200 and volume["Content-Type"] == "application/pdf"
    assert _filename(volume) == "2023年度成果汇编.pdf"
    data = volume.content
    assert data == (PROJECT / "output" / YEAR / "volume.pdf").read_bytes()   # the build's own file
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    title = _title(small_year, "r03")
    manifest = json.loads((PROJECT / "output" / "manifest.json").read_text(encoding="utf-8"))
    start_page = next(entry["start_page"] for entry in manifest["volumes"][0]["reports"] if entry["id"] == "r03")
    assert volume_toc_and_start(data, title) == (start_page, start_page) and start_page > 1
    assert _title(small_year, "r27").replace(" ", "") not in re.sub(r"\s+", "", text)   # a draft: not in it

    word = reviewer.get(f"/compile/{YEAR}/{job}/volume.docx")
    assert word["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert _filename(word) == "2023年度成果汇编.docx"
    paragraphs = [paragraph.text for paragraph in docx.Document(io.BytesIO(word.content)).paragraphs]
    assert any(title in paragraph.replace("\n", "") for paragraph in paragraphs)

    report = reviewer.get(f"/compile/{YEAR}/{job}/reports/r01.pdf")
    assert report["Content-Type"] == "application/pdf" and _filename(report).startswith("2023-r01 以")
    assert report.content == (PROJECT / "output" / YEAR / "reports" / "r01.pdf").read_bytes()
    assert reviewer.get(f"/compile/{YEAR}/{job}/reports/r02.pdf").status_code == 404   # not of this year

    archive = reviewer.get(f"/compile/{YEAR}/{job}/year.zip")
    assert archive["Content-Type"] == "application/zip" and _filename(archive) == "2023年度成果汇编.zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))) as opened:
        assert sorted(opened.namelist()) == sorted(["volume.pdf", "volume.docx"] + [
            f"reports/{report_id}.{kind}" for report_id in ("r01", "r03", "r27") for kind in ("pdf", "docx")])
        assert opened.read("volume.pdf") == data
        digest = hashlib.sha256(opened.read("reports/r03.docx")).hexdigest()
        assert digest == next(r for r in manifest["reports"] if r["id"] == "r03")["outputs"]["docx"]["sha256"]

    # the year's page lists the compile; in English on request
    assert job in reviewer.get(f"/compile/{YEAR}/").content.decode()
    reviewer.cookies["reportgen_lang"] = "en"
    assert "Finished." in reviewer.get(f"/compile/{YEAR}/{job}/").content.decode()
    english = reviewer.get(f"/compile/{YEAR}/{job}/volume.pdf")
    assert _filename(english) == "2023 annual volume.pdf"


def test_a_preview_includes_drafts_is_marked_and_never_replaces_the_volume(client_as, small_year):
    admin = client_as("admin")
    assert _wait(admin, _compile(admin))["state"] == "done"
    real = (PROJECT / "output" / YEAR / "volume.pdf").read_bytes()
    job = _compile(admin, preview="1")
    assert _wait(admin, job)["state"] == "done"
    assert (PROJECT / "output" / YEAR / "volume.pdf").read_bytes() == real
    page = admin.get(f"/compile/{YEAR}/{job}/").content.decode()
    assert 'id="preview-mark"' in page and "预览" in page
    volume = admin.get(f"/compile/{YEAR}/{job}/volume.pdf")
    assert _filename(volume) == "2023年度成果汇编（含草稿预览）.pdf"
    pages = [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(volume.content)).pages]
    draft_title = _title(small_year, "r27").replace(" ", "")
    assert any(draft_title in text for text in pages)
    assert any("草稿·草稿" in text for text in pages)   # every page of a report not approved carries its mark
    assert _filename(admin.get(f"/compile/{YEAR}/{job}/year.zip")) == "2023年度成果汇编（含草稿预览）.zip"


def test_a_failing_report_links_to_the_report_and_its_diagnostics(client_as, small_year):
    text = (small_year / "r03.md").read_text(encoding="utf-8")
    (small_year / "r03.md").write_text(re.sub(r"## [^\n]*取得成效", "## 未知章节", text, count=1), encoding="utf-8")
    reviewer = client_as("reviewer")
    job = _compile(reviewer)
    assert _wait(reviewer, job)["state"] == "failed"
    page = reviewer.get(f"/compile/{YEAR}/{job}/").content.decode()
    failure = page[page.index('id="failures"'):page.index('id="report-files"')]
    assert f'href="/r/{YEAR}/r03/"' in failure and "SEC201" in failure and "取得成效" in failure
    assert 'id="download-volume-pdf"' in page    # the volume was built without it (volume.on_failed_report)
    volume = reviewer.get(f"/compile/{YEAR}/{job}/volume.pdf").content
    assert _title(small_year, "r01").replace(" ", "") in re.sub(
        r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(volume)).pages))
    assert reviewer.get(f"/compile/{YEAR}/{job}/reports/r03.pdf").status_code == 404


def test_while_another_build_holds_the_lock_the_page_says_so_and_can_wait(client_as, small_year):
    output = PROJECT / "output"
    output.mkdir(exist_ok=True)
    reviewer = client_as("reviewer")
    assert 'id="build-busy"' not in reviewer.get(f"/compile/{YEAR}/").content.decode()
    with (output / ".reportgen.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)   # as the nightly build holds it
        lock.seek(0)
        lock.truncate()   # a build writes its process id into the lock file
        lock.write("4242")
        lock.flush()
        before = reviewer.get(f"/compile/{YEAR}/").content.decode()   # said before the button is pressed
        assert 'id="build-busy"' in before and "进程 4242" in before and "待其结束后汇编" in before
        assert re.search(r'id="compile-form">.*?name="wait" value="1".*?</form>', before, re.S)
        job = _compile(reviewer)
        assert _wait(reviewer, job)["state"] == "locked"
        page = reviewer.get(f"/compile/{YEAR}/{job}/").content.decode()
        assert "另一个构建正在运行" in page and 'id="wait"' in page
        waiting = _compile(reviewer, wait="1")
        status = _wait(reviewer, waiting, until=lambda status: status["state"] == "waiting")
        assert "另一个构建" in status["message"]
        time.sleep(1)
        assert reviewer.get(f"/compile/{YEAR}/{waiting}/status").json()["state"] == "waiting"
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert _wait(reviewer, waiting)["state"] == "done"
    assert 'id="build-busy"' not in reviewer.get(f"/compile/{YEAR}/").content.decode()
    assert (output / YEAR / "volume.pdf").is_file()


def test_counselors_may_neither_compile_nor_download(client_as, small_year, finished_compile):
    before = set((PROJECT.parent / "state" / "compiles").glob(f"{YEAR}-*"))
    for role in ("owner", "other"):
        client = client_as(role)
        assert client.post(f"/compile/{YEAR}/start").status_code == 403
        assert "/compile/" not in client.get("/").content.decode()     # no link to it in their menu
    assert 'href="/compile/"' in client_as("reviewer").get("/").content.decode()
    assert client_as(None).post(f"/compile/{YEAR}/start").status_code == 302
    assert set((PROJECT.parent / "state" / "compiles").glob(f"{YEAR}-*")) == before   # nothing was started


def test_unknown_years_and_compiles_are_not_found(client_as, small_year, finished_compile):
    reviewer = client_as("reviewer")
    assert reviewer.get("/compile/1999/").status_code == 404
    assert reviewer.post("/compile/1999/start").status_code == 404
    assert reviewer.get("/compile/2023/2023-20260101T000000-abcdef/").status_code == 404
    assert reviewer.get(f"/compile/2023/{finished_compile}/").status_code == 404          # another year's
    assert reviewer.get("/compile/2022/..%2F..%2Fsecret_key/").status_code == 404
    assert reviewer.get(f"/compile/2022/{finished_compile}/volume.exe").status_code == 404


def test_only_the_latest_finished_compiles_of_a_year_are_kept():
    from generator.web import compile

    compiles = PROJECT.parent / "state" / "compiles"
    made = [compiles / f"2021-202601{day:02d}T000000-abcdef" for day in range(1, 13)]
    for directory in made:
        directory.mkdir(parents=True)
        (directory / "result.json").write_text('{"state": "done"}', encoding="utf-8")
    running = compiles / "2021-20250101T000000-abcdef"   # older, but not finished: kept
    running.mkdir()
    compile._prune("2021")
    assert sorted(compiles.glob("2021-*")) == sorted([running, *made[-compile.KEEP:]])


def test_a_compile_whose_process_was_killed_says_so(client_as, small_year):
    import os
    import signal

    output = PROJECT / "output"
    output.mkdir(exist_ok=True)
    reviewer = client_as("reviewer")
    with (output / ".reportgen.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        job = _compile(reviewer, wait="1")
        _wait(reviewer, job, until=lambda status: status["state"] == "waiting")
        year_page = reviewer.get(f"/compile/{YEAR}/").content.decode()
        assert 'id="compile-running"' in year_page and job in year_page
        running = PROJECT.parent / "state" / "compiles" / job / "running"
        os.kill(int(running.read_text()), signal.SIGKILL)
        status = _wait(reviewer, job)
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert status["state"] == "gone"
    assert "汇编在完成前中止了" in reviewer.get(f"/compile/{YEAR}/{job}/").content.decode()


def test_the_archive_takes_only_the_files_the_build_wrote(tmp_path):
    """The build's lock is released before the ZIP is made: a file another build replaced since is not taken."""
    from generator.web import compile_run

    out = tmp_path / "output"
    (out / YEAR).mkdir(parents=True)
    (out / YEAR / "volume.pdf").write_bytes(b"the build's volume")
    entry = {"path": f"{YEAR}/volume.pdf", "sha256": hashlib.sha256(b"the build's volume").hexdigest()}
    volume = {"outputs": {"pdf": entry}}
    name = compile_run._zip(tmp_path, out, YEAR, False, volume, [])
    assert zipfile.ZipFile(tmp_path / name).read("volume.pdf") == b"the build's volume"
    (out / YEAR / "volume.pdf").write_bytes(b"another build's volume")
    (tmp_path / name).unlink()
    with pytest.raises(compile_run.Replaced):
        compile_run._zip(tmp_path, out, YEAR, False, volume, [])
    assert list(tmp_path.iterdir()) == [out]
