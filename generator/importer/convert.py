"""One .docx -> one draft in memory: pandoc reads the document (its AST, tracked changes accepted, media
extracted), `markdown.BodyWriter` writes the body, the front matter is filled from what the document says,
and every loss is a diagnostic. Nothing is written here (`store.py` writes)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import generator

from . import images as image_files
from ._messages import _
from .errors import ImportRefused
from .markdown import BodyWriter, Note
from .package import read_package_facts
from .sniff import check_docx_bytes

PANDOC_TIMEOUT_SECONDS = 60
PANDOC_HEAP_MB = 1500
LABELS = {
    "company": ("课题单位", "基层公司", "辅导单位", "单位", "公司", "Company"),
    "counselors": ("党建辅导员", "辅导员", "Counselors", "Counselor"),
    "theme": ("课题主题", "主题", "Theme"),
    "submitted": ("提交日期", "日期", "Submitted", "Date"),
    "summary": ("摘要", "内容摘要", "Summary", "Abstract"),
    "keywords": ("关键词", "关键字", "Keywords"),
    "status": ("状态", "当前状态", "Status"),
}
LABEL_LINE = re.compile(r"^\s*(?P<label>[^：:　\s]{1,6})\s*[：:　]\s*(?P<value>.+)$", re.S)


@dataclass
class ImportedDraft:
    """A converted document: the draft's path and text, the images it references (`assets/<name>` -> bytes),
    and the importer's own diagnostics (IMP7xx) at the draft's lines."""

    path: Path
    text: str
    images: dict[str, bytes] = field(default_factory=dict)
    diagnostics: list = field(default_factory=list)
    source_name: str = ""


def pandoc_path() -> str:
    try:
        import pypandoc
    except ImportError:
        found = shutil.which("pandoc")
        if found:
            return found
        raise ImportRefused(_("pandoc is not installed: install the Python package pypandoc-binary")) from None
    return pypandoc.get_pandoc_path()


def start_pandoc(data: bytes, workdir: Path) -> subprocess.Popen:
    """pandoc reading the document into its JSON AST (tracked changes accepted, media extracted into
    `workdir`), started so that this process can do its own part meanwhile. The document is untrusted:
    `--sandbox` keeps pandoc from reading or fetching anything but its input, `-M` caps its heap. A larger
    allocation area for its garbage collector (`-A64m`) saves about a tenth of its time on a long document."""
    source = workdir / "input.docx"
    source.write_bytes(data)
    return subprocess.Popen(
        [pandoc_path(), str(source), "-f", "docx+styles", "-t", "json", "--track-changes=accept",
         f"--extract-media={workdir / 'extracted'}", "--sandbox", "+RTS", "-A64m", f"-M{PANDOC_HEAP_MB}m", "-RTS"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir)


def finish_pandoc(process: subprocess.Popen) -> dict:
    try:
        output, errors = process.communicate(timeout=PANDOC_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise ImportRefused(_("reading the document took more than {seconds} s; it was stopped").format(
            seconds=PANDOC_TIMEOUT_SECONDS)) from None
    if process.returncode != 0:
        raise ImportRefused(_("pandoc could not read the document: {reason}").format(
            reason=errors.decode("utf-8", "replace").strip()[:300]))
    return json.loads(output)


def next_report_id(directory: Path) -> str:
    """The next free id `rNN` of a year's directory (one more than the highest rNN there)."""
    numbers = [int(match.group(1)) for path in directory.glob("r*.md") if (match := re.fullmatch(r"r(\d+)", path.stem))]
    return f"r{(max(numbers) + 1 if numbers else 1):02d}"


