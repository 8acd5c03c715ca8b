"""The volume order on the desk (issue 17): reviewers set and clear a report's `volume_order` through the same
path as status changes (only that line of the file, the expected-hash check, a revision and an event); counselors
cannot use the form, but may write the field in their own text like any other edit."""

from __future__ import annotations

import difflib

import generator


def _hash(sources, report_id="r01"):
    return generator.file_hash(sources / "2022" / f"{report_id}.md")


def _text(sources, report_id="r01"):
    return (sources / "2022" / f"{report_id}.md").read_text(encoding="utf-8")


def _events(report_id="r01"):
    from generator.web.models import Event

    return list(Event.objects.filter(report__report_id=report_id).order_by("id").values_list("kind", "detail"))


def _changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.ndiff(old.split("\n"), new.split("\n")) if line[:1] in "+-"]


def test_a_reviewer_sets_changes_and_clears_the_volume_order(client_as, sources):
    from generator.web.models import Revision

    reviewer = client_as("reviewer")
    original = _text(sources)
    assert "volume_order" not in original
    page = reviewer.get("/r/2022/r01/review/").content.decode()
    assert 'id="order-form"' in page and 'action="/r/2022/r01/review/order"' in page
    assert 'id="order-clear"' not in page

    response = reviewer.post("/r/2022/r01/review/order", {"base": _hash(sources), "order": "2"})
    assert response.status_code == 302 and response["Location"] == "/r/2022/r01/review/?done=order"
    text = _text(sources)
    assert _changed_lines(original, text) == ["+ volume_order: 2"]      # nothing else in the file changes
    head = text.split("\n---\n")[0]
    assert head.endswith("\nvolume_order: 2")                           # inside the front matter
    path = sources / "2022" / "r01.md"
    config = generator.load_config(sources.parent / "reportgen.toml")
    assert generator.parse_text(text, path=path, config=config).meta.volume_order == 2
    assert not [item for item in generator.check_text(text, path=path, config=config)
                if item.code in ("FM106", "FM107")]
    revision = Revision.objects.filter(report__report_id="r01").first()
    assert revision.kind == Revision.Kind.ORDER and revision.text == text
    assert revision.content_hash == _hash(sources) and revision.author.username == "publicity"
    assert ("ordered", "volume_order: — → 2") in _events()
    page = reviewer.get("/r/2022/r01/review/?done=order").content.decode()
    assert "汇编排序已保存" in page and 'value="2"' in page and 'id="order-clear"' in page
    board = reviewer.get("/desk/").content.decode()
    row = board[board.index('<tr data-report="r01"'):]
    assert '<span class="order"' in row[:row.index("</tr>")] and "#2" in row[:row.index("</tr>")]

    assert reviewer.post("/r/2022/r01/review/order", {"base": _hash(sources), "order": "3"}).status_code == 302
    assert _changed_lines(original, _text(sources)) == ["+ volume_order: 3"]
    # the same value again changes nothing and says so
    again = reviewer.post("/r/2022/r01/review/order", {"base": _hash(sources), "order": "3"})
    assert again.status_code == 400 and "汇编排序已是 3" in again.content.decode()

    assert reviewer.post("/r/2022/r01/review/order", {"base": _hash(sources), "clear": "1"}).status_code == 302
    assert _text(sources) == original
    kinds = [kind for kind, _detail in _events()]
    assert kinds.count("ordered") == 3
    assert ("ordered", "volume_order: 3 → —") in _events()
    assert Revision.objects.filter(report__report_id="r01", kind=Revision.Kind.ORDER).count() == 3
    timeline = reviewer.get("/r/2022/r01/timeline/").content.decode()
    assert timeline.count("修改了汇编排序") == 3 and "volume_order: 2 → 3" in timeline


def test_counselors_cannot_set_the_order_but_may_write_it_in_their_text(client_as, sources):
    original = _text(sources)
    for role in ("owner", "other"):
        response = client_as(role).post("/r/2022/r01/review/order", {"base": _hash(sources), "order": "1"})
        assert response.status_code == 403, role
    assert _text(sources) == original and not [kind for kind, _d in _events() if kind == "ordered"]
    assert 'id="order-form"' not in client_as("owner").get("/r/2022/r01/").content.decode()
    # the counselor's own text edit, as today
    typed = original.replace("\n---\n", "\nvolume_order: 1\n---\n", 1)
    saved = client_as("owner").post("/r/2022/r01/save", {"text": typed, "base": _hash(sources)})
    assert saved.status_code == 200 and _text(sources) == typed


def test_a_stale_or_wrong_order_is_refused_and_nothing_is_written(client_as, sources):
    reviewer = client_as("reviewer")
    original = _text(sources)
    stale = _hash(sources)
    for value in ("0", "abc", "-1", "1.5", "２"):
        response = reviewer.post("/r/2022/r01/review/order", {"base": stale, "order": value})
        assert response.status_code == 400 and "汇编排序应为不小于 1 的整数" in response.content.decode(), value
    assert _text(sources) == original
    # the counselor saves meanwhile: the reviewer's order, made on the older version, is refused and recorded
    owner_text = original.replace("## 一、", "补充一句。\n\n## 一、", 1)
    assert client_as("owner").post("/r/2022/r01/save", {"text": owner_text, "base": stale}).status_code == 200
    response = reviewer.post("/r/2022/r01/review/order", {"base": stale, "order": "2"})
    assert response.status_code == 409
    assert "本次操作未执行" in response.content.decode() and "修改了正文" in response.content.decode()
    assert _text(sources) == owner_text
    assert [kind for kind, _d in _events()][-1] == "refused"
    assert "order:" in _events()[-1][1]
    # another reviewer set the order meanwhile: the refusal says so
    seen = _hash(sources)
    assert reviewer.post("/r/2022/r01/review/order", {"base": seen, "order": "2"}).status_code == 302
    response = client_as("admin").post("/r/2022/r01/review/order", {"base": seen, "order": "5"})
    assert response.status_code == 409 and "修改了汇编排序" in response.content.decode()
    assert "volume_order: 2\n" in _text(sources)
