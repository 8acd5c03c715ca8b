"""The publicity desk (issue 17): the board and its numbers, reviewing (comments anchored to lines, return,
approve), the timeline and audit log, e-mail, and what happens when people act at once."""

from __future__ import annotations

import csv
import io
import re

import pytest

import generator

from .conftest import OWNER, PROJECT

SUBMITTED = "r12"   # the sample year's submitted report (宋雅琴)


def _hash(sources, report_id):
    return generator.file_hash(sources / "2022" / f"{report_id}.md")


def _text(sources, report_id):
    return (sources / "2022" / f"{report_id}.md").read_text(encoding="utf-8")


def committed():
    """Run what waits for the transaction's commit (the e-mail): each test's transaction is rolled back."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def _events(report_id):
    from generator.web.models import Event

    return list(Event.objects.filter(report__report_id=report_id).order_by("id").values_list("kind", flat=True))


@pytest.fixture(autouse=True)
def empty_outbox():
    from django.core import mail

    mail.outbox = []


@pytest.fixture
def owned_submitted(sources, accounts):
    """r01 (周文博's) made a submitted report, as the counselor would have submitted it."""
    path = sources / "2022" / "r01.md"
    path.write_text(path.read_text(encoding="utf-8").replace("status: 已审定", "status: 已提交", 1), encoding="utf-8")
    return "r01"


# --- the board --------------------------------------------------------------------------------------------

def test_the_boards_overview_is_the_one_the_volume_prints(client_as, sources):
    page = client_as("reviewer").get("/desk/").content.decode()
    sentence = re.search(r'id="overview-sentence">(.*?)<', page).group(1)
    config = generator.load_config(PROJECT / "reportgen.toml")
    registry = generator.load_registry(config.registry_path)
    from generator.read.registry import short_company_names
    from generator.render.volume_pdf import overview_sentence  # the volume's own sentence, for the comparison
    from generator.render.volume_plan import overview

    approved = [generator.parse_text(path.read_text(encoding="utf-8"), path=path, config=config)
                for path in sorted((sources / "2022").glob("*.md"))
                if not path.name.startswith("_") and "status: 已审定" in path.read_text(encoding="utf-8")]
    assert len(approved) == 25
    assert sentence == overview_sentence(overview(config, approved, short_company_names(registry)))
    assert "25" in sentence and "23" in sentence and "16" in sentence   # README: 25 reports, 16 companies, 23 counselors
    assert page.count("<tr data-report=") == 28


def test_the_board_filters_sorts_and_shows_coverage_and_who_has_not_submitted(client_as):
    reviewer = client_as("reviewer")
    page = reviewer.get("/desk/", {"status": "已提交"}).content.decode()
    assert re.findall(r'<tr data-report="(\w+)"', page) == ["r12", "r22"]
    page = reviewer.get("/desk/", {"sort": "id", "dir": "desc"}).content.decode()
    ids = re.findall(r'<tr data-report="(\w+)"', page)
    assert ids == sorted(ids, reverse=True)
    page = reviewer.get("/desk/", {"counselor": OWNER}).content.decode()
    assert "r01" in re.findall(r'<tr data-report="(\w+)"', page)
    page = reviewer.get("/desk/", {"q": "学习常态化"}).content.decode()
    assert re.findall(r'<tr data-report="(\w+)"', page) == ["r12"]
    assert 'id="coverage"' in page and 'class="matrix"' in page
    not_submitted = page[page.index('id="not-submitted"'):]
    assert "r27" in not_submitted   # the sample year's one draft, under each of its counselors
    assert reviewer.get("/desk/", {"sort": "nonsense"}).status_code == 200
    assert reviewer.get("/desk/", {"year": "abc"}).status_code == 404


def test_the_matrix_marks_a_company_without_reports(client_as, sources):
    registry = sources / "registry.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace(
        "companies:\n", "companies:\n  - name: 无报告西南水泥有限公司\n    short: 无报告公司\n", 1), encoding="utf-8")
    page = client_as("reviewer").get("/desk/").content.decode()
    assert '<tr class="gap"><th class="company">无报告西南水泥有限公司' in page
    assert "无报告西南水泥有限公司" in page[page.index('id="gaps"'):]


# --- review: comments, return, approve --------------------------------------------------------------------

