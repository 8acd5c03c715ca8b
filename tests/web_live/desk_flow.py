"""Steps of the review cycle in a real browser, as reusable functions (issue 17): each takes a Playwright page
logged in as the right person and the server's URL, does one step as a person would (clicks, typing, the
CodeMirror view only for selecting lines), and checks what that person sees afterwards. The full-cycle test
(tests/web_live/test_review_cycle.py) chains them; the compile step appends to the same chain."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def login(page, url: str, name: str, password: str) -> None:
    page.goto(url + "/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("#login button[type=submit]")
    page.wait_for_url(url + "/")


def doc(page) -> str:
    return page.evaluate("window.reportEditor.state.doc.toString()")


def line_of(page, needle: str) -> int:
    """The number of the first line of the editor's text containing `needle`."""
    return next(number for number, line in enumerate(doc(page).split("\n"), start=1) if needle in line)


def select_lines(page, first: int, last: int) -> None:
    """Select lines first..last in the CodeMirror view, as a drag over them would."""
    page.evaluate("""([first, last]) => { const view = window.reportEditor;
        view.dispatch({selection: {anchor: view.state.doc.line(first).from, head: view.state.doc.line(last).to},
                       scrollIntoView: true});
        view.focus(); }""", [first, last])


def counselor_submits(page, url: str, year: int, report_id: str) -> None:
    page.goto(f"{url}/r/{year}/{report_id}/")
    page.wait_for_selector(".cm-content")
    page.wait_for_function("() => document.getElementById('workspace').dataset.errors === '0'", timeout=15000)
    page.click("#submit")
    page.wait_for_selector("#status-field:has-text('已提交')", timeout=15000)


def reviewer_opens_board(page, url: str, year: int) -> None:
    page.goto(f"{url}/desk/?year={year}")
    page.wait_for_selector("#board")


def reviewer_opens_review(page, url: str, year: int, report_id: str) -> None:
    page.goto(f"{url}/r/{year}/{report_id}/review/")
    page.wait_for_selector("#review .cm-content")
    page.wait_for_selector("#review[data-comment-count]")          # the comments have been loaded and shown


def reviewer_comments(page, first: int, last: int, body: str) -> None:
    """On the open review page: select lines first..last, write `body`, add it; it is listed at those lines."""
    before = int(page.get_attribute("#review", "data-comment-count") or 0)
    select_lines(page, first, last)
    assert page.input_value("#comment-first") == str(first) and page.input_value("#comment-last") == str(last)
    page.fill("#comment-body", body)
    page.click("#comment-add")
    page.wait_for_function("(before) => Number(document.getElementById('review').dataset.commentCount) > before",
                           arg=before)
    page.wait_for_selector(f"#comments li.comment[data-line='{first}'][data-last-line='{last}']")


def wait_for_preview(page) -> None:
    """The preview shows the page of the cursor's line and no render is under way."""
    page.wait_for_selector("#preview[data-page]", timeout=30000)
    page.wait_for_function("() => /\\d/.test(document.getElementById('preview-state').textContent)", timeout=30000)


def reviewer_returns(page, comment: str) -> None:
    page.fill("#return-form textarea[name=comment]", comment)
    page.click("#return")
    page.wait_for_selector("#status-field:has-text('草稿')")


def reviewer_approves(page) -> None:
    page.click("#approve")
    page.wait_for_selector("#status-field:has-text('已审定')")


def counselor_sees_comment_at_line(page, url: str, year: int, report_id: str, line: int, body: str) -> None:
    """The editor lists the comment at `line` and marks that line in CodeMirror (gutter and underline)."""
    page.goto(f"{url}/r/{year}/{report_id}/")
    page.wait_for_selector(".cm-content")
    entry = page.wait_for_selector(f"#comments li.comment[data-line='{line}']", timeout=15000)
    assert body in entry.inner_text()
    entry.query_selector("a.place").click()          # the editor scrolls to the comment's line
    page.wait_for_selector(".cm-lint-marker-info", state="attached")
    assert page.locator(".cm-lintRange-info").count() >= 1


def counselor_inserts_above_and_sees_comment_move(page, before_line: int, comment_line: int, text: str) -> int:
    """Insert `text` (whole lines) before `before_line`; the comment follows its text. Returns its new line."""
    added = text.count("\n")
    page.evaluate("""([number, text]) => { const view = window.reportEditor; const at = view.state.doc.line(number).from;
        view.dispatch({changes: {from: at, insert: text}}); }""", [before_line, text])
    moved = comment_line + added
    page.wait_for_selector(f"#comments li.comment[data-line='{moved}']", timeout=15000)
    return moved


def counselor_fixes_resolves_and_resubmits(page, line: int, addition: str) -> None:
    """Add `addition` to the end of `line`, resolve the comment there, save and submit again."""
    page.evaluate("""(number) => { const view = window.reportEditor; const line = view.state.doc.line(number);
        view.dispatch({selection: {anchor: line.to}}); view.focus(); }""", line)
    page.keyboard.type(addition)
    page.click(f"#comments li.comment[data-line='{line}'] button.resolve")
    page.wait_for_selector(f"#comments li.comment.resolved[data-line='{line}']", timeout=15000)
    page.click("#save")
    page.wait_for_selector("#save-state:has-text('已保存')")
    page.wait_for_function("() => document.getElementById('workspace').dataset.errors === '0'", timeout=15000)
    page.click("#submit")
    page.wait_for_selector("#status-field:has-text('已提交')", timeout=15000)


# --- plain HTTP sessions, for requests that must leave at the same moment (no browser can) ---------------------

class Session:
    """A logged-in HTTP session (cookies, CSRF token) against the server, with urllib only."""

    def __init__(self, url: str, name: str, password: str):
        import http.cookiejar
        import urllib.request

        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.get("/login/")[1]
        self.post("/login/", {"username": name, "password": password, "next": "/"}, token_from=page)
        assert any(cookie.name == "sessionid" for cookie in self.jar), f"{name} could not log in"

    def get(self, path: str) -> tuple[int, str]:
        import urllib.error

        try:
            with self.opener.open(self.url + path, timeout=60) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def post(self, path: str, fields: dict, *, token_from: str | None = None) -> tuple[int, str]:
        import re
        import urllib.error
        import urllib.parse
        import urllib.request

        token = re.search(r'name="csrf-token" content="([^"]+)"', token_from or self.get("/")[1]).group(1)
        request = urllib.request.Request(self.url + path, data=urllib.parse.urlencode(fields).encode(),
                                         headers={"X-CSRFToken": token, "Referer": self.url + path})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")


def at_once(*calls):
    """Run the calls in threads released together; their results in order."""
    import threading

    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results
