"""The private APIs of reportgen's dependencies, each used in one module only, still have the shape that module
relies on (issue 15). A failure here means an upgrade changed a private hook: adapt the module named in the
test (and its pin in pyproject.toml) before anything else, since the build may otherwise misbehave silently."""

from __future__ import annotations

import ast
import os
import inspect
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "generator"


def _parameters(function) -> list[tuple[str, object]]:
    return [(name, parameter.default) for name, parameter in inspect.signature(function).parameters.items()]


# ---- multiprocessing / concurrent.futures (generator/build/_mp_private.py) ----------------------------------


def test_multiprocessing_keeps_its_fork_server_where_mp_private_looks():
    from multiprocessing import forkserver

    from generator.build import _mp_private

    server = _mp_private.the_fork_server()
    assert server is forkserver._forkserver
    assert isinstance(server, forkserver.ForkServer)
    assert callable(server._stop) and _parameters(server._stop) == []
    assert hasattr(server, "_forkserver_pid")
    # `ensure_running` is the module's alias of the same object's method: stopping it stops the one we start
    assert forkserver.ensure_running.__self__ is server


def test_the_fork_server_stops_and_starts_again():
    from multiprocessing import forkserver

    from generator.build import _mp_private

    forkserver.ensure_running()
    pid = _mp_private.the_fork_server()._forkserver_pid
    assert pid is not None
    _mp_private.stop_fork_server()
    assert _mp_private.the_fork_server()._forkserver_pid is None
    with pytest.raises(ChildProcessError):
        import os

        os.waitpid(pid, 0)  # reaped by `_stop`
    _mp_private.stop_fork_server()  # none running: nothing to do


