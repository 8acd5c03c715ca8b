"""Integrity (issue 21): outputs always match the sources they were checked from, every kept thing is verified
before use, a build touches only its own files, and nothing in an output depends on where the project lies."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys

import pytest
from pypdf import PdfReader

from generator.cli import main

from .helpers import REPO, corpus_project

EPOCH = "1671494400"


@pytest.fixture(autouse=True)
def reproducible(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _build(root, *args, monkeypatch, capsys, jobs="2"):
    monkeypatch.chdir(root)
    code = main(["build", "--jobs", jobs, *args])
    out, _err = capsys.readouterr()
    return code, out


def _manifest(root) -> dict:
    return json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))


def _results(root) -> dict:
    manifest = _manifest(root)
    return {**{r["id"]: r["result"] for r in manifest["reports"]},
            **{f"volume {v['year']}": v["result"] for v in manifest["volumes"]}}


def _outputs(out) -> dict[str, bytes]:
    return {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*"))
            if path.is_file() and path.suffix in (".pdf", ".docx") and ".cache" not in path.parts}


def _text(path) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages).replace(
        "\n", "").replace(" ", "")


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _clean_build(root, tmp_path, name, monkeypatch, capsys) -> dict[str, bytes]:
    """The outputs of a clean build of the same sources, in another directory."""
    clean = tmp_path / name
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns("output"))
    code, out = _build(clean, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, out
    return _outputs(clean / "output")


# ---- a draft saved during a build -------------------------------------------------------------------------


def test_outputs_are_made_from_the_bytes_that_were_checked_and_hashed(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02"])
    draft = root / "reports_src" / "2022" / "r02.md"
    _edit(draft, "## 六、经验启示", "## 六、经验启示\n\n核对过的句子甲乙丙。")
    checked = draft.read_bytes()
    later = checked.decode().replace("核对过的句子甲乙丙。", "未经检查的句子丁戊己。")
    from generator.build.scheduler import Scheduler

    original = Scheduler.run

    def saved_meanwhile(*args, **kwargs):  # the hook between hashing and rendering: an editor saves the draft
        draft.write_text(later, encoding="utf-8")
        return original(*args, **kwargs)

    monkeypatch.setattr(Scheduler, "run", saved_meanwhile)
    code, out = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    monkeypatch.setattr(Scheduler, "run", original)
    assert code == 0, out
    for output in ("2022/reports/r02.pdf", "2022/volume.pdf"):
        text = _text(root / "output" / output)
        assert "核对过的句子甲乙丙" in text and "丁戊己" not in text, output
    cached = json.loads((root / "output" / ".cache" / "2022" / "r02.json").read_text(encoding="utf-8"))
    assert cached["draft"] == hashlib.sha256(checked).hexdigest()
    # The edit saved meanwhile is simply seen by the next build; reverting it is seen by the one after.
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert _results(root)["r02"] == "built" and "未经检查的句子丁戊己" in _text(root / "output" / "2022/volume.pdf")
    draft.write_bytes(checked)
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert _results(root)["r02"] == "built" and "核对过的句子甲乙丙" in _text(root / "output" / "2022/volume.pdf")


# ---- what an output depends on ----------------------------------------------------------------------------


def test_each_input_rebuilds_exactly_what_depends_on_it_and_equals_a_clean_build(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r05", "r07"])  # r07: 黔峰公司, 王建国 (安全环保部)
    sources = root / "reports_src"
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    everything = {"r07": "built", "r05": "built", "volume 2022": "built"}
    volume_only = {"r07": "reused", "r05": "reused", "volume 2022": "built"}
    changes = [
        ("a draft", lambda: _edit(sources / "2022" / "r05.md", "## 六、经验启示", "## 六、经验启示\n\n补充一句。"),
         {"r07": "reused", "r05": "built", "volume 2022": "built"}, "补充一句"),
        ("the volume's front matter", lambda: _edit(sources / "2022" / "_volume.md", "## 前言\n", "## 前言\n\n前言新增一句。\n"),
         volume_only, "前言新增一句"),
        ("a company's short name", lambda: _edit(sources / "registry.yaml", "short: 黔峰公司", "short: 黔峰分公司"),
         volume_only, "黔峰分公司"),
        ("a counselor's department", lambda: _edit(sources / "registry.yaml", "department: 安全环保部, title: 安全环保部部长",
                                                   "department: 安全质量部, title: 安全环保部部长"),
         volume_only, "安全质量部"),
        ("the configuration", lambda: _edit(root / "reportgen.toml", 'header_text = "西南水泥党建辅导员项目课题报告"',
                                            'header_text = "西南水泥党建辅导员课题报告"'), everything, None),
        ("a template", lambda: _edit(root / "templates" / "report.css.j2", "\n", "\n/* changed */\n"), everything, None),
        ("the logo for Word", lambda: (root / "templates" / "logo.png").write_bytes(
            (root / "templates" / "logo.png").read_bytes() + b"\0"), {"r07": "built", "r05": "built",
                                                                      "volume 2022": "built"}, None),
    ]
    for number, (name, change, expected, shown) in enumerate(changes):
        change()
        code, out = _build(root, monkeypatch=monkeypatch, capsys=capsys)
        assert code == 0, (name, out)
        assert _results(root) == expected, name
        if shown:
            assert shown in _text(root / "output" / "2022" / "volume.pdf"), name
        assert _outputs(root / "output") == _clean_build(root, tmp_path, f"clean{number}", monkeypatch, capsys), name


def test_fonts_and_tool_versions_are_in_every_key(tmp_path, monkeypatch):
    from generator.build import keys as cache
    from generator.core.config import load_config

    root = corpus_project(tmp_path, [])
    config = load_config(root / "reportgen.toml")
    before = cache.environment_key(config)
    versions = {**cache.tool_versions(), "weasyprint": "0"}  # (keys.py's own name for core.digest's)
    monkeypatch.setattr(cache, "tool_versions", lambda: versions)
    assert cache.environment_key(config) != before
    monkeypatch.undo()
    monkeypatch.setattr(cache, "_fonts_digest", lambda config: "another font file")
    assert cache.environment_key(config) != before


# ---- a build deletes only what it made --------------------------------------------------------------------


def test_an_unreadable_source_directory_is_an_error_and_keeps_every_output(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02"])
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    before = _outputs(root / "output")
    year = (root / "reports_src" / "2022").resolve()
    year.chmod(0)
    original = os.scandir

    def scandir(path="."):  # as chmod 000 does for anyone but root (the tests may run as root)
        if os.path.realpath(path) == str(year):
            raise PermissionError(13, "Permission denied", str(path))
        return original(path)

    monkeypatch.setattr(os, "scandir", scandir)
    try:
        code, out = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    finally:
        year.chmod(0o755)
    assert code == 2, out
    assert _outputs(root / "output") == before
    assert [r["id"] for r in _manifest(root)["reports"]] == ["r02"]


def test_a_build_into_a_directory_with_other_files_removes_none_of_them(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"])
    out = tmp_path / "shared"
    others = {".editor-swap.tmp": b"swap", "docs/.upload.part.tmp": b"part", "2021/reports/annual.pdf": b"%PDF-1.4",
              "2022/reports/notes.docx": b"theirs", ".cache/2022/.foreign.tmp": b"ours"}
    for name, data in others.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    assert _build(root, "--out", str(out), monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    (root / "reports_src" / "2022" / "r05.md").unlink()  # a draft really deleted: its outputs go
    own = out / "2022" / "reports" / "r02.pdf"
    assert _build(root, "--out", str(out), monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert not (out / "2022" / "reports" / "r05.pdf").exists() and not (out / "2022" / "reports" / "r05.docx").exists()
    assert own.is_file()
    for name, data in others.items():
        if not name.startswith(".cache/"):  # the cache is reportgen's own
            assert (out / name).read_bytes() == data, name


def test_a_failed_report_lists_its_previous_outputs_as_stale(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"])
    _edit(root / "reportgen.toml", 'on_failed_report = "exclude"', 'on_failed_report = "keep-previous"')
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    previous = _manifest(root)["reports"][0]["outputs"]
    previous_volume = _manifest(root)["volumes"][0]["outputs"]
    _edit(root / "reports_src" / "2022" / "r02.md", "theme: ", "theme: 不存在的主题")
    code, _out = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    report = _manifest(root)["reports"][0]
    assert code == 1 and report["id"] == "r02" and report["result"] == "failed"
    assert report["outputs"] == {} and report["stale_outputs"] == previous
    for entry in previous.values():
        data = (root / "output" / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert "stale_outputs" not in _manifest(root)["reports"][1]
    volume = _manifest(root)["volumes"][0]  # the previous volume is kept: it is stale too
    assert volume["result"] == "failed" and volume["outputs"] == {} and volume["stale_outputs"] == previous_volume


# ---- every kept thing is verified before use -------------------------------------------------------------


def _corrupt(path, kind, other=None, wrong=b"[]"):
    data = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[:min(100, len(data) // 2)])
    elif kind == "garbage":
        path.write_bytes(b"\x00\xffnot what it claims\x89" * 8)
    elif kind == "wrong type":
        path.write_bytes(wrong)
    else:  # swapped with another valid entry of the same kind
        other_data = other.read_bytes()
        path.write_bytes(other_data)
        other.write_bytes(data)


KINDS = ["truncated", "garbage", "wrong type", "swapped"]


@pytest.fixture
def built(tmp_path, monkeypatch, capsys, caplog):
    """A project built once, with the reference outputs a build must reproduce whatever was done to its cache."""
    caplog.set_level(logging.INFO, logger="generator.core.verify")
    root = corpus_project(tmp_path, ["r02", "r05"])
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys, jobs="1")[0] == 0
    return root, _outputs(root / "output")


def _rebuild_equals(root, reference, monkeypatch, capsys, *, remove=()):
    for name in remove:
        (root / "output" / name).unlink()
    code, out = _build(root, monkeypatch=monkeypatch, capsys=capsys, jobs="1")
    assert code == 0, out
    assert _outputs(root / "output") == reference
    code, out = _build(root, monkeypatch=monkeypatch, capsys=capsys, jobs="1")  # repaired: all reused now
    assert code == 0 and set(_results(root).values()) == {"reused"}, out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("entry", ["r02.json", "_volume.json", "_check.json"])
def test_a_damaged_build_cache_entry_is_discarded_and_made_again(built, entry, kind, monkeypatch, capsys, caplog):
    root, reference = built
    cache = root / "output" / ".cache" / "2022"
    other = {"r02.json": "r05.json", "_volume.json": "r02.json", "_check.json": "_volume.json"}[entry]
    wrong = {"r02.json": b'{"key": 1, "outputs": [], "pages": "7"}', "_volume.json": b'{"key": "x", "record": []}',
             "_check.json": b'{"x": {"key": 1}}'}[entry]
    path = cache.parent / entry if entry == "_check.json" else cache / entry
    _corrupt(path, kind, cache / other, wrong)
    _rebuild_equals(root, reference, monkeypatch, capsys)
    if kind != "swapped" or entry == "_check.json":  # a swapped report entry simply has another key
        assert "discarding" in caplog.text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("suffix", [".json", ".pdf", ".font"])
def test_a_damaged_unit_or_font_program_is_discarded_and_made_again(built, suffix, kind, monkeypatch, capsys, caplog):
    root, reference = built
    units = sorted((root / "output" / ".cache" / "2022" / "units").glob(f"*{suffix}"), key=lambda p: p.stat().st_size)
    assert len(units) >= 2
    _corrupt(units[-1], kind, units[0], b'{"key": 1, "anchors": [], "pages": "x"}')
    # The volume reads every unit and its font programs again; the reports are laid out again from their units.
    _rebuild_equals(root, reference, monkeypatch, capsys,
                    remove=["2022/volume.pdf", "2022/reports/r02.pdf", "2022/reports/r05.pdf"])
    assert "discarding" in caplog.text


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_tree_is_discarded_and_parsed_again(built, kind, monkeypatch, capsys, caplog):
    root, reference = built
    cache = root / "output" / ".cache" / "2022"
    trees = sorted((cache / "trees").glob("*.xml"))
    assert len(trees) >= 2
    _corrupt(trees[0], kind, trees[1], b"<reportgen-tree><div><p>not this draft</p></div></reportgen-tree>")
    for unit in (cache / "units").iterdir():  # so that the reports are laid out again, from their trees
        unit.unlink()
    _rebuild_equals(root, reference, monkeypatch, capsys,
                    remove=["2022/volume.pdf", "2022/reports/r02.pdf", "2022/reports/r05.pdf"])
    assert "discarding" in caplog.text


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_user_cache_entry_is_discarded(tmp_path, monkeypatch, kind, caplog):
    from generator.core import usercache
    caplog.set_level(logging.INFO, logger="generator.core.verify")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    usercache.remember_json("pinyin-test.json", {"张": ["zhang"]})
    usercache.remember_json("pinyin-other.json", {"李": ["li"]})
    path = usercache.user_cache_dir() / "pinyin-test.json"
    _corrupt(path, kind, usercache.user_cache_dir() / "pinyin-other.json", b'{"\\u5f20": 7}')
    assert usercache.recall("pinyin-test.json") is None
    assert usercache.recall_json("pinyin-test.json") == {}
    assert "discarding" in caplog.text
    usercache.remember_json("pinyin-test.json", {"张": ["zhang"]})  # and made again
    assert usercache.recall_json("pinyin-test.json") == {"张": ["zhang"]}


def test_wrong_values_in_kept_memos_are_not_used(tmp_path, monkeypatch):
    """A memo whose seal is intact but whose values are of another form (written by another version)."""
    from generator.core import usercache
    from generator.core.verify import Each
    from generator.render import volume_plan as volume

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    usercache.remember_json(volume._pinyin_memo_name(), {"张明远": 3})
    monkeypatch.setattr(volume, "_PINYIN", usercache.Memo(volume._pinyin_memo_name, volume._lazy_pinyin, [str]))
    assert volume.pinyin_key("张明远") == (("zhang", "ming", "yuan"), "张明远")
    usercache.remember_json("libraries-x.json", {"cairo": 1})
    assert usercache.recall_json("libraries-x.json", Each((str, None))) == {}


def test_a_damaged_message_catalog_or_cmap_memo_is_made_again(tmp_path):
    """The catalog is read by every command, `--help` included; the cmap decides TXT410."""
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "generator", "check", "reports_src/2022/r02.md"]
    first = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=REPO)
    for path in list((tmp_path / "reportgen").glob("catalog-*.mo")) + list((tmp_path / "reportgen").glob("cmap-*")):
        path.write_bytes(path.read_bytes()[:40] if path.name.endswith(".mo") else b"")
    second = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=REPO)
    assert second.returncode == first.returncode and second.stdout == first.stdout, second.stderr
    assert "TXT410" not in second.stdout and "Traceback" not in second.stderr
    helped = subprocess.run([sys.executable, "-m", "generator", "--help"], capture_output=True, text=True,
                            env=environment, cwd=REPO)
    assert helped.returncode == 0 and "Traceback" not in helped.stderr


def test_a_journal_naming_another_output_directory_is_not_used(tmp_path, monkeypatch, capsys):
    from generator.build import journal
    from generator.core import usercache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = corpus_project(tmp_path, ["r02"])
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    name = journal._journal_name(["build", "--jobs", "2"], root / "reportgen.toml")
    kept = json.loads(usercache.recall(name))
    for manifest in ("/dev/null/x/manifest.json", "relative/manifest.json"):
        usercache.remember_json(name, {**kept, "manifest": manifest})  # sealed, but naming no output directory
        code, out = _build(root, monkeypatch=monkeypatch, capsys=capsys)
        assert code == 0, out
    (usercache.user_cache_dir() / name).write_text(json.dumps({**kept, "manifest": "/dev/null/x"}), encoding="utf-8")
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0  # not sealed: discarded


# ---- reproducible across directories ----------------------------------------------------------------------


def test_the_same_sources_built_in_two_directories_give_the_same_bytes(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path / "one", ["r02", "r05"])  # r02 has a chart
    assert b"assets/" in (root / "reports_src" / "2022" / "r02.md").read_bytes()
    assert _build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    first = _outputs(root / "output")
    assert _clean_build(root, tmp_path, "another-directory", monkeypatch, capsys) == first
