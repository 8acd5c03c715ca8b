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


def test_build_reports_its_progress_report_by_report_then_the_volume(tmp_path):
    """`run_build(progress=…)` with an object of the program's own (the workspace's compile page follows a build so)."""
    class Recorder(generator.Progress):
        def __init__(self):
            self.events = []

        def start(self, total, description):
            self.events.append(("start", total))

        def advance(self, description):
            self.events.append(("advance", description))

        def finish(self):
            self.events.append(("finish",))

    root = corpus_project(tmp_path, ["r02", "r03"])
    recorder = Recorder()
    generator.run_build(generator.load_config(root / "reportgen.toml"), jobs=1, years={"2022"}, progress=recorder)
    assert recorder.events[0] == ("start", 3) and recorder.events[-1] == ("finish",)
    steps = [event[1] for event in recorder.events[1:-1]]
    assert sorted(steps[:2]) == ["r02", "r03"] and steps[2] == "2022年度汇编"


# --- editing drafts in memory (the web workspace's functions) ----------------------------------------------

def test_write_draft_refuses_a_file_changed_since_it_was_read(tmp_path):
    import pytest

    path = tmp_path / "2022" / "r90.md"
    first = generator.write_draft(path, "一\n", expected=None)
    assert first == generator.text_hash("一\n") == generator.file_hash(path)
    with pytest.raises(generator.DraftChanged):   # must not exist yet
        generator.write_draft(path, "二\n", expected=None)
    path.write_text("在别处改过\n", encoding="utf-8")   # the CLI, git, another editor
    with pytest.raises(generator.DraftChanged) as refused:
        generator.write_draft(path, "二\n", expected=first)
    assert refused.value.current == "在别处改过\n" and path.read_text(encoding="utf-8") == "在别处改过\n"
    text, current = generator.read_text(path, generator.load_config(None))
    assert generator.write_draft(path, "三\n", expected=current) == generator.text_hash("三\n")
    assert path.read_bytes() == "三\n".encode() and not list(path.parent.glob(".*.tmp"))


def test_write_draft_keeps_a_files_crlf_line_endings_and_bom(tmp_path):
    path = tmp_path / "2022" / "r91.md"
    path.parent.mkdir()
    path.write_bytes("\ufeff---\r\ntitle: 甲\r\n---\r\n".encode("utf-8"))
    text, current = generator.read_text(path, generator.load_config(None))
    assert text == "---\ntitle: 甲\n---\n"
    written = generator.write_draft(path, text + "乙\n", expected=current)
    assert path.read_bytes() == "\ufeff---\r\ntitle: 甲\r\n---\r\n乙\r\n".encode("utf-8")
    assert written == generator.file_hash(path)


def test_apply_fix_makes_exactly_the_edit_check_fix_makes(project_config, project_registry, tmp_path):
    path = RULE_FIXTURES / "TXT403_halfwidth_punctuation.md"
    text = path.read_text(encoding="utf-8")
    found = [item for item in generator.check_text(text, path=path, config=project_config,
                                                    registry=project_registry) if item.fix]
    assert found
    fixed = text
    for item in sorted(found, key=lambda item: -item.fix[0].start):  # one button after another, last first
        fixed = generator.apply_fix(fixed, item)
    assert fixed == generator.fix_text(text, path=path, config=project_config, registry=project_registry) != text
    copy = tmp_path / "2022" / path.name
    copy.parent.mkdir()
    copy.write_text(text, encoding="utf-8")
    assert main(["check", "--fix", "--config", str(RULE_FIXTURES.parents[1] / "reportgen.toml"), str(copy)]) in (0, 1)
    assert copy.read_text(encoding="utf-8") == fixed