def test_process_pool_executor_keeps_its_workers_where_mp_private_looks():
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from generator.build import _mp_private

    executor = ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"))
    try:
        assert executor.submit(int, "7").result(timeout=30) == 7
        if not hasattr(executor, "kill_workers"):  # before Python 3.14: the private dict of processes
            processes = executor._processes
            assert isinstance(processes, dict) and processes
            assert all(callable(process.kill) for process in processes.values())
        workers = list(executor._processes.values())
        _mp_private.kill_workers(executor)
        for worker in workers:
            worker.join(timeout=10)
            assert worker.exitcode is not None and worker.exitcode < 0
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def test_a_recycling_executor_replaces_every_worker_that_retires_at_its_quota():
    """`_mp_private.recycling_executor` overrides `_adjust_process_count`, which the executor calls (from
    `submit`, and before CPython's fix of gh-115634 from its manager thread when a worker retired) and which
    reads `_idle_worker_semaphore`, `_processes`, `_max_workers` and calls `_spawn_process`. Ten tasks for one
    worker retiring after two: without the override, Python 3.11 waits forever after the second."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from generator.build import _mp_private

    for name in ("_adjust_process_count", "_spawn_process"):
        assert callable(getattr(ProcessPoolExecutor, name))
    executor = _mp_private.recycling_executor(max_workers=1, mp_context=get_context("forkserver"),
                                              max_tasks_per_child=2)
    try:
        assert executor._max_workers == 1 and isinstance(executor._processes, dict)
        assert hasattr(executor._idle_worker_semaphore, "acquire")
        futures = [executor.submit(os.getpid) for _task in range(10)]
        pids = [future.result(timeout=60) for future in futures]
        assert len(set(pids)) == 5
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


# ---- WeasyPrint (generator/render/_weasyprint_private.py) -------------------------------------------------


def test_weasyprint_reads_font_programs_through_the_name_the_hook_replaces():
    from weasyprint.pdf import fonts
    from weasyprint.text import fonts as text_fonts

    from generator.render import _weasyprint_private

    assert _weasyprint_private.fonts_module() is fonts
    # what `fonts_hooked` replaces is WeasyPrint's own function, imported into `weasyprint.pdf.fonts` ...
    assert fonts.get_hb_object_data is text_fonts.get_hb_object_data
    assert _parameters(fonts.get_hb_object_data) == [("hb_object", inspect.Parameter.empty), ("ot_color", None),
                                                     ("glyph", None)]
    assert _parameters(fonts.Font.subset) == [("self", inspect.Parameter.empty),
                                              ("to_unicode", inspect.Parameter.empty),
                                              ("hinting", inspect.Parameter.empty)]
    # ... and looked up there by name when a font is read and subset, so that replacing the names takes effect
    assert "get_hb_object_data" in fonts.Font.__init__.__code__.co_names
    assert "subset" in _called_attributes(fonts.Font)
    assert "file_content" in _assigned_attributes(fonts.Font.__init__)


def _called_attributes(cls) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    return {node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"}


def _assigned_attributes(function) -> set[str]:
    source = inspect.getsource(function)
    return set(re.findall(r"self\.(\w+)\s*=", source))


def test_the_font_hook_replaces_both_names_and_restores_them():
    from weasyprint.pdf import fonts

    from generator.render import _weasyprint_private
    from generator.render.fontprograms import deferred_programs

    original_data, original_subset = fonts.get_hb_object_data, fonts.Font.subset
    with deferred_programs():
        assert fonts.get_hb_object_data is not original_data
        assert fonts.Font.subset is not original_subset
        assert inspect.signature(fonts.get_hb_object_data) == inspect.signature(original_data)
        assert inspect.signature(fonts.Font.subset) == inspect.signature(original_subset)
    assert (fonts.get_hb_object_data, fonts.Font.subset) == (original_data, original_subset)
    with pytest.raises(KeyError), _weasyprint_private.fonts_hooked(lambda f: f, lambda f: f):
        raise KeyError  # restored however the block ends
    assert (fonts.get_hb_object_data, fonts.Font.subset) == (original_data, original_subset)


def test_weasyprint_ffi_offers_what_face_table_and_doctor_use():
    from weasyprint.text import ffi

    from generator.render import _weasyprint_private

    for name in ("hb_face_reference_table", "hb_tag_from_string", "hb_blob_get_length", "hb_blob_get_data",
                 "hb_blob_destroy", "hb_version_atleast"):
        assert hasattr(ffi.harfbuzz, name), name
    assert hasattr(ffi.pango, "pango_version") and hasattr(ffi, "harfbuzz_subset")
    assert callable(ffi.ffi.new) and callable(ffi.ffi.unpack)
    harfbuzz, _subset, pango = _weasyprint_private.native_libraries()
    assert harfbuzz is ffi.harfbuzz and pango is ffi.pango


def test_a_render_goes_through_the_hook_with_faces_face_table_reads():
    import weasyprint

    from generator.render import _weasyprint_private

    seen, subset = [], []

    def recording_data(original):
        def object_data(hb_object, ot_color=None, glyph=None):
            if ot_color is None:
                seen.append((_weasyprint_private.face_table(hb_object, b"head"),
                             _weasyprint_private.face_table(hb_object, b"head", read=False),
                             _weasyprint_private.face_table(hb_object, b"zzzz")))
            return original(hb_object, ot_color, glyph)
        return object_data

    def recording_subset(original):
        def subset_(self, to_unicode, hinting):
            subset.append(self)
            original(self, to_unicode, hinting)
        return subset_

    with _weasyprint_private.fonts_hooked(recording_data, recording_subset):
        weasyprint.HTML(string='<p style="font-family: serif">党建 2022</p>').write_pdf()
    assert seen and subset, "WeasyPrint no longer reads or subsets font programs through the hooked names"
    for head, length, missing in seen:
        assert len(head) == length == 54 and head[12:16] == b"\x5f\x0f\x3c\xf5"  # the head table's magic
        assert missing == b""


# ---- python-docx (generator/render/_docx_private.py) --------------------------------------------------------


def test_python_docx_keeps_the_elements_and_writer_steps_docx_private_uses():
    import docx
    from docx.opc.pkgwriter import PackageWriter
    from docx.oxml.ns import qn
    from docx.table import _Cell

    from generator.render import _docx_private as private

    document = docx.Document()
    paragraph = document.add_paragraph("x")
    assert private.p_element(paragraph).tag == qn("w:p")
    assert private.document_body(document) is paragraph._parent
    assert private.section_element(document.sections[0]).tag == qn("w:sectPr")
    assert paragraph.runs[0].element.tag == qn("w:r")  # public
    table = document.add_table(rows=1, cols=2)
    row = table.rows[0]
    assert private.tr_element(row).tag == qn("w:tr")
    cells = private.row_cells(table, row)
    assert [type(cell) for cell in cells] == [_Cell, _Cell]
    assert [private.tc_element(cell) for cell in cells] == [private.tc_element(cell) for cell in row.cells]
    assert _parameters(_Cell) == [("tc", inspect.Parameter.empty), ("parent", inspect.Parameter.empty)]
    for step, parameters in (("_write_content_types_stream", ["phys_writer", "parts"]),
                             ("_write_pkg_rels", ["phys_writer", "pkg_rels"]),
                             ("_write_parts", ["phys_writer", "parts"])):
        assert isinstance(inspect.getattr_static(PackageWriter, step), staticmethod), step
        assert [name for name, _default in _parameters(getattr(PackageWriter, step))] == parameters, step
    # `write_package` writes what python-docx's own `PackageWriter.write` writes, in the same order
    written: list[tuple[str, bytes]] = []

    class Collect:
        def write(self, uri, blob):
            written.append((str(uri), blob))

    for part in document.part.package.parts:
        part.before_marshal()
    private.write_package(Collect(), document.part.package)
    assert written[0][0] == "/[Content_Types].xml" and written[1][0] == "/_rels/.rels"
    import io
    import zipfile

    saved = io.BytesIO()
    document.save(saved)
    with zipfile.ZipFile(saved) as package:
        assert [("/" + name, package.read(name)) for name in package.namelist()] == written


def test_remembered_partnames_names_parts_as_python_docx_does():
    """`remembered_partnames` replaces `OpcPackage.next_partname` (template -> lowest free name) for a volume's
    hundreds of headers: the parts it names are python-docx's own."""
    import contextlib

    import docx
    from docx.opc.package import OpcPackage

    from generator.render._docx_private import remembered_partnames

    assert [name for name, _default in _parameters(OpcPackage.next_partname)] == ["self", "template"]

    def part_names(remember: bool) -> list[str]:
        document = docx.Document()
        package = document.part.package
        with remembered_partnames(package) if remember else contextlib.nullcontext():
            for _section in range(3):
                section = document.add_section()
                section.header.is_linked_to_previous = False
                section.even_page_header.is_linked_to_previous = False
        assert "next_partname" not in vars(package)  # the package's own method again
        return sorted(str(part.partname) for part in package.iter_parts())

    names = part_names(True)
    assert names == part_names(False) and sum("header" in name for name in names) == 6


