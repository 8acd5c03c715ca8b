"""Issue 18's converter choice, measured: pandoc (pypandoc-binary), mammoth and docx2python on real DOCX files.

For every report of the sample corpus, `reportgen build --to docx` writes `reports/<id>.docx`; each converter
reads it, and what it recognised (headings, list items, tables, footnotes, images) is counted against what the
draft itself holds (its parsed tree). The LibreOffice-made documents of `tests/realworld/import/` (another
template: Chinese style names, tracked changes, a merged cell, an EMF image) are read too, with the time and
what each converter made of their headings. Needs `pip install pypandoc-binary mammoth docx2python`.

    .venv/bin/python benchmarks/import_converters.py
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ("headings", "list items", "tables", "footnotes", "images")


def expected_counts(draft: Path, config) -> dict[str, int]:
    import generator

    document = generator.parse_text(draft.read_text(encoding="utf-8"), path=draft, config=config)
    elements = [element for block in document.body for element in block.iter()]
    return {"headings": sum(element.tag in ("h2", "h3", "h4", "h5", "h6") for element in elements),
            "list items": sum(element.tag == "li" for element in elements),
            "tables": sum(element.tag == "table" for element in elements),
            "footnotes": len(document.footnotes or ()),
            "images": sum(element.tag == "img" for element in elements)}


def pandoc_counts(path: Path) -> dict[str, int]:
    import pypandoc

    ast = json.loads(subprocess.run([pypandoc.get_pandoc_path(), str(path), "-f", "docx+styles", "-t", "json"],
                                    capture_output=True, check=True).stdout)
    counts = dict.fromkeys(FEATURES, 0)

    def walk(node):
        if isinstance(node, dict):
            kind = node.get("t")
            if kind == "Header":
                counts["headings"] += 1
            elif kind in ("BulletList", "OrderedList"):
                items = node["c"] if kind == "BulletList" else node["c"][1]
                counts["list items"] += len(items)
            elif kind == "Table":
                counts["tables"] += 1
            elif kind == "Note":
                counts["footnotes"] += 1
            elif kind == "Image":
                counts["images"] += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(ast["blocks"])
    return counts


def mammoth_counts(path: Path) -> dict[str, int]:
    import mammoth

    with path.open("rb") as stream:
        html = mammoth.convert_to_html(stream).value
    return {"headings": len(re.findall(r"<h[1-6]", html)), "list items": html.count("<li"),
            "tables": html.count("<table"), "footnotes": len(re.findall(r'<li id="footnote-', html)),
            "images": html.count("<img")}


def docx2python_counts(path: Path) -> dict[str, int]:
    from docx2python import docx2python

    with docx2python(path, html=True) as result:
        text = result.text
        images = len(result.images)
        footnotes = len(re.findall(r"----footnote\d+----", text))
        tables = sum(1 for table in result.body if len(table) > 1 or (table and len(table[0]) > 1))
    return {"headings": len(re.findall(r"<h[1-6]>", text)),
            "list items": len(re.findall(r"^\t*(?:\d+\)|[a-z]+\)|--)\t", text, re.M)), "tables": tables,
            "footnotes": footnotes, "images": images}


CONVERTERS = {"pandoc": pandoc_counts, "mammoth": mammoth_counts, "docx2python": docx2python_counts}


def main() -> int:
    import generator

    config = generator.load_config(ROOT / "reportgen.toml")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        subprocess.run([sys.executable, "-m", "generator", "build", "--no-volume", "--to", "docx", "--out", str(out)],
                       cwd=ROOT, check=True, capture_output=True)
        documents = sorted((out / "2022" / "reports").glob("*.docx"))
        expected = dict.fromkeys(FEATURES, 0)
        for document in documents:
            for key, value in expected_counts(config.sources_dir / "2022" / f"{document.stem}.md", config).items():
                expected[key] += value
        print(f"Sample corpus: {len(documents)} reports built by `reportgen build --to docx`")
        print(f"{'':12} " + " ".join(f"{name:>10}" for name in FEATURES) + f" {'ms/doc':>8}")
        print(f"{'drafts':12} " + " ".join(f"{expected[name]:>10}" for name in FEATURES))
        for name, count in CONVERTERS.items():
            totals, times = dict.fromkeys(FEATURES, 0), []
            for document in documents:
                started = time.perf_counter()
                found = count(document)
                times.append(time.perf_counter() - started)
                for key in FEATURES:
                    totals[key] += found[key]
            print(f"{name:12} " + " ".join(f"{totals[key]:>10}" for key in FEATURES)
                  + f" {statistics.median(times) * 1000:>8.0f}")
        others = sorted(path for path in (ROOT / "tests" / "realworld" / "import").glob("*.docx")
                        if path.with_suffix(".fodt").exists())   # not the files that must be refused
        if others:
            print(f"\nLibreOffice-made documents ({len(others)}): headings found / list items / tables / footnotes / images")
            for document in others:
                print(f"  {document.name}: " + "; ".join(
                    f"{name} " + "/".join(str(value) for value in count(document).values())
                    for name, count in CONVERTERS.items()))
    if shutil.which("soffice") is None:
        print("(soffice not installed: the LibreOffice-made inputs were not regenerated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
