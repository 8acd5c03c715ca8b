"""`reportgen build` as a nightly job: incremental, reproducible, atomic, locked, with a manifest."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest
from pypdf import PdfReader

from generator.build.store import OutputLock
from generator.cli import main

from .helpers import corpus_project

IDS = ["r02", "r05", "r12"]  # r12 is 已提交: built as a report, left out of the volume


def _build(root, *args, monkeypatch, capsys):
    monkeypatch.chdir(root)
    code = main(["build", "--jobs", "2", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _files(out):
    return {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*"))
            if path.is_file() and path.suffix in (".pdf", ".docx") and ".cache" not in path.parts}


def test_build_writes_reports_volume_and_manifest_then_reuses_everything(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, IDS)
    code, out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, out
    output = root / "output"
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert {report["id"]: report["result"] for report in manifest["reports"]} == {i: "built" for i in IDS}
    report = next(r for r in manifest["reports"] if r["id"] == "r02")
    assert report["source"] == "reports_src/2022/r02.md" and report["pages"] >= 3 and report["content_hash"]
    assert set(report["outputs"]) == {"pdf", "docx"}
    assert report["outputs"]["pdf"]["path"] == "2022/reports/r02.pdf"
    volume = manifest["volumes"][0]
    assert volume["year"] == "2022" and volume["result"] == "built"
    assert [entry["id"] for entry in volume["reports"]] == ["r02", "r05"]  # themes in configured order
    assert volume["reports"][0]["start_page"] == 1
    assert manifest["exit_status"] == 0 and manifest["duration_seconds"] > 0
    for name, data in _files(output).items():
        if name.endswith(".pdf"):
            assert len(PdfReader(io.BytesIO(data)).pages) > 0
        else:
            assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    # No change: nothing is rendered again.
    code, out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert code == 0
    assert {report["result"] for report in manifest["reports"]} == {"reused"}
    assert manifest["volumes"][0]["result"] == "reused"


def test_each_report_is_laid_out_once_for_its_own_pdf_and_its_volume_part(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, IDS)
    code, out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, out
    units = root / "output" / ".cache" / "2022" / "units"
    identifiers = [json.loads(path.read_text(encoding="utf-8")) for path in units.glob("*.json")]
    # Three reports and the front and back matter: page numbers and running headers are stamped, not laid out.
    assert len(identifiers) == len(IDS) + 2
    assert sorted(unit["furniture"] for unit in identifiers) == [False, False] + [True] * len(IDS)
    volume = PdfReader(io.BytesIO((root / "output" / "2022" / "volume.pdf").read_bytes()))
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    start = manifest["volumes"][0]["reports"][0]["start_page"]  # r02, printed page 1
    own = PdfReader(io.BytesIO((root / "output" / "2022" / "reports" / "r02.pdf").read_bytes()))
    offset = [index for index, page in enumerate(volume.pages) if f"—{start}—" in page.extract_text().replace(" ", "")]
    for number, page in enumerate(own.pages):
        in_volume = volume.pages[offset[0] + number].extract_text().replace(" ", "")
        # Same page, same text; only the stamped page number differs (1… in the report, the volume's own).
        assert in_volume.replace(f"—{start + number}—", "") == page.extract_text().replace(" ", "").replace(
            f"—{number + 1}—", "")


def test_checks_of_unchanged_drafts_are_reused_until_the_registry_changes(tmp_path, monkeypatch, capsys):
    from generator.check import engine as check
    root = corpus_project(tmp_path, IDS)
    _build(root, monkeypatch=monkeypatch, capsys=capsys)
    checked = []
    original = check.check_document
    monkeypatch.setattr(check, "check_document", lambda doc, ctx: checked.append(doc.report_id) or original(doc, ctx))
    draft = root / "reports_src" / "2022" / "r05.md"
    draft.write_text(draft.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    code, _out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and checked == ["r05"]
    registry = root / "reports_src" / "registry.yaml"
    registry.write_text(registry.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    checked.clear()
    _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert sorted(checked) == sorted(IDS)


def test_editing_one_draft_rebuilds_only_that_report_and_the_volume(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, IDS)
    _build(root, monkeypatch=monkeypatch, capsys=capsys)
    units = root / "output" / ".cache" / "2022" / "units"
    before = {path.name for path in units.glob("*.pdf")}
    draft = root / "reports_src" / "2022" / "r05.md"
    draft.write_text(draft.read_text(encoding="utf-8").replace("## 六、经验启示", "## 六、经验启示\n\n新增的一段总结。"),
                     encoding="utf-8")
    code, _out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert code == 0
    assert {r["id"]: r["result"] for r in manifest["reports"]} == {"r02": "reused", "r05": "built", "r12": "reused"}
    assert manifest["volumes"][0]["result"] == "built"
    after = {path.name for path in units.glob("*.pdf")}
    assert len(after - before) == 1  # only r05 was laid out again (its unit serves its PDF and its volume part)
    assert len(before - after) == 1  # and its old unit was dropped from the cache


def test_the_word_volume_follows_an_edit_that_changes_a_report_length(tmp_path, monkeypatch, capsys):
    """The Word volume starts from the previous page counts; a report that grows makes it again."""
    import docx

    root = corpus_project(tmp_path, IDS)
    _build(root, monkeypatch=monkeypatch, capsys=capsys)

    def starts() -> dict[str, int]:
        manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
        return {entry["id"]: entry["start_page"] for entry in manifest["volumes"][0]["reports"]}

    before = starts()
    draft = root / "reports_src" / "2022" / "r02.md"
    longer = "\n\n".join(["辅导员与班组一起复盘每一项整改措施，逐条记录问题、原因、责任人和完成时限。" * 6] * 12)
    draft.write_text(draft.read_text(encoding="utf-8").replace("## 六、经验启示", "## 六、经验启示\n\n" + longer),
                     encoding="utf-8")
    code, out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, out
    after = starts()
    assert after["r02"] == before["r02"] == 1 and after["r05"] > before["r05"]  # r05 moved behind the longer r02
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    titles = {entry["id"]: entry["title"] for entry in manifest["volumes"][0]["reports"]}
    document = docx.Document(io.BytesIO((root / "output" / "2022" / "volume.docx").read_bytes()))
    toc = {p.text.split("\t")[0]: p.text.split("\t")[-1] for p in document.paragraphs if p.style.name.startswith("TOC")}
    for report_id, page in after.items():
        assert toc[titles[report_id]] == str(page)


def test_two_builds_are_byte_identical(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1671494400")
    _build(root, "--out", str(tmp_path / "a"), monkeypatch=monkeypatch, capsys=capsys)
    _build(root, "--out", str(tmp_path / "b"), monkeypatch=monkeypatch, capsys=capsys)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(first) == {"2022/reports/r02.pdf", "2022/reports/r02.docx", "2022/reports/r05.pdf",
                          "2022/reports/r05.docx", "2022/volume.pdf", "2022/volume.docx"}
    assert first == second


def test_a_second_build_is_refused_while_one_runs(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02"])
    with OutputLock(root / "output"):
        code, _out, err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 3
    assert "另一个构建进程" in err


def test_failing_report_is_excluded_from_the_volume_and_the_build_exits_one(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"])
    broken = root / "reports_src" / "2022" / "r05.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("## 五、取得成效", "## 五、成绩"), encoding="utf-8")
    code, out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert code == 1
    assert "SEC201" in out
    assert {r["id"]: r["result"] for r in manifest["reports"]} == {"r02": "built", "r05": "failed"}
    failed = next(r for r in manifest["reports"] if r["id"] == "r05")
    assert any(d["code"] == "SEC201" for d in failed["diagnostics"])
    assert manifest["volumes"][0]["excluded"] == ["r05"]
    assert [entry["id"] for entry in manifest["volumes"][0]["reports"]] == ["r02"]


def test_keep_previous_policy_leaves_the_last_good_volume(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"], extra_config="")
    config = root / "reportgen.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'on_failed_report = "exclude"', 'on_failed_report = "keep-previous"'), encoding="utf-8")
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    volume = root / "output" / "2022" / "volume.pdf"
    before = volume.read_bytes()
    broken = root / "reports_src" / "2022" / "r05.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("## 五、取得成效", "## 五、成绩"), encoding="utf-8")
    code, _out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert code == 1
    assert volume.read_bytes() == before
    assert manifest["volumes"][0]["result"] == "failed" and manifest["volumes"][0]["kept_previous"] is True


def _valid_outputs(out) -> None:
    for path in out.rglob("*"):
        if path.suffix == ".pdf":
            assert len(PdfReader(path).pages) > 0, path
        elif path.suffix == ".docx":
            assert zipfile.ZipFile(path).testzip() is None, path


def test_killed_build_leaves_no_corrupt_file_and_the_next_build_repairs(tmp_path):
    root = corpus_project(tmp_path, ["r02", "r05", "r12", "r13"])
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "generator", "build", "--jobs", "2"], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment,
                               start_new_session=True)
    output = root / "output" / "2022" / "reports"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (output.exists() and any(output.glob("*.pdf"))):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    _valid_outputs(root / "output")
    (root / "output" / "2022" / "reports" / ".r02.pdf.reportgen-interrupted.tmp").write_bytes(b"%PDF-1.7 half")
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--jobs", "2", "--format", "json"],
                            cwd=root, capture_output=True, text=True, env=environment, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    _valid_outputs(root / "output")
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert all(r["result"] in ("built", "reused") for r in manifest["reports"])
    assert all((root / "output" / r["outputs"]["pdf"]["path"]).is_file() for r in manifest["reports"])
    assert not list((root / "output").rglob("*.tmp"))


def test_building_named_drafts_leaves_the_volume_alone_and_a_deleted_draft_loses_its_outputs(
        tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"])
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    volume = root / "output" / "2022" / "volume.pdf"
    before = volume.read_bytes()
    draft = root / "reports_src" / "2022" / "r05.md"
    draft.write_text(draft.read_text(encoding="utf-8").replace("## 六、经验启示", "## 六、经验启示\n\n补充一句。"),
                     encoding="utf-8")
    code, _out, _err = _build(root, "reports_src/2022/r05.md", monkeypatch=monkeypatch, capsys=capsys)
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert code == 0 and manifest["volumes"] == [] and volume.read_bytes() == before
    assert [r["id"] for r in manifest["reports"]] == ["r05"]
    draft.unlink()
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert not (root / "output" / "2022" / "reports" / "r05.pdf").exists()
    assert (root / "output" / "2022" / "reports" / "r02.pdf").exists()


def test_volume_command_keeps_the_reports_of_the_previous_manifest(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02"])
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    monkeypatch.chdir(root)
    assert main(["volume", "--year", "2022", "--jobs", "1"]) == 0
    capsys.readouterr()
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert [(r["id"], r["result"]) for r in manifest["reports"]] == [("r02", "built")]
    assert manifest["volumes"][0]["result"] == "reused"


def _count_html_and_layouts(monkeypatch) -> tuple[list[str], list[str]]:
    """Which reports' HTML is made, and which units are laid out, in this process from now on."""
    from generator.render import pdf, units

    made_html, laid_out = [], []
    make_html, lay_out = units.render_report_html, pdf.render_pdf
    monkeypatch.setattr(units, "render_report_html",
                        lambda doc, *args, **kwargs: made_html.append(doc.report_id) or make_html(doc, *args, **kwargs))
    monkeypatch.setattr(pdf, "render_pdf",
                        lambda html, **kwargs: laid_out.append(kwargs["identifier"]) or lay_out(html, **kwargs))
    return made_html, laid_out


