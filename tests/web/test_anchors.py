"""Comments follow their lines: `anchors.locate` through insertions, deletions, moves, edits and removal."""

from __future__ import annotations

from generator.web import anchors

WORDS = ["安全生产", "绿色发展", "廉洁从业", "精准扶贫", "学习教育", "技能培养", "三精管理", "精准采购", "双精双优",
         "班组建设", "问题清单", "整改闭环", "党员先锋", "志愿服务", "质量提升", "节能降耗", "设备点检", "青年宣讲",
         "支部共建", "考核评价"]
TEXT = "\n".join(word * 3 for word in WORDS)


def _moved(new_text, first=8, last=9):
    return anchors.locate(TEXT, anchors.anchor(TEXT, first, last), new_text)


def test_unchanged_text_keeps_the_lines():
    assert _moved(TEXT) == anchors.Location(8, 9, "same")


def test_lines_inserted_or_removed_above_move_the_comment():
    lines = TEXT.split("\n")
    assert _moved("\n".join(["新1", "新2", "新3", *lines])) == anchors.Location(11, 12, "moved")
    assert _moved("\n".join(lines[3:])) == anchors.Location(5, 6, "moved")


def test_a_paragraph_moved_elsewhere_is_found_by_its_text():
    lines = TEXT.split("\n")
    block = lines[7:9]
    rest = lines[:7] + lines[9:]
    new = rest[:15] + block + rest[15:]
    found = _moved("\n".join(new))
    assert found.state == "moved" and new[found.first_line - 1:found.last_line] == block


def test_an_edited_line_is_followed_as_changed():
    new = TEXT.replace("精准采购精准采购精准采购", "精准采购精准采购精准采购稳步推进")
    new = "前言\n" + new
    found = _moved(new)
    assert (found.first_line, found.state) in ((9, "changed"), (9, "moved"))


def test_lines_that_are_gone_leave_the_comment_outdated_at_its_old_place():
    lines = TEXT.split("\n")
    new = "\n".join(lines[:7] + ["完全不同的一段新文字。", "另一段全新的表述，毫无相似。"] + lines[9:])
    assert new != TEXT
    assert _moved(new) == anchors.Location(8, 9, "outdated")
    assert anchors.locate(TEXT, anchors.anchor(TEXT, 19, 20), "短").state == "outdated"


def test_the_nearest_of_repeated_lines_with_the_same_context_wins():
    text = "a\nb\n重复\nc\nd\ne\nf\n重复\ng"
    new = "f\n重复\ng\n" + "a\nb\n重复\nc\nd\ne\n" + "新"     # the last three lines moved to the top
    found = anchors.locate(text, anchors.anchor(text, 8, 8), new)
    assert found == anchors.Location(2, 2, "moved")                 # the occurrence between f and g


def test_anchor_clamps_to_the_text():
    assert anchors.anchor("a\nb", 5, 9) == anchors.Anchor(2, 2, "b", "a", "")