def test_a_comment_follows_its_line_when_text_is_inserted_above(client_as, sources, owned_submitted):
    reviewer, owner = client_as("reviewer"), client_as("owner")
    text = _text(sources, "r01")
    number = next(index for index, line in enumerate(text.split("\n"), 1) if line.startswith("## 二、"))
    response = reviewer.post("/r/2022/r01/comments", {"body": "这一节请补充数据。", "first_line": number,
                                                      "last_line": number + 2, "base": _hash(sources, "r01")})
    assert response.status_code == 200
    [comment] = response.json()["comments"]
    assert (comment["first_line"], comment["last_line"], comment["state"]) == (number, number + 2, "same")

    # the counselor's editor asks where the comments are in the text as typed: three lines added above
    typed = text.replace("## 一、", "新增一行。\n\n新增又一行。\n\n## 一、", 1)
    placed = owner.post("/r/2022/r01/comments", {"text": typed}).json()["comments"]
    assert (placed[0]["first_line"], placed[0]["state"]) == (number + 4, "moved")
    assert typed.split("\n")[placed[0]["first_line"] - 1].startswith("## 二、")

    # resolved by the counselor, once; the timeline has the comment and its resolution
    assert client_as("other").post(f"/r/2022/r01/comments/{comment['id']}/resolve").status_code == 403
    assert owner.post(f"/r/2022/r01/comments/{comment['id']}/resolve").json()["comments"][0]["resolved"]
    assert owner.post(f"/r/2022/r01/comments/{comment['id']}/resolve").status_code == 200
    assert _events("r01").count("resolved") == 1 and "commented" in _events("r01")


def test_return_needs_a_comment_and_mails_the_counselors(client_as, sources, owned_submitted):
    from django.contrib.auth import get_user_model
    from django.core import mail

    owner_user = get_user_model().objects.get(username=OWNER)
    owner_user.email = "zhou@example.cn"
    owner_user.save()
    reviewer = client_as("reviewer")
    before = _text(sources, "r01")
    response = reviewer.post("/r/2022/r01/review/return", {"base": _hash(sources, "r01"), "comment": "  "})
    assert response.status_code == 400 and _text(sources, "r01") == before
    with committed():
        response = reviewer.post("/r/2022/r01/review/return", {"base": _hash(sources, "r01"),
                                                               "comment": "请补充第二节的数据。"})
    assert response.status_code == 302 and response["Location"] == "/r/2022/r01/review/?done=return"
    assert "status: 草稿" in _text(sources, "r01")
    assert _text(sources, "r01") == before.replace("status: 已提交", "status: 草稿", 1)   # nothing else changed
    [message] = mail.outbox
    assert message.to == ["zhou@example.cn"] and "r01" in message.subject and "请补充第二节的数据。" in message.body
    from generator.web.models import Revision, Transition

    moved = Transition.objects.get(report__report_id="r01")
    assert (moved.from_status, moved.to_status, moved.comment) == ("已提交", "草稿", "请补充第二节的数据。")
    assert moved.revision.kind == Revision.Kind.STATUS and moved.revision.author.username == "publicity"
    assert _events("r01")[-1] == "returned"


def test_approve_only_without_errors_and_only_what_was_seen(client_as, sources, owned_submitted):
    from django.core import mail

    reviewer = client_as("reviewer")
    path = sources / "2022" / "r01.md"
    good = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^theme: .*$", "theme: 党建+无此主题", good, count=1), encoding="utf-8")   # an error
    response = reviewer.post("/r/2022/r01/review/approve", {"base": _hash(sources, "r01")})
    assert response.status_code == 400 and "status: 已提交" in _text(sources, "r01")
    path.write_text(good, encoding="utf-8")
    stale = reviewer.post("/r/2022/r01/review/approve", {"base": "0" * 64})
    assert stale.status_code == 409 and "status: 已提交" in _text(sources, "r01")
    with committed() as callbacks:
        response = reviewer.post("/r/2022/r01/review/approve", {"base": _hash(sources, "r01")})
    assert response.status_code == 302 and "status: 已审定" in _text(sources, "r01") and len(callbacks) == 1
    assert mail.outbox == []                   # no one has an address: nothing sent, nothing failed
    again = reviewer.post("/r/2022/r01/review/approve", {"base": _hash(sources, "r01")})
    assert again.status_code == 400            # approved already
    kinds = _events("r01")
    assert kinds[-1] == "approved" and "refused" in kinds and kinds.count("approved") == 1


def test_submission_mails_the_reviewers(client_as, sources, accounts):
    from django.contrib.auth import get_user_model
    from django.core import mail

    reviewer = get_user_model().objects.get(username="publicity")
    reviewer.email = "xuanchuan@example.cn"
    reviewer.save()
    path = sources / "2022" / "r01.md"
    path.write_text(path.read_text(encoding="utf-8").replace("status: 已审定", "status: 草稿", 1), encoding="utf-8")
    with committed():
        response = client_as("owner").post("/r/2022/r01/submit", {"base": _hash(sources, "r01")})
    assert response.status_code == 200 and "status: 已提交" in _text(sources, "r01")
    [message] = mail.outbox
    assert message.to == ["xuanchuan@example.cn"] and "/r/2022/r01/review/" in message.body
    assert _events("r01")[-1] == "submitted"


