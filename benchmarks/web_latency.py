"""Benchmark: the web workspace's live diagnostics and preview latency, with 1 and 10 simultaneous editors.

A copy of the project is served by `reportgen serve` (gunicorn, the warm renderer pool) on 127.0.0.1 and a free
port; each editor is a logged-in session of its own (one counselor account each) that sends, one after another,
CHECKS diagnostics requests (the text of r01 with one character changed each time, as typing does) and PREVIEWS
preview requests (the PDF rendered, the cursor's page rasterised). Every request goes to 127.0.0.1 only; the
counts are bounded and the whole run stops after DEADLINE seconds whatever happens. Prints median and 95th
percentile per kind and number of editors.
Usage: python benchmarks/web_latency.py   (BENCH_CHECKS, BENCH_PREVIEWS override the counts per editor)
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.web_live.live_server import REPORTGEN, ServerDidNotStart, project_environment, running_server  # noqa: E402

CHECKS = int(os.environ.get("BENCH_CHECKS", "20"))
PREVIEWS = int(os.environ.get("BENCH_PREVIEWS", "3"))
DEADLINE = 600
PASSWORD = "bench-password-2022"


class Editor:
    """One browser's session: logged in, holding the page's CSRF token."""

    def __init__(self, url: str, name: str):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(url + "/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        self.post("/login/", {"csrfmiddlewaretoken": token, "username": name, "password": PASSWORD}, token=None)
        page = self.opener.open(url + "/r/2022/r01/", timeout=30).read().decode()
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def post(self, path: str, fields: dict, token: str | None = "") -> bytes:
        headers = {"Referer": self.url + "/"}
        if token is not None:
            headers["X-CSRFToken"] = token or self.token
        request = urllib.request.Request(self.url + path, urllib.parse.urlencode(fields).encode(), headers=headers)
        return self.opener.open(request, timeout=120).read()


def run_editors(url: str, names: list[str], text: str, deadline: float) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"check": [], "preview": []}
    lock = threading.Lock()

    def editor(name: str, index: int):
        session = Editor(url, name)
        for number in range(CHECKS):
            if time.monotonic() > deadline:
                return
            typed = text + "\n补" + "充" * (number + index)   # a keystroke more each time
            start = time.perf_counter()
            session.post("/r/2022/r01/check", {"text": typed})
            with lock:
                timings["check"].append(time.perf_counter() - start)
        for number in range(PREVIEWS):
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            session.post("/r/2022/r01/preview", {"text": text + "\n补充" * (number + 1), "line": "40"})
            with lock:
                timings["preview"].append(time.perf_counter() - start)

    threads = [threading.Thread(target=editor, args=(name, index)) for index, name in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(1.0, deadline - time.monotonic()))
    return timings


def describe(values: list[float]) -> str:
    if not values:
        return "no requests"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:6.0f} ms   p95 {p95 * 1000:6.0f} ms   n={len(ordered)}"


def main() -> int:
    deadline = time.monotonic() + DEADLINE
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-web-") as directory:
        root = Path(directory) / "project"
        root.mkdir()
        shutil.copy(REPO / "reportgen.toml", root)
        shutil.copytree(REPO / "templates", root / "templates")
        shutil.copytree(REPO / "reports_src", root / "reports_src", ignore=shutil.ignore_patterns("*.bak*", ".*"))
        # r01 names 周文博 and 郑德华; the others get admin accounts, which may edit every draft
        env = project_environment()
        names = [f"bench{index}" for index in range(10)]
        for name in names:
            subprocess.run([*REPORTGEN, "users", "add", name, "--role", "admin", "--password", PASSWORD], cwd=root,
                           env=env, check=True, capture_output=True)
        try:
            with running_server(root, env, timeout=max(1.0, deadline - time.monotonic())) as url:
                text = (root / "reports_src" / "2022" / "r01.md").read_text(encoding="utf-8")
                print(f"reportgen serve on {url}: r01 ({len(text)} characters), {os.cpu_count()} cores")
                for editors in (1, 10):
                    timings = run_editors(url, names[:editors], text, deadline)
                    for kind in ("check", "preview"):
                        print(f"{editors:2d} editor(s)  {kind:<8} {describe(timings[kind])}")
        except ServerDidNotStart:
            print("the server did not start", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
