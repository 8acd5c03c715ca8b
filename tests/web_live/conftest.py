"""The live tests' shared browser: Debian's Chromium, headless, driven by Playwright, one per module."""

from __future__ import annotations

import pytest

from .live_server import CHROMIUM


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield instance
        instance.close()