def _volume_command(root, monkeypatch, capsys) -> dict[str, bytes]:
    monkeypatch.chdir(root)
    code = main(["volume", "--year", "2022", "--jobs", "1"])  # one task: made in this process
    out, _err = capsys.readouterr()
    assert code == 0, out
    return {kind: (root / "output" / "2022" / f"volume.{kind}").read_bytes() for kind in ("pdf", "docx")}


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "").replace("\n", "")


def _volume_of_a_fresh_build(root, out, monkeypatch, capsys) -> dict[str, bytes]:
    assert _build(root, "--out", str(out), monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    return {kind: (out / "2022" / f"volume.{kind}").read_bytes() for kind in ("pdf", "docx")}


def test_volume_command_takes_each_reports_recorded_unit_without_making_its_html(tmp_path, monkeypatch, capsys):
    """`reportgen volume` renders no report: it finds each report's laid-out unit by the key its last build
    recorded with what the unit was made from, instead of making every report's HTML again to find the key."""
    root = corpus_project(tmp_path, IDS)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    source = root / "reports_src" / "2022" / "_volume.md"  # a new preface: the volume is made again
    source.write_text(source.read_text(encoding="utf-8").replace("## 前言\n", "## 前言\n\n本书的前言新增一句。\n"),
                      encoding="utf-8")
    made_html, laid_out = _count_html_and_layouts(monkeypatch)
    volume = _volume_command(root, monkeypatch, capsys)
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["volumes"][0]["result"] == "built"
    assert made_html == [] and set(laid_out) <= {"volume/2022/front", "volume/2022/back"}
    assert "本书的前言新增一句" in _text(volume["pdf"])
    assert volume == _volume_of_a_fresh_build(root, tmp_path / "fresh", monkeypatch, capsys)


def _edit_draft(root) -> list[str]:
    draft = root / "reports_src" / "2022" / "r05.md"
    draft.write_text(draft.read_text(encoding="utf-8").rstrip("\n") + "\n\n本段为测试新增的一句话。\n", encoding="utf-8")
    return ["r05"]


def _replace_image(root) -> list[str]:
    assets = root / "reports_src" / "2022" / "assets"
    shutil.copy(assets / "r10-emissions.png", assets / "r02-hazards.png")  # r02's chart, under the same name
    return ["r02"]


def _change_template(root) -> list[str]:
    with (root / "templates" / "report.css.j2").open("a", encoding="utf-8") as handle:
        handle.write("\n.report-body h2 { color: #a01010; }\n")
    return ["r02", "r05"]  # every report of the volume (r12 is not in it)


@pytest.mark.parametrize("change", [_edit_draft, _replace_image, _change_template])
def test_volume_command_lays_out_again_a_report_changed_since_its_unit_was_recorded(
        change, tmp_path, monkeypatch, capsys):
    """A report whose draft, image or templates changed since its last build is not taken from the unit that
    build recorded: its HTML is made again and laid out, and the volume is the one a fresh build makes."""
    root = corpus_project(tmp_path, IDS)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    changed = change(root)
    made_html, laid_out = _count_html_and_layouts(monkeypatch)
    volume = _volume_command(root, monkeypatch, capsys)
    assert sorted(set(made_html)) == changed
    assert {f"2022/{report_id}" for report_id in changed} <= set(laid_out)
    if change is _edit_draft:
        assert "本段为测试新增的一句话" in _text(volume["pdf"])
    assert volume == _volume_of_a_fresh_build(root, tmp_path / "fresh", monkeypatch, capsys)


def test_check_reports_problems_in_the_volume_front_matter(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02"])
    source = root / "reports_src" / "2022" / "_volume.md"
    source.write_text(source.read_text(encoding="utf-8").replace("editor:", "editr:"), encoding="utf-8")
    monkeypatch.chdir(root)
    code = main(["check", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert any(d["code"] == "FM106" and d["path"].endswith("_volume.md") for d in data["diagnostics"])


def test_a_volume_task_waits_for_a_unit_a_worker_is_laying_out(tmp_path):
    """The volume PDF may start while a report is still rendering: it takes that report's unit once written, and
    stops waiting as soon as the worker is done without one."""
    import threading

    from generator.build.store import UnitCache, rendering_marker
    from generator.render.assemble import Unit

    cache = UnitCache(tmp_path, "environment")
    draft = tmp_path / "r01.md"
    marker = rendering_marker(tmp_path, draft)
    marker.touch()
    unit = Unit(b"%PDF-1.7 laid out elsewhere", {"r-r01": 0}, 3, furniture=True)
    looked = threading.Event()
    reads = []
    read = cache._read

    def counted_read(key):
        found = read(key)
        reads.append(found)
        looked.set()
        return found

    cache._read = counted_read

    def worker_finishes():
        looked.wait(30)  # the waiting task has looked once, in vain: the unit comes while it waits
        cache.put("key", unit)
        marker.unlink()

    threading.Thread(target=worker_finishes).start()
    found = cache.wait_for("key", 30, draft)
    assert found is not None and found.data == unit.data and found.pages == 3 and found.furniture
    assert reads[0] is None  # it did wait
    # The worker ended without the unit (its layout failed, the marker is gone): no waiting for the whole time.
    started = time.monotonic()
    assert cache.wait_for("other", 30, draft) is None
    assert time.monotonic() - started < 15


def test_an_edit_reuses_the_volumes_font_programs_and_equals_a_fresh_build(tmp_path, monkeypatch, capsys):
    """A volume whose reports use the glyphs they used before takes its font programs from the unit cache (no
    subsetting), and is the same file as a fresh build of the same sources."""
    root = corpus_project(tmp_path, ["r02", "r05"])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1671494400")
    _build(root, "--out", str(tmp_path / "a"), monkeypatch=monkeypatch, capsys=capsys)
    units = tmp_path / "a" / ".cache" / "2022" / "units"
    programs = {path.name: path.stat().st_mtime_ns for path in units.glob("*.font")}
    assert programs
    draft = root / "reports_src" / "2022" / "r05.md"
    text = draft.read_text(encoding="utf-8")
    paragraph = next(block for block in text.split("## 六、经验启示", 1)[1].split("\n\n")
                     if block.strip() and not block.startswith("#"))
    sentence = paragraph.split("。", 1)[0] + "。"  # characters the volume already draws, in the body face
    draft.write_text(text.replace("## 六、经验启示", f"## 六、经验启示\n\n{sentence}"), encoding="utf-8")
    code, _out, _err = _build(root, "--out", str(tmp_path / "a"), monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0
    assert {path.name: path.stat().st_mtime_ns for path in units.glob("*.font")} == programs
    _build(root, "--out", str(tmp_path / "b"), monkeypatch=monkeypatch, capsys=capsys)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_a_chart_replaced_under_the_same_name_is_in_the_rebuilt_report(tmp_path, monkeypatch, capsys):
    """A laid-out unit is keyed by the content of the files its HTML refers to, not only by the HTML."""
    import pikepdf
    from PIL import Image

    def images(path):
        with pikepdf.open(path) as pdf:
            return {hashlib.sha256(image.read_raw_bytes()).hexdigest() for page in pdf.pages
                    for image in page.get_images().values()}

    root = corpus_project(tmp_path, ["r02"])
    _build(root, monkeypatch=monkeypatch, capsys=capsys)
    report = root / "output" / "2022" / "reports" / "r02.pdf"
    before = images(report)
    chart = root / "reports_src" / "2022" / "assets" / "r02-hazards.png"
    with Image.open(chart) as original:
        Image.new("RGB", original.size, (200, 30, 30)).save(chart)
    code, _out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0
    after = images(report)
    assert before and after and before != after


def test_workers_take_each_builds_environment(tmp_path, monkeypatch, capsys):
    """Workers fork from a fork server that an earlier build of the same process started: they still see this
    build's SOURCE_DATE_EPOCH."""

    root = corpus_project(tmp_path, ["r02", "r05"])
    dates = []
    for epoch, out in (("1600000000", "a"), ("1700000000", "b")):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        code, _out, _err = _build(root, "--out", str(tmp_path / out), "--no-volume", monkeypatch=monkeypatch,
                                  capsys=capsys)
        assert code == 0
        with zipfile.ZipFile(tmp_path / out / "2022" / "reports" / "r02.docx") as package:
            dates.append(package.infolist()[0].date_time[:3])  # the ZIP members' time is SOURCE_DATE_EPOCH
    assert dates == [(2020, 9, 13), (2023, 11, 14)]


def test_a_reused_report_keeps_what_rendering_reported(tmp_path, monkeypatch, capsys):
    """Diagnostics from rendering (here a character no configured font has, let through by a severity override)
    are kept with the report's cache entry: the next build's manifest, which reuses the report, still lists them."""
    root = corpus_project(tmp_path, ["r02"])
    config = root / "reportgen.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[check.severity]\n", '[check.severity]\nTXT410 = "warning"\n', 1),
                      encoding="utf-8")
    draft = root / "reports_src" / "2022" / "r02.md"
    draft.write_text(draft.read_text(encoding="utf-8").replace("## 六、经验启示", "## 六、经验启示\n\n泰文字母ก出现在这里。", 1),
                     encoding="utf-8")
    found = []
    for _run in range(2):
        code, out, _err = _build(root, "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
        assert code == 0, out
        report = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))["reports"][0]
        found.append((report["result"], sorted((item["code"], item["path"]) for item in report["diagnostics"])))
    assert found[0][0] == "built" and found[1][0] == "reused"
    assert any(code.startswith("RND") for code, _path in found[0][1])
    assert found[1][1] == found[0][1]


def _fail_at_render(root, report_id="r05"):
    """A draft that passes `check` (TXT410 turned off) but that no configured font can draw: RND602 at render."""
    config = root / "reportgen.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[check.severity]\n", '[check.severity]\nTXT410 = "off"\n'),
                      encoding="utf-8")
    draft = root / "reports_src" / "2022" / f"{report_id}.md"
    draft.write_text(draft.read_text(encoding="utf-8").replace("现有职工约560人。", "现有职工约560人♞。"),
                     encoding="utf-8")


