"""Benchmark: the hostile drafts of issue 20 at full size, each beside two sample drafts, through `check` and
`build`: the time and the peak memory (PSS of the whole process tree) of each, against the configured limits.

Rows: a draft that is a link to /dev/zero, a FIFO, a link to a file outside the project, an unreadable draft, a
link loop, 200,000 list items, 20,000 footnotes, 50,000 nested brackets, 20,000 lines of 12-deep quotes, a
10,000-character title, one 1 MB line, a NUL and a bidi override as YAML escapes in the title. Every build must
end by itself (exit 1: the hostile draft failed, the others were built), within the per-report time limit plus a
margin, and its memory within the worker limit.
Usage: python benchmarks/hostile.py   (`make bench` runs it)
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import REPO, timed  # noqa: E402 - the sampling of the sample year's benchmark

SAMPLES = ["r02", "r05"]


def _project(directory: Path, name: str) -> Path:
    sys.path.insert(0, str(REPO))
    from tests.helpers import corpus_project  # the sample project the tests make, with these drafts

    (directory / name).mkdir()
    return corpus_project(directory / name, SAMPLES)


def _base() -> str:
    return (REPO / "reports_src" / "2022" / "r13.md").read_text(encoding="utf-8")


def _with_body(extra: str) -> str:
    text = _base()
    anchor = text.index("\n## ", text.index("\n## ") + 1)
    return text[:anchor] + "\n\n" + extra + "\n" + text[anchor:]


def _with_title(title: str) -> str:
    text = _base()
    start = text.index("title:")
    end = text.index("\n", start)
    return text[:start] + f"title: {title}" + text[end:]


def rows(root: Path, outside: Path) -> dict[str, callable]:
    drafts = root / "reports_src" / "2022"
    target = drafts / "r13.md"

    def write(text: str):
        return lambda: target.write_text(text, encoding="utf-8")

    def link(to: str):
        return lambda: target.symlink_to(to)

    def fifo():
        os.mkfifo(target)

    def unreadable():
        target.write_text(_base(), encoding="utf-8")
        target.chmod(0)

    def loop():
        (drafts / "loop").symlink_to(drafts / "loop")
        target.write_text(_base(), encoding="utf-8")

    return {
        "link to /dev/zero": link("/dev/zero"),
        "FIFO": fifo,
        "link outside the project": link(str(outside)),
        "unreadable draft (chmod 000)": unreadable,
        "link loop under reports_src": loop,
        "200,000 list items": write(_with_body("\n".join(["- 项"] * 200_000))),
        "20,000 footnotes": write(_with_body("正文" + "".join(f"[^{n}]" for n in range(20_000)) + "\n\n"
                                             + "\n".join(f"[^{n}]: 注" for n in range(20_000)))),
        "50,000 nested brackets": write(_with_body("[" * 50_000 + "字" + "]" * 50_000)),
        "20,000 lines of 12-deep quotes": write(_with_body("\n".join(["> " * 12 + "引文"] * 20_000))),
        "10,000-character title": write(_with_title("以" + "党建" * 5_000)),
        "one 1 MB line": write(_with_body("a" * 1_000_000)),
        "NUL in the title (YAML escape)": write(_with_title('"以“党建”\\x00推动"')),
        "bidi override in the title (YAML escape)": write(_with_title('"以“党建”\\u202E推动"')),
    }


def main() -> int:
    sys.path.insert(0, str(REPO))
    from generator.core.config import load_config

    limits = load_config(REPO / "reportgen.toml").build
    bound = limits.report_timeout + 30
    command = [sys.executable, "-m", "generator"]
    print(f"limits: {limits.report_timeout} s and {limits.worker_memory_mb} MB per report (a row passes within "
          f"{bound} s)")
    print(f"{'row':44} {'check s':>8} {'exit':>4} {'build s':>8} {'exit':>4} {'peak PSS MB':>11}  codes")
    failures = 0
    with tempfile.TemporaryDirectory() as directory:
        outside = Path(directory) / "secret.txt"
        outside.write_text("root:x:0:0:secret\n", encoding="utf-8")
        for number, (name, make) in enumerate(rows(_project(Path(directory), "probe"), outside).items()):
            root = _project(Path(directory), f"row{number}")
            rows(root, outside)[name]()
            checked_time, _peak, checked = timed([*command, "check", "--no-source", "--format", "json"], root)
            built_time, (_rss, pss), built = timed([*command, "build", "--jobs", "2", "--format", "json"], root,
                                                   memory=True)
            manifest = root / "output" / "manifest.json"
            codes = set()
            if manifest.is_file():
                for report in json.loads(manifest.read_text(encoding="utf-8"))["reports"]:
                    codes |= {item["code"] for item in report["diagnostics"] if item["severity"] == "error"}
            ok = (built.returncode in (0, 1) and manifest.is_file() and built_time <= bound
                  and pss <= limits.worker_memory_mb * 1024 * 1024 * 2)
            failures += not ok
            print(f"{name:44} {checked_time:8.2f} {checked.returncode:4} {built_time:8.2f} {built.returncode:4} "
                  f"{pss / 1e6:11.0f}  {','.join(sorted(codes)) or '-'}{'' if ok else '   <- NOT WITHIN LIMITS'}")
            target = root / "reports_src" / "2022" / "r13.md"
            if target.exists() and not target.is_symlink():
                target.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
