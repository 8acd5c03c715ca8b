"""The library API (generator/__init__.py): what embedding programs (the web workspace) use. Nothing prints."""

from __future__ import annotations

import json
import os

import generator
from generator.cli import main

from .conftest import RULE_FIXTURES
from .helpers import corpus_project


def test_check_text_gives_what_check_gives_the_file(check_file, project_config, project_registry, capsys):
    path = RULE_FIXTURES / "TXT402_wrong_script.md"
    text = path.read_text(encoding="utf-8")
    found = generator.check_text(text, path=path, config=project_config, registry=project_registry)
    assert [(d.code, d.line, d.col) for d in found] == [(d.code, d.line, d.col) for d in check_file(path)]
    assert found and found[0].code == "TXT402"
    edited = text.replace("黨", "党").replace("輔導員", "辅导员")
    assert not [d for d in generator.check_text(edited, path=path, config=project_config,
                                               registry=project_registry) if d.code == "TXT402"]
    assert capsys.readouterr() == ("", "")


def test_a_warm_renderer_gives_the_bytes_the_build_writes(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02"])
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1669852800")
    assert main(["build", "--jobs", "1", "--no-volume"]) == 0
    capsys.readouterr()
    config = generator.load_config(root / "reportgen.toml")
    path = config.sources_dir / "2022" / "r02.md"
    document = generator.parse_text(path.read_text(encoding="utf-8"), path=path, config=config)
    renderer = generator.Renderer(config)
    pdf, docx = renderer.pdf(document), renderer.docx(document)
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert pdf.pages == manifest["reports"][0]["pages"] and not pdf.diagnostics
    assert pdf.data == (root / "output" / "2022" / "reports" / "r02.pdf").read_bytes()
    assert docx.data == (root / "output" / "2022" / "reports" / "r02.docx").read_bytes()
    assert capsys.readouterr() == ("", "")
    assert os.environ["SOURCE_DATE_EPOCH"] == "1669852800"


def test_build_runs_the_nightly_job_without_printing(tmp_path, capsys):
    root = corpus_project(tmp_path, ["r02"])
    config = generator.load_config(root / "reportgen.toml")
    result = generator.run_build(config, jobs=1, volume=False)
    assert isinstance(result, generator.BuildResult) and result.exit_status == 0
    assert [record.result for record in result.reports] == ["built"]
    assert result.manifest_path.is_file()
    assert capsys.readouterr() == ("", "")


def run_build(config: Config, **options):
    """`reportgen build` without the command line: the same stages, lock and manifest (`build.build`, whose
    keyword options it takes: paths, formats, jobs, volume, strict, out, include_drafts, years, progress). Returns
    the `BuildResult`; raises `BuildLocked` if another build holds the output directory."""
    from .build import build

    return build(config, **options)
