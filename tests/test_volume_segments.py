"""The volume PDF joined from kept segments (`render/segments.py`): an edited build writes only what changed, and
gives the bytes a cold build of the same sources gives."""

from __future__ import annotations

import shutil
import subprocess

import pikepdf
import pytest

from generator.cli import main

from .helpers import corpus_project

IDS = ["r01", "r02", "r03", "r05", "r06", "r08", "r09"]  # approved reports of four themes


def _build(root, monkeypatch, capsys) -> dict[str, bytes]:
    monkeypatch.chdir(root)
    code = main(["build", "--jobs", "2"])
    out, _err = capsys.readouterr()
    assert code == 0, out
    return {kind: (root / "output" / "2022" / f"volume.{kind}").read_bytes() for kind in ("pdf", "docx")}


def _segments(root) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in (root / "output" / ".cache" / "2022" / "units").glob(
        "*.pdfseg")}


def _append(root, report_id: str, text: str) -> None:
    path = root / "reports_src" / "2022" / f"{report_id}.md"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + text + "\n", encoding="utf-8")


def _cold(tmp_path, edited_root, monkeypatch, capsys) -> dict[str, bytes]:
    """A cold build of the sources of `edited_root`, in a fresh copy of the project."""
    fresh = tmp_path / "fresh"
    shutil.copytree(edited_root, fresh, ignore=shutil.ignore_patterns("output"))
    return _build(fresh, monkeypatch, capsys)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return corpus_project(tmp_path, IDS)


def test_an_edit_that_keeps_the_page_count_rewrites_only_its_segment_and_matches_a_cold_build(
        project, tmp_path, monkeypatch, capsys):
    _build(project, monkeypatch, capsys)
    before = _segments(project)
    _append(project, "r05", "本段为测试添加的一句话。")
    edited = _build(project, monkeypatch, capsys)
    after = _segments(project)
    kept = set(before) & set(after)
    assert len(after) == len(before) and len(set(after) - kept) == 1  # the edited report's segment, no other
    assert all(before[name] == after[name] for name in kept)          # the others not even written again
    assert edited == _cold(tmp_path, project, monkeypatch, capsys)


def test_an_edit_that_adds_pages_moves_the_numbers_and_still_matches_a_cold_build(
        project, tmp_path, monkeypatch, capsys):
    first = _build(project, monkeypatch, capsys)
    with pikepdf.open(__import__("io").BytesIO(first["pdf"])) as pdf:
        pages_before = len(pdf.pages)
    _append(project, "r02", "\n\n".join(["本段为测试添加的较长段落，用来让报告多出几页。" * 12] * 12))
    edited = _build(project, monkeypatch, capsys)
    with pikepdf.open(__import__("io").BytesIO(edited["pdf"])) as pdf:
        assert len(pdf.pages) > pages_before
    assert edited == _cold(tmp_path, project, monkeypatch, capsys)


def test_the_joined_volume_is_a_sound_pdf_with_one_program_per_face(project, monkeypatch, capsys):
    volume = _build(project, monkeypatch, capsys)["pdf"]
    path = project / "output" / "2022" / "volume.pdf"
    if shutil.which("qpdf"):
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout
    with pikepdf.open(path) as pdf:
        assert pdf.Root.Pages.Count == len(pdf.pages) == sum(kid.Count for kid in pdf.Root.Pages.Kids)
        programs = {}
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                stream = obj.get("/FontFile3") or obj.get("/FontFile2")
                programs.setdefault(str(obj.FontName).split("+", 1)[-1], set()).add(stream.objgen)
        # one program per face, shared by every unit's descriptor of it (the page numbers' font's face included)
        assert programs and all(len(streams) == 1 for streams in programs.values())
        # the contents' links go to the reports' first pages, through named destinations
        pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
        destinations = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
        targets = [pages[destinations[str(annotation.A.D)][0].objgen] for page in pdf.pages
                   for annotation in page.obj.get("/Annots") or [] if annotation.A.S == "/GoTo"]
        assert targets and all(index > 0 for index in targets)
    assert volume.startswith(b"%PDF-1.7") and volume.rstrip().endswith(b"%%EOF")


def test_a_pdf_a_volume_carries_its_front_matters_output_intent_and_metadata(tmp_path):
    """Made by the library without a cache (every segment kept in memory), a volume configured as PDF/A-3b has
    the output intent and XMP metadata its units were laid out with, and the document information they agree
    with."""
    import datetime as dt

    from generator.core.config import load_config
    from generator.read.parse import parse
    from generator.read.reader import read_draft
    from generator.read.registry import load_registry
    from generator.read.volume_source import read_volume_source
    from generator.render.volume_pdf import render_volume_pdf

    root = corpus_project(tmp_path, ["r01", "r02"])
    config = load_config(root / "reportgen.toml")
    config = config.model_copy(update={"brand": config.brand.model_copy(update={"pdf_variant": "pdf/a-3b"})})
    docs = [parse(read_draft(root / "reports_src" / "2022" / f"{rid}.md"), config) for rid in ("r01", "r02")]
    volume = render_volume_pdf(config, "2022", docs, read_volume_source(config, "2022"),
                               load_registry(config.registry_path), timestamp=dt.datetime(2023, 1, 1))
    with pikepdf.open(__import__("io").BytesIO(volume.data)) as pdf:
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
        metadata = pdf.Root.Metadata.read_bytes()
        assert b'pdfaid:part="3"' in metadata and b'pdfaid:conformance="B"' in metadata
        assert str(pdf.docinfo.Title) and str(pdf.Root.Lang)
        assert len(pdf.pages) == volume.pages and pdf.Root.PageLabels.Nums[0] == 0
