"""Behaviours that two parts of reportgen once decided each in their own way now have one home and agree."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.core.config import load_config
from generator.read.reader import draft_from_text
from generator.read.volume_source import read_volume_source
from generator.render.volume_pdf import volume_fields
from tests.helpers import corpus_project

VOLUME = "---\ntitle: 汇编\ndate: {date}\n---\n\n## 前言\n\n正文。\n"


@pytest.mark.parametrize(("written", "expected"), [("2022-1-5", dt.date(2022, 1, 5)),
                                                   ("2022-12-01", dt.date(2022, 12, 1))])
def test_a_volume_date_is_read_as_a_report_date_and_printed_as_it_is_stamped(tmp_path, written, expected):
    from generator.read.frontmatter import convert_field

    root = corpus_project(tmp_path, [])
    config = load_config(root / "reportgen.toml")
    path = root / "reports_src" / "2022" / "_volume.md"
    source = read_volume_source(config, "2022", draft_from_text(path, VOLUME.format(date=written)))
    assert source.diagnostics == () and source.date == expected
    # the printed date (the cover's) and the documents' timestamp come from the same reading
    assert volume_fields(config, "2022", source)["date_text"] == f"{expected.year}年{expected.month}月"
    report = draft_from_text(root / "reports_src" / "2022" / "r01.md", f"---\nsubmitted: {written}\n---\n")
    assert convert_field(report.fields["submitted"], config) == (expected, None)


def test_a_volume_date_that_does_not_exist_is_reported_like_a_report_date(tmp_path):
    root = corpus_project(tmp_path, [])
    config = load_config(root / "reportgen.toml")
    path = root / "reports_src" / "2022" / "_volume.md"
    source = read_volume_source(config, "2022", draft_from_text(path, VOLUME.format(date="2022-02-30")))
    assert [(item.code, item.line) for item in source.diagnostics] == [("FM109", 3)]
    assert source.date is None
    assert volume_fields(config, "2022", source)["date_text"] == "2022"
