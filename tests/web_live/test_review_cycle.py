"""The review cycle in a real browser against `reportgen serve` (issue 17): a counselor submits, a reviewer sees
it on the board, comments on line N and returns it, the counselor sees the comment at line N, adds text above
it (the comment follows), fixes, resolves and resubmits, the reviewer approves; the timeline holds every step.
The compile step (issue 17's other half) appends to `test_the_review_cycle_up_to_approval` with the same helpers.
Screenshots of the board and the review page go to test-artifacts/web/."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from . import desk_flow as flow
from .test_workspace import CHROMIUM, PASSWORD, server  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)")

COUNSELOR, REVIEWER, YEAR, REPORT = "黄海涛", "publicity", 2022, "r27"   # r27: the sample year's one draft


@pytest.fixture(scope="module")
def reviewer_account(server):  # noqa: F811
    _url, root = server
    env = {key: value for key, value in os.environ.items()
           if key not in ("REPORTGEN_CONFIG", "REPORTGEN_STATE_DIR", "DJANGO_SETTINGS_MODULE")}
    subprocess.run([sys.executable, "-m", "generator", "users", "add", REVIEWER, "--role", "reviewer",
                    "--password", PASSWORD], cwd=root, env=env, check=True, capture_output=True)
    return REVIEWER


def test_the_review_cycle_up_to_approval(server, browser, reviewer_account):  # noqa: F811
    url, root = server
    draft = root / "reports_src" / str(YEAR) / f"{REPORT}.md"
    errors: list[str] = []

    def person(name):
        context = browser.new_context(viewport={"width": 1440, "height": 950}, locale="zh-CN")
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        flow.login(page, url, name, PASSWORD)
        return context, page

    counselor_context, counselor = person(COUNSELOR)
    reviewer_context, reviewer = person(reviewer_account)

    flow.counselor_submits(counselor, url, YEAR, REPORT)
    assert "status: 已提交" in draft.read_text(encoding="utf-8")

    flow.reviewer_opens_board(reviewer, url, YEAR)
    row = reviewer.locator(f"#board tr[data-report='{REPORT}']")
    assert row.get_attribute("data-status") == "已提交"
    assert "黄海涛" in row.inner_text()
    assert re.search(r"\d+位党建辅导员", reviewer.inner_text("#overview-sentence"))
    flow.shot(reviewer, "10-desk-board")
    reviewer.evaluate("document.getElementById('coverage').scrollIntoView()")
    flow.shot(reviewer, "11-desk-coverage")

    flow.reviewer_opens_review(reviewer, url, YEAR, REPORT)
    number = flow.line_of(reviewer, "## 二、") + 2          # a body line of the second section
    flow.reviewer_comments(reviewer, number, number, "这一段请补充整改前后的对比数据。")
    flow.wait_for_preview(reviewer)
    assert int(reviewer.get_attribute("#preview", "data-page")) >= 2   # the page of line N, not the title page
    reviewer.wait_for_selector(".cm-lint-marker-info", state="attached")
    flow.shot(reviewer, "12-desk-review")
    flow.reviewer_returns(reviewer, "请按行内意见补充数据后再提交。")
    assert "status: 草稿" in draft.read_text(encoding="utf-8")

    flow.counselor_sees_comment_at_line(counselor, url, YEAR, REPORT, number, "这一段请补充整改前后的对比数据。")
    assert "请按行内意见补充数据后再提交。" in counselor.inner_text("#returned")
    flow.wait_for_preview(counselor)
    flow.shot(counselor, "13-desk-comment-in-editor")
    moved = flow.counselor_inserts_above_and_sees_comment_move(counselor, flow.line_of(counselor, "## 一、") + 2,
                                                               number, "辅导组补充说明一段背景。\n\n")
    assert moved == number + 2
    flow.counselor_fixes_resolves_and_resubmits(counselor, moved, "整改后，相关指标较上年明显改善。")
    text = draft.read_text(encoding="utf-8")
    assert "status: 已提交" in text and "整改后，相关指标较上年明显改善。" in text

    flow.reviewer_opens_review(reviewer, url, YEAR, REPORT)
    flow.reviewer_approves(reviewer)
    assert "status: 已审定" in draft.read_text(encoding="utf-8")
    flow.shot(reviewer, "14-desk-approved")

    reviewer.goto(f"{url}/r/{YEAR}/{REPORT}/timeline/")
    kinds = reviewer.eval_on_selector_all("#timeline li[data-kind]", "items => items.map(i => i.dataset.kind)")
    for kind in ("submitted", "commented", "returned", "resolved", "saved", "approved"):
        assert kind in kinds, kinds
    assert kinds.index("returned") < kinds.index("resolved") < kinds.index("approved")
    flow.shot(reviewer, "15-desk-timeline")
    assert errors == [], "\n".join(errors)
    counselor_context.close()
    reviewer_context.close()


def _base(session, year, report_id):
    status, page = session.get(f"/r/{year}/{report_id}/review/")
    assert status == 200
    return re.search(r'name="base" value="(\w+)"', page).group(1), page


def test_two_reviewers_at_the_same_moment_end_in_one_state_with_both_in_the_timeline(server, reviewer_account):  # noqa: F811
    """r12 (submitted): one reviewer approves while another returns it, both requests released together at the
    real server (gunicorn's threads, SQLite, the drafts' directory lock). One wins; the other is refused with
    the winner's action named; the file has the winner's state; the timeline has both."""
    url, root = server
    env = {key: value for key, value in os.environ.items()
           if key not in ("REPORTGEN_CONFIG", "REPORTGEN_STATE_DIR", "DJANGO_SETTINGS_MODULE")}
    subprocess.run([sys.executable, "-m", "generator", "users", "add", "publicity2", "--role", "reviewer",
                    "--password", PASSWORD], cwd=root, env=env, check=True, capture_output=True)
    first, second = flow.Session(url, reviewer_account, PASSWORD), flow.Session(url, "publicity2", PASSWORD)
    (base, page), (other_base, other_page) = _base(first, YEAR, "r12"), _base(second, YEAR, "r12")
    assert base == other_base and "已提交" in page
    approve, give_back = flow.at_once(
        lambda: first.post(f"/r/{YEAR}/r12/review/approve", {"base": base}, token_from=page),
        lambda: second.post(f"/r/{YEAR}/r12/review/return", {"base": base, "comment": "同时退回"},
                            token_from=other_page))
    statuses = sorted([approve[0], give_back[0]])
    assert statuses == [200, 409], (approve[0], give_back[0])   # the winner is redirected to the review page (200)
    text = (root / "reports_src" / str(YEAR) / "r12.md").read_text(encoding="utf-8")
    won_approval = approve[0] == 200
    assert ("status: 已审定" if won_approval else "status: 草稿") in text
    loser_page = give_back[1] if won_approval else approve[1]
    assert ("已审定" if won_approval else "草稿") in loser_page
    timeline = first.get(f"/r/{YEAR}/r12/timeline/")[1]
    kinds = re.findall(r'data-kind="(\w+)"', timeline)
    assert ("approved" if won_approval else "returned") in kinds and "refused" in kinds


def test_a_counselor_saving_while_a_reviewer_approves_loses_nothing(server, reviewer_account):  # noqa: F811
    """r22 (submitted, 何永红's): the counselor saves an edit at the moment a reviewer approves the version both
    opened. One of them is refused with a message saying what happened; the counselor's text comes back in the
    refusal (nothing lost), and the file is one of the two versions, whole."""
    url, root = server
    path = root / "reports_src" / str(YEAR) / "r22.md"
    reviewer, counselor = flow.Session(url, reviewer_account, PASSWORD), flow.Session(url, "何永红", PASSWORD)
    base, page = _base(reviewer, YEAR, "r22")
    counselor_page = counselor.get(f"/r/{YEAR}/r22/")[1]      # the editor open (its CSRF token at hand)
    original = path.read_text(encoding="utf-8")
    mine = original + "\n辅导员同时补充的一段。\n"
    approve, save = flow.at_once(
        lambda: reviewer.post(f"/r/{YEAR}/r22/review/approve", {"base": base}, token_from=page),
        lambda: counselor.post(f"/r/{YEAR}/r22/save", {"text": mine, "base": base}, token_from=counselor_page))
    assert sorted([approve[0], save[0]]) == [200, 409], (approve[0], save[0])
    now = path.read_text(encoding="utf-8")
    if approve[0] == 200:
        import json

        refusal = json.loads(save[1])
        assert refusal["mine"] == mine and "已审定" in refusal["message"] and reviewer_account in refusal["message"]
        assert now == original.replace("status: 已提交", "status: 已审定", 1)
    else:
        assert now == mine and "status: 已提交" in now
        assert "refused" in re.findall(r'data-kind="(\w+)"', reviewer.get(f"/r/{YEAR}/r22/timeline/")[1])
