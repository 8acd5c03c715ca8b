"""The publicity desk's full cycle in a real browser (headless Chromium, Debian's, driven by Playwright) against the
real server (`reportgen serve`, gunicorn), ending in issue 17's compile: a counselor submits; the reviewer comments
on line N and returns the report; the counselor sees the comment at line N, fixes the line and submits again; the
reviewer approves, compiles the year's volume (the real build, its progress shown live) and downloads it; the
downloaded PDF's table of contents gives the report's title the page where the report starts.

The project is small (four sample drafts and the counselor's) to keep the build short. Screenshots go to
test-artifacts/web/ (compile-*.png)."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from ..helpers import corpus_project, volume_toc_and_start
from . import desk_flow as flow
from .live_server import REPORTGEN, ServerDidNotStart, project_environment, running_server
from .test_workspace import ARTIFACTS, CHROMIUM, PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)")

COUNSELOR = "黄海涛"          # r27 names him alone; it is a draft (草稿) in the sample
REVIEWER = "publicity"
REPORT = "r27"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = corpus_project(tmp_path_factory.mktemp("compile"), ["r01", "r03", "r05", "r08", REPORT])
    env = project_environment(REPORTGEN_PREVIEW_WORKERS="1")
    try:
        with running_server(root, env, log=root / "server.log") as url:
            subprocess.run([*REPORTGEN, "users", "import", "--password", PASSWORD], cwd=root, env=env, check=True,
                           capture_output=True)
            subprocess.run([*REPORTGEN, "users", "add", REVIEWER, "--role", "reviewer", "--password", PASSWORD],
                           cwd=root, env=env, check=True, capture_output=True)
            yield url, root
    except ServerDidNotStart as error:
        pytest.fail(f"the server did not start: {error}")


def _as(browser, url, name, errors):
    """A new browser context logged in as `name`, its page's script errors collected in `errors`."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{name}: {error}"))
    page.goto(url + "/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_url(url + "/")
    return context, page


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _status(root) -> str:
    return re.search(r"^status: (.*)$", (root / "reports_src" / "2022" / f"{REPORT}.md").read_text(encoding="utf-8"),
                     re.M).group(1)


def reviewer_compiles_and_downloads(page, url: str, root: Path, year: int, report_id: str) -> bytes:
    """From any page: the nav's 汇编, the year, 汇编; the progress shown live report by report (screenshot while it
    runs); the finished page; the volume PDF downloaded with its Chinese name. Returns the PDF's bytes."""
    page.click("nav a[href='/compile/']")
    page.click(f"text={year}年度成果汇编")
    _shot(page, "compile-01-year")
    page.click("#compile")
    page.wait_for_url(re.compile(rf".*/compile/{year}/{year}-[0-9T]+-[0-9a-f]+/$"))
    page.wait_for_selector("#compile-steps li", timeout=120000)
    seen_running = page.locator("#compile-steps li").count()
    if page.get_attribute("#compile-job", "data-state") == "building":
        _shot(page, "compile-02-progress")
    page.wait_for_selector("#downloads", timeout=300000)
    steps = page.eval_on_selector_all("#compile-steps li", "items => items.map(item => item.dataset.step)")
    assert seen_running < len(steps) and steps[-1] == f"{year}年度汇编"   # seen while it ran, then all of them
    assert report_id in steps and _title(root, year, report_id) in page.inner_text(
        f"#compile-steps li[data-step='{report_id}']")
    assert "已完成。" in page.inner_text("#compile-state")
    _shot(page, "compile-03-finished")
    with page.expect_download() as waiting:
        page.click("#download-volume-pdf")
    download = waiting.value
    assert download.suggested_filename == f"{year}年度成果汇编.pdf"
    saved = ARTIFACTS / "compile-volume.pdf"
    download.save_as(saved)
    return saved.read_bytes()


def _title(root: Path, year: int, report_id: str) -> str:
    text = (root / "reports_src" / str(year) / f"{report_id}.md").read_text(encoding="utf-8")
    return re.search(r"^title: (.*)$", text, re.M).group(1)


def _start_page(root: Path, report_id: str) -> int:
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    return next(entry["start_page"] for entry in manifest["volumes"][0]["reports"] if entry["id"] == report_id)


def test_submit_comment_return_fix_resubmit_approve_compile_and_download(server, browser):
    """The whole cycle, the steps up to approval being the desk's (`desk_flow`), then the compile."""
    url, root = server
    errors: list[str] = []
    draft = root / "reports_src" / "2022" / f"{REPORT}.md"
    counselor_context, counselor = _as(browser, url, COUNSELOR, errors)
    reviewer_context, reviewer = _as(browser, url, REVIEWER, errors)

    flow.counselor_submits(counselor, url, 2022, REPORT)
    assert _status(root) == "已提交"
    flow.reviewer_opens_review(reviewer, url, 2022, REPORT)
    number = flow.line_of(reviewer, "## 二、") + 2            # line N: a body line of the second section
    flow.reviewer_comments(reviewer, number, number, "这一段请补充整改前后的对比数据。")
    flow.reviewer_returns(reviewer, "请按行内意见补充数据后再提交。")
    assert _status(root) == "草稿"
    flow.counselor_sees_comment_at_line(counselor, url, 2022, REPORT, number, "这一段请补充整改前后的对比数据。")
    _shot(counselor, "compile-00-comment-at-line-n")
    flow.counselor_fixes_resolves_and_resubmits(counselor, number, "整改后，相关指标较上年明显改善。")
    assert draft.read_text(encoding="utf-8").split("\n")[number - 1].endswith("整改后，相关指标较上年明显改善。")
    assert _status(root) == "已提交"
    flow.reviewer_opens_review(reviewer, url, 2022, REPORT)
    flow.reviewer_approves(reviewer)
    assert _status(root) == "已审定"

    data = reviewer_compiles_and_downloads(reviewer, url, root, 2022, REPORT)
    start = _start_page(root, REPORT)
    assert volume_toc_and_start(data, _title(root, 2022, REPORT)) == (start, start)
    assert data == (root / "output" / "2022" / "volume.pdf").read_bytes()
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))
    assert "整改后，相关指标较上年明显改善。" in text           # the fixed text is what was compiled

    # the counselor is refused the compile pages and has no menu entry for them
    assert "/compile/" not in counselor.inner_html("nav")
    assert counselor.goto(url + "/compile/2022/").status == 403
    assert errors == [], "\n".join(errors)
    counselor_context.close()
    reviewer_context.close()


def test_while_the_nightly_build_holds_the_lock_the_page_says_so_and_waits(server, browser):
    import fcntl

    url, root = server
    errors: list[str] = []
    context, page = _as(browser, url, REVIEWER, errors)
    (root / "output").mkdir(exist_ok=True)
    with (root / "output" / ".reportgen.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)   # as `reportgen build` holds it
        page.goto(url + "/compile/2022/")   # the year's page says so before anything is pressed
        assert "另一个构建" in page.inner_text("#build-busy") and "待其结束后汇编" in page.inner_text("#compile")
        _shot(page, "compile-04-locked")
        page.click("#compile")
        page.wait_for_selector("#compile-job[data-state=waiting]", timeout=60000)
        assert "另一个构建" in page.inner_text("#compile-message")
        _shot(page, "compile-05-waiting")
        fcntl.flock(lock, fcntl.LOCK_UN)
    page.wait_for_selector("#downloads", timeout=300000)
    assert "已完成。" in page.inner_text("#compile-state")
    assert errors == [], "\n".join(errors)
    context.close()