def test_two_reviewers_at_once_end_in_one_state_with_both_in_the_timeline(client_as, sources, owned_submitted):
    """Both open the review page (the same version), one approves, the other returns: the second is refused,
    the file has the first one's state, and the timeline holds the approval and the refused return."""
    from django.contrib.auth import get_user_model

    from generator.web.users import add_user

    add_user("publicity2", role="reviewer", password="x" * 12)
    first, second = client_as("reviewer"), client_as(None)
    second.force_login(get_user_model().objects.get(username="publicity2"))
    seen = []
    for client in (first, second):
        page = client.get("/r/2022/r01/review/").content.decode()
        seen.append(re.search(r'name="base" value="(\w+)"', page).group(1))
    assert seen[0] == seen[1]
    assert first.post("/r/2022/r01/review/approve", {"base": seen[0]}).status_code == 302
    refused = second.post("/r/2022/r01/review/return", {"base": seen[1], "comment": "退回修改"})
    assert refused.status_code == 409
    assert "publicity" in refused.content.decode() and "已审定" in refused.content.decode()
    assert "status: 已审定" in _text(sources, "r01")
    from generator.web.models import Event, Transition

    assert [(item.from_status, item.to_status) for item in Transition.objects.filter(report__report_id="r01")] == [
        ("已提交", "已审定")]
    kinds = [(event.kind, event.actor.username) for event in Event.objects.filter(
        report__report_id="r01", kind__in=["approved", "refused"]).order_by("id")]
    assert kinds == [("approved", "publicity"), ("refused", "publicity2")]
    timeline = first.get("/r/2022/r01/timeline/").content.decode()
    assert 'data-kind="approved"' in timeline and 'data-kind="refused"' in timeline


def test_a_counselor_saving_while_a_reviewer_approves_is_refused_and_keeps_the_text(client_as, sources,
                                                                                   owned_submitted):
    owner, reviewer = client_as("owner"), client_as("reviewer")
    base = _hash(sources, "r01")
    assert owner.get("/r/2022/r01/").status_code == 200          # the counselor's editor opened at `base`
    assert reviewer.post("/r/2022/r01/review/approve", {"base": base}).status_code == 302
    mine = _text(sources, "r01").replace("status: 已审定", "status: 已提交") + "\n补充一段。\n"
    response = owner.post("/r/2022/r01/save", {"text": mine, "base": base})
    assert response.status_code == 409
    answer = response.json()
    assert answer["mine"] == mine and "publicity" in answer["message"] and "已审定" in answer["message"]
    assert "status: 已审定" in _text(sources, "r01") and "补充一段" not in _text(sources, "r01")


def test_reviewers_change_no_text_unless_given_the_permission(client_as, sources, accounts):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    reviewer = client_as("reviewer")
    text = _text(sources, "r01") + "\n宣传部补充。\n"
    assert reviewer.post("/r/2022/r01/save", {"text": text, "base": _hash(sources, "r01")}).status_code == 403
    user = get_user_model().objects.get(username="publicity")
    user.user_permissions.add(Permission.objects.get(codename="edit_counselor_text"))
    reviewer = client_as("reviewer")
    response = reviewer.post("/r/2022/r01/save", {"text": text, "base": _hash(sources, "r01")})
    assert response.status_code == 200 and _text(sources, "r01") == text
    assert _events("r01")[-1] == "saved"
    assert reviewer.post("/r/2022/r01/submit", {"base": _hash(sources, "r01")}).status_code == 403


def test_the_audit_log_filters_and_exports_csv(client_as, sources, owned_submitted):
    reviewer, admin = client_as("reviewer"), client_as("admin")
    reviewer.post("/r/2022/r01/comments", {"body": "第一条意见", "first_line": 3, "last_line": 3,
                                           "base": _hash(sources, "r01")})
    reviewer.post("/r/2022/r01/review/approve", {"base": _hash(sources, "r01")})
    page = admin.get("/desk/audit/", {"kind": "approved"}).content.decode()
    assert re.findall(r'<tr data-kind="(\w+)"', page) == ["approved"]
    response = admin.get("/desk/audit/", {"report": "r01", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "time", "user", "action"]
    assert {row[3] for row in rows[1:]} >= {"commented", "approved"}
    assert any(row[8] == "第一条意见" for row in rows[1:])
    assert admin.get("/desk/audit/", {"since": "not-a-date"}).status_code == 200


def test_transitions_and_events_are_append_only(client_as, sources, owned_submitted):
    from generator.web.models import Event, Transition

    client_as("reviewer").post("/r/2022/r01/review/approve", {"base": _hash(sources, "r01")})
    for model in (Transition, Event):
        row = model.objects.filter(report__report_id="r01").last()
        with pytest.raises(ValueError):
            row.save()
        with pytest.raises(ValueError):
            row.delete()


def test_the_desk_pages_are_chinese_by_default_and_english_on_request(client_as):
    reviewer = client_as("reviewer")
    assert "年度看板" in reviewer.get("/desk/").content.decode()
    reviewer.cookies["reportgen_lang"] = "en"
    assert "The year's board" in reviewer.get("/desk/").content.decode()