def _pdf_font_families(path) -> set[str]:
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:] if line.strip()}


def test_a_report_that_fails_at_render_is_excluded_from_the_volume(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"])
    _fail_at_render(root)
    code, out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert code == 1, out
    assert {r["id"]: r["result"] for r in manifest["reports"]} == {"r02": "built", "r05": "failed"}
    failed = next(r for r in manifest["reports"] if r["id"] == "r05")
    assert any(d["code"] == "RND602" for d in failed["diagnostics"]) and failed["outputs"] == {}
    volume = manifest["volumes"][0]
    assert volume["result"] == "built" and volume["excluded"] == ["r05"]
    assert volume["exclusions"] == [{"id": "r05", "result": "failed", "codes": ["RND602"]}]
    assert [entry["id"] for entry in volume["reports"]] == ["r02"]
    pdf_text = subprocess.run(["pdftotext", str(root / "output" / "2022" / "volume.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
    assert "蜀江" not in pdf_text.replace(" ", "")
    configured = ("notoserifcjksc", "notosanscjksc", "arplukaicn", "notosansmonocjksc")  # reportgen.toml's
    families = {re.sub(r"[^a-z]", "", name.lower()) for name in
                _pdf_font_families(root / "output" / "2022" / "volume.pdf")}
    assert families and all(name.startswith(configured) for name in families), families
    document = __import__("docx").Document(root / "output" / "2022" / "volume.docx")
    assert not any("蜀江" in paragraph.text for paragraph in document.paragraphs)


def test_a_report_that_fails_at_render_keeps_the_previous_volume_under_keep_previous(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"])
    config = root / "reportgen.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'on_failed_report = "exclude"', 'on_failed_report = "keep-previous"'), encoding="utf-8")
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    volume = root / "output" / "2022"
    before = {name: (volume / name).read_bytes() for name in ("volume.pdf", "volume.docx")}
    _fail_at_render(root)
    code, _out, _err = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert code == 1
    assert {name: (volume / name).read_bytes() for name in before} == before
    assert manifest["volumes"][0]["result"] == "failed" and manifest["volumes"][0]["kept_previous"] is True
    assert manifest["volumes"][0]["excluded"] == ["r05"]


def test_the_volume_command_excludes_a_report_it_finds_cannot_be_set(tmp_path, monkeypatch, capsys):
    """`reportgen volume` renders no report: one that no configured font can draw is found as the volume lays it
    out, and the volume is made again without it (never with a fallback face)."""
    root = corpus_project(tmp_path, ["r02", "r05"])
    _fail_at_render(root)
    monkeypatch.chdir(root)
    code = main(["volume", "--year", "2022", "--jobs", "2"])
    out = capsys.readouterr().out
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert code == 1 and "RND602" in out and "因检查或生成失败而未收录：r05" in out
    volume = manifest["volumes"][0]
    assert volume["result"] == "built" and volume["excluded"] == ["r05"]
    assert [entry["id"] for entry in volume["reports"]] == ["r02"]
    assert not any("dejavu" in name.lower() for name in _pdf_font_families(root / "output" / "2022" / "volume.pdf"))


def _processes_of(root) -> list[str]:
    """Command lines of the live processes whose working directory is the project (a build's and its workers')."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/cwd") == str(root):
                found.append(entry + " " + open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


def _stop_mid_layout(root, how: int) -> tuple[subprocess.Popen, str]:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "generator", "build", "--jobs", "2"], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    markers = root / "output" / ".cache" / "2022" / "units"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (markers.is_dir() and any(markers.glob(".rendering-*.tmp"))):
        time.sleep(0.02)
    assert any(markers.glob(".rendering-*.tmp")), "no layout started"
    os.kill(process.pid, how)
    _out, err = process.communicate(timeout=30)
    return process, err.decode()


def _none_left_within(root, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := _processes_of(root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_a_killed_build_leaves_no_process_behind(tmp_path):
    root = corpus_project(tmp_path, ["r02", "r05", "r12", "r13"])
    process, _err = _stop_mid_layout(root, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    assert _none_left_within(root, 5) == []


def test_sigterm_and_ctrl_c_stop_a_build_cleanly(tmp_path):
    root = corpus_project(tmp_path, ["r02", "r05", "r12", "r13"])
    for how, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        process, err = _stop_mid_layout(root, how)
        assert process.returncode == code, err
        assert "Traceback" not in err and "leaked" not in err, err
        assert _none_left_within(root, 5) == []
        assert not list((root / "output").rglob("*.tmp"))
        with OutputLock(root / "output"):  # released
            pass


def test_environment_problems_are_messages_naming_the_path(tmp_path, monkeypatch, capsys):
    import errno

    root = corpus_project(tmp_path, ["r02"])
    monkeypatch.chdir(root)
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    assert main(["build", "--jobs", "1", "--out", str(tmp_path / "a-file")]) == 2
    err = capsys.readouterr().err
    assert f"无法使用 {tmp_path / 'a-file'}：此处需要目录，但已有同名文件" in err and "Traceback" not in err

    def full(_descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("generator.core.atomic.os.fsync", full)
    assert main(["build", "--jobs", "1", "--no-volume"]) == 2
    err = capsys.readouterr().err
    assert "_check.json：磁盘空间已满" in err and "内部错误" not in err  # the first file the build writes
    monkeypatch.undo()
    assert not list((root / "output").rglob("*.tmp"))

    config = tmp_path / "other" / "reportgen.toml"
    config.mkdir(parents=True)
    monkeypatch.chdir(config.parent)
    assert main(["check"]) == 2
    assert "reportgen.toml 有误" in (err := capsys.readouterr().err) and "这是目录，不是文件" in err


def _faulty_build(root, fault: str, *, timeout: int = 120) -> subprocess.CompletedProcess:
    faults = str(__import__("pathlib").Path(__file__).parent / "faults")
    environment = {**os.environ, "REPORTGEN_FAULT": fault,
                   "PYTHONPATH": os.pathsep.join(filter(None, [faults, os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "generator", "build", "--jobs", "2", "--format", "json"], cwd=root,
                          capture_output=True, text=True, env=environment, timeout=timeout)


def test_a_report_whose_worker_dies_fails_alone_and_everything_else_is_built(tmp_path):
    root = corpus_project(tmp_path, ["r02", "r05", "r13", "r14"])
    result = _faulty_build(root, "kill:r05.md")
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert {r["id"]: r["result"] for r in manifest["reports"]} == {
        "r02": "built", "r05": "failed", "r13": "built", "r14": "built"}
    failed = next(r for r in manifest["reports"] if r["id"] == "r05")
    assert [d["code"] for d in failed["diagnostics"]] == ["RND608"]
    volume = manifest["volumes"][0]
    assert volume["result"] == "built" and volume["excluded"] == ["r05"]
    assert all((root / "output" / r["outputs"]["pdf"]["path"]).is_file() for r in manifest["reports"]
               if r["result"] == "built")
    assert "Traceback" not in result.stderr and _none_left_within(root, 5) == []


def test_a_report_stuck_where_its_own_timer_cannot_reach_is_stopped_by_the_build(tmp_path):
    root = corpus_project(tmp_path, ["r02", "r05", "r13"])
    config = root / "reportgen.toml"
    config.write_text(re.sub(r"report_timeout = \d+", "report_timeout = 4", config.read_text(encoding="utf-8")),
                      encoding="utf-8")
    started = time.monotonic()
    result = _faulty_build(root, "hang:r05.md")
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert {r["id"]: r["result"] for r in manifest["reports"]} == {"r02": "built", "r05": "failed", "r13": "built"}
    failed = next(r for r in manifest["reports"] if r["id"] == "r05")
    assert [d["code"] for d in failed["diagnostics"]] == ["RND607"] and "4" in failed["diagnostics"][0]["message"]
    assert time.monotonic() - started < 120
    assert _none_left_within(root, 5) == []


def test_ctrl_c_while_the_command_starts_prints_no_traceback(tmp_path):
    root = corpus_project(tmp_path, ["r02"])
    for delay in (0.2, 0.4, 0.8):
        process = subprocess.Popen([sys.executable, "-m", "generator", "build", "--jobs", "2"], cwd=root,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)  # as a terminal does: to the whole process group
        _out, err = process.communicate(timeout=60)
        if process.returncode == 0 or b"init_import_site" in err:
            continue  # it had finished, or Python itself was still starting (before any code of reportgen's)
        assert process.returncode == 130 and b"Traceback" not in err, (delay, err.decode())
    assert _none_left_within(root, 5) == []


def test_a_process_forked_from_the_command_ends_on_sigterm(tmp_path):
    """The command's SIGTERM handler (a clean stop) is for the command alone: the checker's forked workers, which
    inherit it, end at once when their pool terminates them (they used to hang on a queue's lock)."""
    script = (
        "import os, signal, time\n"
        "import generator.cli as cli\n"
        "cli._COMMAND_PID = os.getpid()\n"
        "signal.signal(signal.SIGTERM, cli._terminate)\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "time.sleep(0.3)\n"
        "os.kill(child, signal.SIGTERM)\n"
        "_pid, status = os.waitpid(child, 0)\n"
        "print(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20)
    assert result.stdout.strip() == "True", result.stdout + result.stderr


def test_a_worker_retires_after_its_quota_and_a_fresh_one_takes_over(tmp_path, monkeypatch, capsys):
    """Workers are recycled (`pool.TASKS_PER_WORKER`): each of these, after two tasks. Every retired worker is
    replaced (the build ends, with no worker waited for in vain), and the outputs are those of a build whose
    workers live to its end."""
    import threading

    from generator.build import _mp_private, pool

    root = corpus_project(tmp_path, IDS)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1671494400")
    code, out, _err = _build(root, "--out", str(tmp_path / "long-lived"), monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, out
    executors, workers, done = [], set(), threading.Event()
    original = _mp_private.recycling_executor

    def recording(**options):
        executors.append(original(**options))
        return executors[-1]

    def watch():
        while not done.is_set():
            for executor in list(executors):
                workers.update(dict(executor._processes or {}))
            time.sleep(0.005)

    monkeypatch.setattr(pool, "TASKS_PER_WORKER", 2)
    monkeypatch.setattr(_mp_private, "recycling_executor", recording)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        code, out, _err = _build(root, "--out", str(tmp_path / "recycled"), monkeypatch=monkeypatch, capsys=capsys)
    finally:
        done.set()
        watcher.join()
    assert code == 0, out
    # 2 warm-ups, 3 reports and the volume's PDF and Word tasks, two per worker: at least 4 workers in turn.
    assert len(executors) == 1 and len(workers) >= 4
    assert _files(tmp_path / "recycled") == _files(tmp_path / "long-lived")
