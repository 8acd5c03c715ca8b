"""The warm renderer pool: previews and downloads are rendered by a few long-lived processes, each holding one
`generator.Renderer` (WeasyPrint, templates and fonts loaded once), never by a fresh Python per request.

The pool is started on first use in the serving process (spawned, so that no thread or lock of the server is
inherited) and lives as long as that process. A preview is the real PDF of the report — the bytes
`reportgen build` writes — and the PNG of the page that holds the cursor's paragraph."""

from __future__ import annotations

import atexit
import multiprocessing
import re
import subprocess
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_worker: dict = {}

PAGE_IMAGE_DPI = 80
WORDS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z]{4,}")   # runs of letters, as the PDF's text has them


def _start_worker(config_path: str | None, root: str) -> None:
    """In each pool process, once: the configuration and a warm renderer."""
    import generator

    config = generator.load_config(Path(config_path) if config_path else Path(root) / "reportgen.toml")
    _worker.update(config=config, renderer=generator.Renderer(config))
    from .i18n import current_language  # noqa: F401 - imported here, not per preview


def _render_in_worker(kind: str, text: str, path: str, cursor_line: int | None) -> dict:
    import generator

    config, renderer = _worker["config"], _worker["renderer"]
    document = generator.parse_text(text, path=Path(path), config=config)
    if kind == "docx":
        return {"data": renderer.docx(document).data}
    rendered = renderer.pdf(document)
    result = {"data": rendered.data, "pages": rendered.pages,
              "problems": [item.message for item in rendered.diagnostics]}
    if kind == "preview":
        with tempfile.TemporaryDirectory(prefix="reportgen-preview-") as directory:
            source = Path(directory) / "preview.pdf"
            source.write_bytes(rendered.data)
            page = _page_of_line(_page_texts(source), text, cursor_line) if cursor_line else 1
            result.update(page=page, image=_page_image(source, page))
    return result


def _page_texts(source: Path) -> list[str]:
    """Each page's text with every space removed (poppler's pdftotext: pages end with a form feed)."""
    output = subprocess.run(["pdftotext", "-enc", "UTF-8", str(source), "-"], check=True, timeout=30,
                            capture_output=True).stdout.decode("utf-8", errors="replace")
    return ["".join(page.split()) for page in output.split("\f")[:-1] or [output]]


def _page_of_line(pages: list[str], text: str, line: int) -> int:
    """The page that holds the paragraph of source line `line` (or, on a blank line, of the nearest line with
    text): the longest run of letters of that line found in a page's extracted text (spaces removed); among
    several pages holding it, the one nearest where the line lies in the text. The first page if none does."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return 1
    order = [line - 1, *range(line, min(line + 5, len(lines))), *range(line - 2, max(line - 8, -1), -1)]
    probe = ""
    for index in order:
        runs = WORDS.findall(lines[index])
        if runs:
            probe = max(runs, key=len)[:16]
            break
    if not probe:
        return 1
    holding = [number for number, page_text in enumerate(pages, start=1) if probe in page_text]
    if not holding:
        return 1
    estimate = 1 + (len(pages) - 1) * (line - 1) / max(len(lines) - 1, 1)
    return min(holding, key=lambda number: abs(number - estimate))


def _page_image(source: Path, page: int) -> bytes:
    """Page `page` of the PDF as a PNG (poppler's pdftoppm)."""
    target = source.with_name("page")
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(PAGE_IMAGE_DPI), "-png", "-singlefile",
                    str(source), str(target)], check=True, timeout=30, capture_output=True)
    return target.with_suffix(".png").read_bytes()


def executor() -> ProcessPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            from django.conf import settings

            config = settings.CONFIG
            _executor = ProcessPoolExecutor(
                max_workers=settings.PREVIEW_WORKERS, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(str(config.path) if config.path else None, str(config.root)))
            atexit.register(_executor.shutdown, wait=False, cancel_futures=True)
        return _executor


def warm() -> None:
    """Start every pool process now (the server does this at start, so the first preview is not slow)."""
    pool = executor()
    from django.conf import settings

    for future in [pool.submit(_ping) for _ in range(settings.PREVIEW_WORKERS)]:
        future.result(timeout=120)


def _ping() -> bool:
    return "renderer" in _worker


def render(kind: str, text: str, path: Path, *, cursor_line: int | None = None) -> dict:
    """Render `text` (the draft at `path`) in the pool: kind "pdf", "docx" or "preview"."""
    from django.conf import settings

    future = executor().submit(_render_in_worker, kind, text, str(path), cursor_line)
    return future.result(timeout=settings.PREVIEW_TIMEOUT)