def convert_docx(data: bytes, *, name: str, config, year: int, report_id: str | None = None,
                 directory: Path | None = None, registry=None, while_pandoc_runs=None) -> ImportedDraft:
    """Convert the bytes of a .docx (named `name` in messages) to a draft of `year` in `directory` (default:
    the year's sources directory), with id `report_id` or the next free one. Raises `NotADocx` or
    `ImportRefused`; everything else is a diagnostic of the result. `while_pandoc_runs()`, if given, is called
    while pandoc reads the document (the CLI warms the checker then)."""
    check_docx_bytes(data, name=name)
    directory = directory if directory is not None else config.sources_dir / str(year)
    report_id = report_id or next_report_id(directory)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", report_id):
        raise ImportRefused(_("report id “{id}” may hold only ASCII letters, digits, “-” and “_”").format(id=report_id))
    path = directory / f"{report_id}.md"
    notes: list[Note] = []
    file_name = Path(name).name
    with tempfile.TemporaryDirectory(prefix="reportgen-import-") as scratch:
        workdir = Path(scratch)
        process = start_pandoc(data, workdir)
        try:
            facts = read_package_facts(data)
            registry = registry if registry is not None else generator.load_registry(config.registry_path)
            if while_pandoc_runs is not None:
                while_pandoc_runs()
        except BaseException:
            process.kill()
            process.communicate()
            raise
        ast = finish_pandoc(process)
        store = image_files.ImageStore(workdir=workdir, report_id=report_id, assets=directory / "assets",
                                       file_name=file_name)
        blocks = ast["blocks"]
        levels = _heading_plan(blocks, facts, config)
        section_level = config.sections[0].level if config.sections else 2
        meta_lines: dict[str, str] = {}

        def heading_level(word_level: int, text: str) -> int | None:
            level = word_level + levels
            if level < section_level:
                return None if generator.required_section(text, config) is None else section_level
            return min(level, 6)

        def formatted_heading(text: str, bold: bool) -> int | None:
            if len(text) > 40 or re.search(r"[。；;，,]$", text):
                return None
            if generator.required_section(text, config) is not None and (bold or re.match(r"^[一二三四五六七八九十]+、", text)):
                return section_level
            if bold and re.match(r"^[一二三四五六七八九十]+、", text):   # a section the configuration does not require
                return section_level
            if bold and re.match(r"^[（(][一二三四五六七八九十]+[)）]", text):
                return section_level + 1
            return None

        writer = BodyWriter(file_name=file_name, heading_level=heading_level, formatted_heading=formatted_heading,
                            image_path=store.store, heading_styles=facts.heading_levels,
                            title_styles=facts.title_styles, numbering=facts.heading_numbering)
        writer.meta_line = lambda style, text: _meta_line(style, text, meta_lines)
        writer.property_title = facts.properties.get("title")
        body = writer.write(blocks)
        notes.extend(body.notes)
        images = store.images
    if facts.insertions or facts.deletions:
        notes.insert(0, Note("IMP702", _("{file}: {insertions} tracked insertion(s) and {deletions} deletion(s) were "
                                         "accepted; compare the draft with the document if any was not meant to "
                                         "stay").format(file=file_name, insertions=facts.insertions,
                                                        deletions=facts.deletions), -1))
    if facts.comments:
        notes.insert(0, Note("IMP703", _("{file}: {count} comment(s) were dropped; read them in Word before "
                                         "deleting the document").format(file=file_name, count=facts.comments), -1))
    title = writer.title or _meta_title(ast)
    fields, field_notes = _front_matter(meta_lines, title=title, facts=facts, body=body, config=config,
                                        registry=registry, year=year, file_name=file_name,
                                        title_guessed=writer.title_guessed)
    text, block_lines = _assemble(fields, body)
    diagnostics = []
    for note in field_notes + notes:
        if note.block is None:  # a front-matter field: the line of its key
            key = re.search(r"“(\w+)”", note.message)
            line = next((number for number, text in enumerate(text.split("\n"), start=1)
                         if key and text.startswith(key.group(1) + ":")), 1)
        else:
            line = 1 if note.block < 0 else block_lines.get(note.block, block_lines["end"]) + note.offset
        diagnostics.append(generator.diagnostic(note.code, path, note.message, line=line))
    return ImportedDraft(path=path, text=text, images=images, diagnostics=generator.apply_severity(diagnostics, config),
                         source_name=file_name)


def _heading_plan(blocks, facts, config) -> int:
    """How many levels to add to Word's heading levels so that the required sections land on theirs."""
    headings: list[tuple[int, str]] = []

    def collect(nodes, style=""):
        for node in nodes:
            if node["t"] == "Header":
                headings.append((node["c"][0], _text(node["c"][2])))
            elif node["t"] == "Div":
                inner_style = dict(node["c"][0][2]).get("custom-style", style)
                collect(node["c"][1], inner_style)
            elif node["t"] in ("OrderedList", "BulletList"):
                for item in (node["c"] if node["t"] == "BulletList" else node["c"][1]):
                    collect(item, style)
            elif node["t"] in ("Para", "Plain") and style in facts.heading_levels:
                headings.append((facts.heading_levels[style], _text(node["c"])))
    collect(blocks)
    section_level = config.sections[0].level if config.sections else 2
    if not headings:
        return 0
    section_levels = [level for level, text in headings if generator.required_section(text, config) is not None]
    base = min(section_levels) if section_levels else min(level for level, _text_ in headings)
    return section_level - base


def _text(inlines) -> str:
    from .markdown import plain_text

    return plain_text(inlines).strip()


def _meta_title(ast) -> str | None:
    title = ast.get("meta", {}).get("title")
    if not title:
        return None
    if title["t"] == "MetaInlines":
        return _text(title["c"]) or None
    if title["t"] == "MetaString":
        return title["c"].strip() or None
    return None


def _meta_line(style: str, text: str, found: dict[str, str]) -> bool:
    """A labelled line before the first heading (“课题单位：…”, reportgen's own title block): kept for the
    front matter and left out of the body. True if it was one."""
    match = LABEL_LINE.match(text)
    if not match:
        return False
    label = match.group("label").strip()
    for key, labels in LABELS.items():
        if label in labels and key not in found:
            found[key] = match.group("value").strip()
            return True
    return False


