"""The build journal: a build that finds nothing changed replays the last result; any change builds again."""

from __future__ import annotations

import json
import os
import re

from generator.build import run as build_module
from generator.build.journal import _journal_name
from generator.build.store import OutputLock
from generator.cli import main
from generator.core.usercache import user_cache_dir

from .helpers import corpus_project

IDS = ["r02", "r05", "r12"]


def _build(root, *args, monkeypatch, capsys):
    """`reportgen build` in `root`: exit code, standard output, and whether the build itself ran (not a replay)."""
    monkeypatch.chdir(root)
    calls = []
    original = build_module.build
    monkeypatch.setattr(build_module, "build", lambda *a, **k: calls.append(1) or original(*a, **k))
    code = main(["build", "--jobs", "2", *args])
    out, _err = capsys.readouterr()
    monkeypatch.setattr(build_module, "build", original)
    return code, out, bool(calls)


def _manifest(root) -> dict:
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    return {key: value for key, value in manifest.items() if key not in ("finished", "duration_seconds")}


def _untimed(out: str) -> str:
    return re.sub(r"用时 [\d.]+ 秒", "用时 … 秒", out)


def test_an_unchanged_project_replays_exactly_what_a_build_would_report(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, IDS)
    code, _out, built = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and built
    code, replayed_out, built = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and not built
    replayed = _manifest(root)
    assert {report["result"] for report in replayed["reports"]} == {"reused"}
    assert replayed["volumes"][0]["result"] == "reused" and not replayed["volumes"][0]["rebuilt"]
    # The same no-change build through the normal path (its journal removed) reports the same.
    (user_cache_dir() / _journal_name(["build", "--jobs", "2"], root / "reportgen.toml")).unlink()
    code, normal_out, built = _build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and built
    assert _manifest(root) == replayed
    assert _untimed(normal_out) == _untimed(replayed_out)
    assert "无变化 3 份" in replayed_out


def test_the_json_summary_is_replayed_too(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02"])
    _build(root, "--format", "json", "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
    code, out, built = _build(root, "--format", "json", "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
    summary = json.loads(out)
    assert code == 0 and not built
    assert summary["reports"] == {"built": 0, "reused": 1, "failed": 0, "skipped": 0}
    assert summary["exit_status"] == 0 and summary["volumes"] == []


def test_any_change_to_what_a_build_reads_or_writes_builds_again(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"])
    _build(root, monkeypatch=monkeypatch, capsys=capsys)
    template = next((root / "templates").glob("*.j2"))
    report = root / "output" / "2022" / "reports" / "r02.pdf"
    changes = {
        "a template saved unchanged": lambda: os.utime(template, ns=(1, template.stat().st_mtime_ns + 1)),
        "a draft edited": lambda: (root / "reports_src" / "2022" / "r05.md").write_text(
            (root / "reports_src" / "2022" / "r05.md").read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8"),
        "an output deleted": lambda: report.unlink(),
        "the manifest edited": lambda: (root / "output" / "manifest.json").write_text("{}", encoding="utf-8"),
        "a new variable in the environment": lambda: monkeypatch.setenv("SOURCE_DATE_EPOCH", "1671494400"),
    }
    for change, apply in changes.items():
        code, _out, built = _build(root, monkeypatch=monkeypatch, capsys=capsys)
        assert code == 0 and not built, f"before: {change}"
        apply()
        code, _out, built = _build(root, monkeypatch=monkeypatch, capsys=capsys)
        assert code == 0 and built, change
    assert report.is_file()  # the build after the deletion repaired it
    assert json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))["reports"]


def test_a_failed_build_is_never_replayed(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02", "r05"])
    broken = root / "reports_src" / "2022" / "r05.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("## 五、取得成效", "## 五、成绩"), encoding="utf-8")
    for _run in range(2):
        code, out, built = _build(root, monkeypatch=monkeypatch, capsys=capsys)
        assert code == 1 and built and "SEC201" in out


def test_a_replay_is_refused_while_a_build_runs(tmp_path, monkeypatch, capsys):
    root = corpus_project(tmp_path, ["r02"])
    _build(root, "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
    with OutputLock(root / "output"):
        monkeypatch.chdir(root)
        code = main(["build", "--jobs", "2", "--no-volume"])
    assert code == 3 and "另一个构建进程" in capsys.readouterr().err
    code, _out, built = _build(root, "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and not built


def test_a_draft_saved_while_the_build_runs_is_built_by_the_next_build(tmp_path, monkeypatch, capsys):
    """The journal states what the build depends on before it reads anything: an edit saved during the build
    (after the draft was read) leaves no journal, so the next build sees the edit."""
    root = corpus_project(tmp_path, ["r02"])
    draft = root / "reports_src" / "2022" / "r02.md"
    from generator.build.scheduler import Scheduler

    original = Scheduler.run

    def render_then_edit(*args, **kwargs):
        original(*args, **kwargs)
        draft.write_text(draft.read_text(encoding="utf-8") + "\n构建期间保存的一句。\n", encoding="utf-8")

    monkeypatch.setattr(Scheduler, "run", render_then_edit)
    code, _out, built = _build(root, "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and built
    monkeypatch.setattr(Scheduler, "run", original)
    code, out, built = _build(root, "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and built and "新生成 1 份" in out


def test_odd_file_names_and_linked_directories_are_followed(tmp_path, monkeypatch, capsys):
    """A file name that is not UTF-8 neither breaks the build nor its journal; an edit inside a directory the
    sources reach through a symbolic link (drafts kept elsewhere in the project: a link out of the project is
    refused, FM118) is seen."""
    root = corpus_project(tmp_path, ["r05"])  # a report without images: they must lie inside the sources
    elsewhere = root / "archive" / "drafts-elsewhere"
    elsewhere.parent.mkdir()
    (root / "reports_src" / "2022").rename(elsewhere)
    (root / "reports_src" / "2022").symlink_to(elsewhere, target_is_directory=True)
    with open(os.path.join(os.fsencode(root / "reports_src"), b"\xff\xfe-notes.txt"), "wb") as file:
        file.write(b"not a draft")
    code, out, built = _build(root, "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and built, out
    code, _out, built = _build(root, "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and not built
    draft = elsewhere / "r05.md"
    draft.write_text(draft.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    code, out, built = _build(root, "--no-volume", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and built and "新生成 1 份" in out


def test_the_code_digest_covers_what_shapes_outputs_and_not_the_faces(tmp_path, monkeypatch):
    """A change to the renderers, the checker or the catalogs makes every output out of date; a change to the web
    workspace, the Word importer or `doctor` does not (the journal states the same paths)."""
    import shutil

    from generator.core import digest

    package = tmp_path / "generator"
    shutil.copytree(digest.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    monkeypatch.setattr(digest, "PACKAGE", package)
    before = digest._package_digest()
    assert {path.name for path in digest.code_paths()} >= {"core", "read", "check", "render", "build", "locale",
                                                           "cli.py", "api.py"}
    assert not {"web", "importer", "doctor.py"} & {path.name for path in digest.code_paths()}
    for face in ("web/views.py", "importer/__init__.py", "doctor.py"):
        (package / face).write_text((package / face).read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        assert digest._package_digest() == before, face
    for shaping in ("render/html.py", "locale/zh_CN/LC_MESSAGES/reportgen.po"):
        path = package / shaping
        original = path.read_text(encoding="utf-8")
        path.write_text(original + "\n# changed\n", encoding="utf-8")
        assert digest._package_digest() != before, shaping
        path.write_text(original, encoding="utf-8")
    assert digest._package_digest() == before