def test_new_draft_text_is_the_scaffold_of_reportgen_new(tmp_path, capsys):
    import pytest

    root = corpus_project(tmp_path, [])
    config = generator.load_config(root / "reportgen.toml")
    registry = generator.load_registry(config.registry_path)
    options = dict(report_id="r90", year=2022, company="云岭西南水泥有限公司", counselors=["周文博"],
                   theme="党建+安全生产")
    path, text = generator.new_draft_text(config, registry, **options)
    assert not path.exists()
    assert main(["new", "--config", str(root / "reportgen.toml"), "--id", "r90", "--year", "2022", "--company",
                 "云岭西南水泥有限公司", "--counselor", "周文博", "--theme", "党建+安全生产"]) == 0
    assert path.read_text(encoding="utf-8") == text
    with pytest.raises(generator.ReportgenError):
        generator.new_draft_text(config, registry, **{**options, "counselors": ["不在名录"]})
    capsys.readouterr()


def test_set_front_matter_value_changes_only_that_value(project_config):
    path = project_config.sources_dir / "2022" / "r90.md"
    text = ("---\ntitle: 标题\nstatus: 草稿   # 工作流\ncompany:  '云岭西南水泥有限公司'\n"
            "counselors: [周文博, 郑德华]\n---\n\n正文 status: 草稿\n")
    changed = generator.set_front_matter_value(text, "status", "已提交", path=path, config=project_config)
    assert changed == text.replace("status: 草稿   #", "status: 已提交   #", 1)
    assert generator.set_front_matter_value(text, "company", "巴山西南水泥有限公司", path=path,
                                            config=project_config) == text.replace(
        "'云岭西南水泥有限公司'", "巴山西南水泥有限公司")
    assert generator.set_front_matter_value(text, "title", "a: b", path=path, config=project_config) == \
        text.replace("title: 标题", "title: 'a: b'")
    assert generator.set_front_matter_value(text, "counselors", ["郑德华"], path=path, config=project_config) == \
        text.replace("[周文博, 郑德华]", "[郑德华]")


def test_messages_in_sets_the_language_of_one_thread_only(project_config, project_registry):
    import threading

    from generator.core.i18n import _, current_language

    path = RULE_FIXTURES / "TXT403_halfwidth_punctuation.md"
    text = path.read_text(encoding="utf-8")
    seen = {}

    def english_thread():
        with generator.messages_in("en"):
            seen["english"] = generator.check_text(text, path=path, config=project_config,
                                                   registry=project_registry)[0].message
            seen["inside"] = current_language()

    with generator.messages_in("en"):
        thread = threading.Thread(target=english_thread)
        thread.start()
        thread.join()
        assert _("validate drafts") == "validate drafts"
    assert current_language() == "zh_CN" and seen["inside"] == "en" and _("validate drafts") == "检查草稿"
    chinese = generator.check_text(text, path=path, config=project_config, registry=project_registry)[0].message
    assert seen["english"] != chinese


def test_translation_serves_each_language_without_changing_the_current_one():
    from generator.core.i18n import current_language

    before = current_language()
    assert generator.translation("en").gettext("validate drafts") == "validate drafts"
    assert generator.translation("zh_CN").gettext("validate drafts") == "检查草稿"
    assert current_language() == before


def test_of_two_concurrent_writes_from_the_same_version_exactly_one_wins(tmp_path):
    import threading

    path = tmp_path / "2022" / "r92.md"
    start = generator.write_draft(path, "起点\n", expected=None)
    outcomes, barrier = [], threading.Barrier(8)

    def save(number):
        barrier.wait()
        try:
            generator.write_draft(path, f"第{number}版\n", expected=start)
            outcomes.append(number)
        except generator.DraftChanged:
            outcomes.append(None)

    threads = [threading.Thread(target=save, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [number for number in outcomes if number is not None]
    assert len(winners) == 1 and path.read_text(encoding="utf-8") == f"第{winners[0]}版\n"


def test_a_remembered_image_verdict_is_given_in_each_language(tmp_path):
    from generator.check.rules.assets import verify_image

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    with generator.messages_in("en"):
        english = verify_image(broken)
    chinese = verify_image(broken)
    with generator.messages_in("en"):
        assert verify_image(broken) == english
    assert english and chinese and english != chinese and english.isascii()
