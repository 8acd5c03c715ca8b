"""The one module that touches private names of python-docx.

python-docx's proxies (`Paragraph`, `_Cell`, `_Row`, `Section`, `Document`) keep their XML element in private
attributes (`_p`, `_tc`, `_tr`, `_sectPr`, `_body`) and offer no public accessor for it, and its package writer
writes a package only to a file or stream it opens itself (`PackageWriter.write`), whereas reportgen hands
the writer's steps (`_write_content_types_stream`, `_write_pkg_rels`, `_write_parts`) a ZIP writer with fixed
timestamps (`docx._FixedZip`), so that the same document always gives the same bytes. A row's cells are made
as python-docx's private `_Cell`, without `table.cell()`, which rebuilds the whole grid on every call.

`pyproject.toml` pins python-docx to the minor version the suite runs against, and
`tests/test_private_hooks.py` fails loudly if any of these names changes shape. (A `Run`'s element is public:
`run.element`.)
"""

from __future__ import annotations

from contextlib import contextmanager

from docx.opc.packuri import PackURI
from docx.opc.pkgwriter import PackageWriter
from docx.table import _Cell


def p_element(paragraph):
    """The `w:p` element of a python-docx `Paragraph`."""
    return paragraph._p


def tc_element(cell):
    """The `w:tc` element of a table cell."""
    return cell._tc


def tr_element(row):
    """The `w:tr` element of a table row."""
    return row._tr


def section_element(section):
    """The `w:sectPr` element of a `Section`."""
    return section._sectPr


def document_body(document):
    """The body (block-item container) of a `Document`: the parent python-docx gives the paragraphs it adds."""
    return document._body


def row_cells(table, row) -> list:
    """A row's cells, one per `w:tc` element (a merged cell once)."""
    return [_Cell(tc, table) for tc in row._tr.tc_lst]


def write_package(writer, package) -> None:
    """Write `package`'s members to `writer` (anything with `write(pack_uri, blob)`), in python-docx's order:
    `[Content_Types].xml`, the package relationships, then each part and its relationships."""
    parts = list(package.parts)
    PackageWriter._write_content_types_stream(writer, parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, parts)


@contextmanager
def remembered_partnames(package):
    """Within this block `package.next_partname` (python-docx's: the lowest free number for a template, found by
    walking every part of the package, for each new header: quadratic in a volume's sections) remembers the names
    it has seen: the same names, since parts are only added while a document is written."""
    taken: dict[str, set[str]] = {}
    lowest: dict[str, int] = {}

    def next_partname(template: str):
        if template not in taken:
            taken[template] = {str(part.partname) for part in package.iter_parts()}
            lowest[template] = 1
        number = lowest[template]
        while template % number in taken[template]:
            number += 1
        lowest[template] = number
        taken[template].add(template % number)
        return PackURI(template % number)

    package.next_partname = next_partname
    try:
        yield
    finally:
        del package.next_partname


@contextmanager
def indexed_relationships(part):
    """Within this block `part.rels.get_or_add` (python-docx's: a walk over every relationship of the part to
    find one to the same target, then another to find the lowest free `rIdN`, for each header of a volume's
    hundreds of sections: quadratic) finds them in an index of the relationships made or found so far."""
    rels = part.rels
    index = {(rel.reltype, id(rel.target_part)): rel for rel in rels.values() if not rel.is_external}
    taken = set(rels)
    lowest = [1]

    def get_or_add(reltype: str, target_part):
        rel = index.get((reltype, id(target_part)))
        if rel is None or rels.get(rel.rId) is not rel:
            taken.update(rels)  # relationships added since by other means
            while f"rId{lowest[0]}" in taken:
                lowest[0] += 1
            rel = rels.add_relationship(reltype, target_part, f"rId{lowest[0]}")
            taken.add(rel.rId)
            index[(reltype, id(target_part))] = rel
        return rel

    rels.get_or_add = get_or_add
    try:
        yield
    finally:
        del rels.get_or_add
