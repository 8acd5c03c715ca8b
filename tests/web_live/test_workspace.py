"""The workspace in a real browser (headless Chromium, Debian's, driven by Playwright) against the real server
(`reportgen serve`, gunicorn): a counselor logs in, creates a report, types a mistake and sees its marker at the
right line, applies the fix, types Chinese through IME composition, sees the preview change, uploads an image and
submits; a second counselor is refused the report. Screenshots go to test-artifacts/web/."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .live_server import CHROMIUM, REPORTGEN, ServerDidNotStart, project_environment, running_server

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"
PASSWORD = "demo-password-2022"
OWNER, OTHER = "周文博", "王建国"

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser") / "project"
    root.mkdir()
    shutil.copy(REPO / "reportgen.toml", root)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "reports_src", root / "reports_src", ignore=shutil.ignore_patterns("*.bak*", ".*"))
    env = project_environment(REPORTGEN_PREVIEW_WORKERS="1")
    try:
        with running_server(root, env, log=root / "server.log") as url:
            assert (root / ".reportgen" / "web.sqlite3").is_file()    # created and migrated by the first start
            subprocess.run([*REPORTGEN, "users", "import", "--password", PASSWORD], cwd=root, env=env, check=True,
                           capture_output=True)
            yield url, root
    except ServerDidNotStart as error:
        pytest.fail(f"the server did not start: {error}")


def _login(page, url, name):
    page.goto(url + "/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_url(url + "/")


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def _doc(page) -> str:
    return page.evaluate("window.reportEditor.state.doc.toString()")


def _line_of(page, needle: str) -> int:
    return next(number for number, line in enumerate(_doc(page).split("\n"), start=1) if needle in line)


def _move_to_end_of_line(page, number: int):
    page.evaluate("""(number) => { const view = window.reportEditor; const line = view.state.doc.line(number);
        view.dispatch({selection: {anchor: line.to}}); view.focus(); }""", number)


def test_the_server_is_gunicorn_on_the_loopback_address_with_hardened_headers(server):
    url, _root = server
    response = urllib.request.urlopen(url + "/login/", timeout=10)
    assert response.headers["Server"].startswith("gunicorn")
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]
    static = urllib.request.urlopen(url + "/static/workspace/vendor/editor.bundle.js", timeout=10)
    assert static.status == 200 and b"EditorView" in static.read()   # WhiteNoise serves the committed bundle


def test_a_counselor_writes_checks_previews_and_submits_a_report(server, browser):
    url, root = server
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _login(page, url, OWNER)
    assert "我的报告" in page.content()
    _shot(page, "01-my-reports")

    page.click("text=新建报告")
    page.fill("input[name=year]", "2022")
    page.fill("input[name=report_id]", "r90")
    page.select_option("select[name=company]", "云岭西南水泥有限公司")
    page.select_option("select[name=theme]", "党建+安全生产")
    page.click("#new-report button[type=submit]")
    page.wait_for_url(url + "/r/2022/r90/")
    page.wait_for_selector(".cm-content")
    assert (root / "reports_src" / "2022" / "r90.md").is_file()

    # a mistake: a half-width comma between Chinese characters, typed at the end of a body line
    number = _line_of(page, "## 一、")
    _move_to_end_of_line(page, number + 2)
    page.keyboard.type("安全生产,责任落实")
    marker = page.wait_for_selector(f".diagnostic[data-code=TXT403][data-line='{number + 2}']", timeout=5000)
    page.wait_for_selector(".cm-lint-marker-warning, .cm-lint-marker-error", state="attached")   # the gutter
    assert page.locator(".cm-lintRange").count() >= 1            # underlined under the line
    _shot(page, "02-marker")
    marker.query_selector("button.fix").click()
    page.wait_for_function("() => !window.reportEditor.state.doc.toString().includes('安全生产,责任')")
    assert "安全生产，责任落实" in _doc(page)
    page.wait_for_selector(f".diagnostic[data-code=TXT403][data-line='{number + 2}']", state="detached")

    # Chinese through IME composition: lint results arriving meanwhile are held, never shown mid-composition
    _move_to_end_of_line(page, number + 2)
    cdp = context.new_cdp_session(page)
    before = page.evaluate("window.reportEditorStats.lintUpdates")
    cdp.send("Input.imeSetComposition", {"text": "d", "selectionStart": 1, "selectionEnd": 1})
    cdp.send("Input.imeSetComposition", {"text": "dang", "selectionStart": 4, "selectionEnd": 4})
    assert page.evaluate("window.reportEditor.composing") is True
    time.sleep(0.8)    # longer than the diagnostics' debounce and round trip
    cdp.send("Input.imeSetComposition", {"text": "dangjian", "selectionStart": 8, "selectionEnd": 8})
    assert page.evaluate("window.reportEditor.composing") is True
    cdp.send("Input.insertText", {"text": "党建引领"})
    page.wait_for_function("() => !window.reportEditor.composing")
    stats = page.evaluate("window.reportEditorStats")
    assert stats["lintUpdatesDuringComposition"] == 0
    assert "安全生产，责任落实党建引领" in _doc(page) and "dang" not in _doc(page)
    page.wait_for_function("(before) => window.reportEditorStats.lintUpdates > before", arg=before)   # checked after it ended

    # the preview: the real PDF's page that holds the cursor; a long addition makes it another page
    page.wait_for_selector("#preview[data-page]", timeout=20000)
    pages_before = int(page.get_attribute("#preview", "data-pages"))
    last = len(_doc(page).split("\n"))
    _move_to_end_of_line(page, last)
    addition = "\n\n" + "\n\n".join("补充说明第{}段：辅导组深入班组开展安全生产责任落实调研，逐项梳理问题清单并推动整改闭环。"
                                    .format(index) * 3 for index in range(1, 40)) + "\n"
    page.evaluate("(text) => { const view = window.reportEditor; const end = view.state.doc.length;"
                  " view.dispatch({changes: {from: end, insert: text}, selection: {anchor: end + text.length}}); }",
                  addition)
    page.wait_for_function("(before) => Number(document.getElementById('preview').dataset.pages) > before",
                           arg=pages_before, timeout=30000)
    page.wait_for_function("() => document.getElementById('preview').dataset.page ==="
                           " document.getElementById('preview').dataset.pages", timeout=30000)
    _shot(page, "03-preview")

    # an image: uploaded, named safely, its Markdown inserted at the cursor
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (179, 38, 30)).save(buffer, "PNG")
    page.set_input_files("#image", files=[{"name": "安全 图.png", "mimeType": "image/png", "buffer": buffer.getvalue()}])
    page.wait_for_function("() => window.reportEditor.state.doc.toString().includes('](assets/r90-')")
    assert list((root / "reports_src" / "2022" / "assets").glob("r90-*.png"))

    # submit: refused while `check` reports errors (the scaffold's placeholders), accepted once there are none
    page.click("#save")
    page.wait_for_selector("#save-state:has-text('已保存')")
    page.click("#submit")
    page.wait_for_selector("#message.error")
    assert "错误" in page.inner_text("#message")
    _shot(page, "04-submit-refused")
    valid = (root / "reports_src" / "2022" / "r01.md").read_text(encoding="utf-8").replace(
        "status: 已审定", "status: 草稿", 1)
    page.evaluate("(text) => { const view = window.reportEditor;"
                  " view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: text}}); }", valid)
    page.wait_for_function("() => document.getElementById('workspace').dataset.errors === '0'", timeout=10000)
    page.click("#submit")
    page.wait_for_selector("#status-field:has-text('已提交')", timeout=15000)
    assert "status: 已提交" in (root / "reports_src" / "2022" / "r90.md").read_text(encoding="utf-8")
    _shot(page, "05-submitted")
    refusal = "the server responded with a status of 400"   # the refused submission above, by design
    assert [error for error in errors if refusal not in error] == [], "\n".join(errors)
    context.close()

    # a second counselor is refused that report, and does not see it in their list
    other = browser.new_context(locale="zh-CN")
    page = other.new_page()
    _login(page, url, OTHER)
    assert "r90" not in page.inner_text("table.reports")
    response = page.goto(url + "/r/2022/r90/")
    assert response.status == 403
    _shot(page, "06-refused")
    other.close()