def _split_names(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[、，,；;/\s]+", value) if part.strip()]


def _date(value: str) -> str | None:
    match = re.search(r"(\d{4})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})", value)
    if not match:
        return None
    try:
        return dt.date(*map(int, match.groups())).isoformat()
    except ValueError:
        return None


def _front_matter(meta: dict[str, str], *, title, facts, body, config, registry, year: int, file_name: str,
                  title_guessed: bool = False):
    """The front-matter fields in the configured order, and a note for every field not stated (or not from a
    labelled line). Values are what the document says; the registry and the theme list only confirm them."""
    notes: list[Note] = []
    text = "\n".join(body.blocks)

    def missing(key: str, hint: str = "") -> None:
        notes.append(Note("IMP706", _("{file}: the document does not say the “{field}”; fill it in the front "
                                      "matter{hint}").format(file=file_name, field=key, hint=hint), None))

    def from_text(key: str, value: str, where: str) -> None:
        notes.append(Note("IMP709", _("{file}: “{field}” was taken from {where}: “{value}”; confirm it").format(
            file=file_name, field=key, where=where, value=value), None))

    fields: dict[str, object] = {}
    if title:
        fields["title"] = title
        if title_guessed:
            from_text("title", title, _("the document's first paragraph, in bold"))
    elif facts.properties.get("title"):
        fields["title"] = facts.properties["title"]
        from_text("title", fields["title"], _("the document properties"))
    else:
        fields["title"] = ""
        missing("title")
    fields["year"] = str(year)

    themes = list(config.themes)
    theme = meta.get("theme")
    if theme is None:
        mentioned = sorted({item for item in themes if item in (title or "") + text})
        if len(mentioned) == 1:
            theme = mentioned[0]
            from_text("theme", theme, _("the text"))
        else:
            missing("theme", _("; one of: {themes}").format(themes="、".join(themes)))
    fields["theme"] = theme or ""

    company = meta.get("company")
    if company is None:
        names = sorted(registry.company_names)
        candidates = [item for item in names if item in text or item == facts.properties.get("company")]
        if not candidates:
            shorts = {entry.name: dict(entry.details).get("short") for entry in registry.companies}
            candidates = [name for name, short in shorts.items() if short and short in (title or "") + text]
        if len(candidates) == 1:
            company = candidates[0]
            from_text("company", company, _("the text and the document properties"))
        else:
            missing("company", _("; candidates: {names}").format(names="、".join(candidates)) if candidates else "")
    fields["company"] = company or ""

    counselors = _split_names(meta["counselors"]) if "counselors" in meta else []
    if not counselors:
        known = sorted(registry.counselor_names)
        author = facts.properties.get("creator", "")
        counselors = [name for name in known if name in _split_names(author)]
        if counselors:
            from_text("counselors", "、".join(counselors), _("the document's author"))
        else:
            counselors = [name for name in known if re.search(rf"辅导员[^。，；]{{0,12}}{re.escape(name)}", text)]
            if counselors:
                from_text("counselors", "、".join(counselors), _("the text"))
            else:
                missing("counselors")
    fields["counselors"] = counselors
    status = meta.get("status", "")
    fields["status"] = status if status in config.front_matter.statuses else config.front_matter.statuses[0]
    submitted = _date(meta.get("submitted", ""))
    if submitted is None:
        missing("submitted")
    fields["submitted"] = submitted or ""
    if "summary" in meta:
        fields["summary"] = meta["summary"]
    else:
        missing("summary")
        fields["summary"] = ""
    keywords = _split_names(meta["keywords"].replace(" ", "；")) if "keywords" in meta else []
    if not keywords and facts.properties.get("keywords"):
        keywords = _split_names(facts.properties["keywords"])
        from_text("keywords", "；".join(keywords), _("the document properties"))
    if not keywords:
        missing("keywords")
    fields["keywords"] = keywords
    return fields, notes


def _yaml(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(item) for item in value) + "]"
    value = str(value)
    if value == "":
        return '""'
    plain = re.fullmatch(r"[^\s'\"#:\[\]{},&*!|>%@`?-][^#:\[\]{},]*", value) and value == value.strip()
    return value if plain else json.dumps(value, ensure_ascii=False)


def _assemble(fields: dict, body) -> tuple[str, dict]:
    lines = ["---"] + [f"{key}: {_yaml(value)}" for key, value in fields.items()] + ["---", ""]
    block_lines: dict = {}
    for index, block in enumerate(body.blocks):
        block_lines[index] = len(lines) + 1
        lines.extend(block.split("\n"))
        lines.append("")
    block_lines[len(body.blocks)] = max(len(lines) - 1, 1)
    block_lines["end"] = max(len(lines) - 1, 1)
    for number, footnote in enumerate(body.footnotes, start=1):
        lines.append(f"[^{number}]: {footnote}")
    if body.footnotes:
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n", block_lines