def test_indexed_relationships_relate_parts_as_python_docx_does():
    """`indexed_relationships` replaces `Relationships.get_or_add`, which `Part.relate_to` calls, for a volume's
    hundreds of headers: the relationships (ids, types, targets) are python-docx's own, and one to a part
    already related is found, not added again."""
    import contextlib

    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.rel import Relationships

    from generator.render._docx_private import indexed_relationships

    assert [name for name, _default in _parameters(Relationships.get_or_add)] == ["self", "reltype", "target_part"]

    def relationships(indexed: bool) -> list[tuple[str, str, str]]:
        document = docx.Document()
        part = document.part
        with indexed_relationships(part) if indexed else contextlib.nullcontext():
            for _section in range(3):
                section = document.add_section()
                section.header.is_linked_to_previous = False
                section.even_page_header.is_linked_to_previous = False
            styles = part.rels.part_with_reltype(RT.STYLES)
            assert part.relate_to(styles, RT.STYLES) == next(rel.rId for rel in part.rels.values()
                                                              if rel.reltype == RT.STYLES)
        assert "get_or_add" not in vars(part.rels)  # the collection's own method again
        return sorted((rel.rId, rel.reltype, str(rel.target_part.partname)) for rel in part.rels.values())

    related = relationships(True)
    assert related == relationships(False) and sum(RT.HEADER == reltype for _id, reltype, _p in related) == 6


def test_only_the_private_modules_touch_the_private_names():
    """The private names of each dependency appear in its one module and nowhere else in generator/."""
    patterns = {
        "build/_mp_private.py": re.compile(r"_forkserver\b|\._stop\(|\._processes\b"),
        "render/_weasyprint_private.py": re.compile(r"weasyprint\.(text\.ffi|pdf\.fonts|pdf import fonts)"
                                                    r"|from weasyprint\.text\.ffi|from weasyprint\.pdf import"),
        "render/_docx_private.py": re.compile(r"\._(p|tc|tr|sectPr|body)\b|PackageWriter\._|\b_Cell\b"),
    }
    for home, pattern in patterns.items():
        offenders = [str(path.relative_to(GENERATOR)) for path in sorted(GENERATOR.rglob("*.py"))
                     if str(path.relative_to(GENERATOR)) != home
                     and any(pattern.search(line) for line in path.read_text(encoding="utf-8").splitlines()
                             if not line.lstrip().startswith("#") and "`" not in line)]
        assert offenders == [], f"private names of {home}'s dependency used elsewhere: {offenders}"
        assert pattern.search((GENERATOR / home).read_text(encoding="utf-8")), home


def test_dependencies_with_private_hooks_are_pinned_to_the_tested_versions():
    import sys
    import tomllib
    from importlib.metadata import version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {re.split(r"[<>=!~ ]", spec, maxsplit=1)[0]: spec for spec in project["dependencies"]}

    def within(spec: str, installed: str) -> bool:
        numbers = [tuple(int(part) for part in v.split(".")) for v in re.findall(r"[<>]=?\s*([0-9.]+)", spec)]
        assert len(numbers) == 2, f"{spec}: a lower and an upper bound"
        have = tuple(int(part) for part in re.findall(r"\d+", installed)[:3])
        return numbers[0] <= have[:len(numbers[0])] and have[:len(numbers[1])] < numbers[1]

    assert within(pins["weasyprint"], version("weasyprint")), pins["weasyprint"]
    assert within(pins["python-docx"], version("python-docx")), pins["python-docx"]
    assert within(project["requires-python"], ".".join(map(str, sys.version_info[:3]))), project["requires-python"]
