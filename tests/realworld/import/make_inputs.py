"""Make the Word documents of issue 18's import tests with LibreOffice, from another template than reportgen's.

Each input is written as a flat OpenDocument text (`<name>.fodt`, readable and reviewable here) and converted
with `soffice --headless --convert-to docx`, as a counselor's Word or WPS file would be made elsewhere:

    chinese_styles      paragraph styles named 标题 1 / 标题 2 (and a Title), lists, emphasis, a footnote, a table
    direct_headings     no heading styles at all: bold, numbered paragraphs (“一、课题背景”, “（一）……”)
    numbered_headings   heading styles numbered automatically by the outline (一、 （一）), the text without numbers
    merged_table        a table with a cell merged across two columns and one across two rows
    tracked_changes     an insertion and a deletion recorded as tracked changes, and a comment
    emf_image           a Windows metafile (EMF) picture with its caption “图1 ……” (LibreOffice stores it as
                        word/media/image1.wmf; the bytes are EMF, and the importer goes by the bytes)

and three files that are not real .docx, which the importer must refuse with a message: `word97.doc` (Word
97–2003, `--convert-to doc`), `wps2003.docx` (Word 2003 XML with a .docx name, as some WPS versions save it),
`protected.docx`: merged_table.docx encrypted with the password “secret” as Word does it (ECMA-376 agile
encryption, made with msoffcrypto-tool when it is installed), which the importer must refuse with a message.

Run it after changing an input (needs soffice); the .docx files are committed, so the tests do not need
LibreOffice to read them (`test_import.py` converts the EMF with it, if installed):

    .venv/bin/python tests/realworld/import/make_inputs.py
"""

from __future__ import annotations

import base64
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:loext="urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0"'
)

STYLES = """
  <style:style style:name="Standard" style:family="paragraph" style:class="text">
   <style:text-properties style:font-name-asian="Noto Serif CJK SC" fo:font-size="12pt"/>
  </style:style>
  <style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard" style:class="chapter">
   <style:paragraph-properties fo:text-align="center"/>
   <style:text-properties fo:font-size="22pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
  </style:style>
  <style:style style:name="标题_20_1" style:display-name="标题 1" style:family="paragraph"
               style:parent-style-name="Standard" style:default-outline-level="1" style:class="text">
   <style:text-properties fo:font-size="16pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
  </style:style>
  <style:style style:name="标题_20_2" style:display-name="标题 2" style:family="paragraph"
               style:parent-style-name="Standard" style:default-outline-level="2" style:class="text">
   <style:text-properties fo:font-size="14pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
  </style:style>
  <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph"
               style:parent-style-name="Standard" style:default-outline-level="1" style:class="text">
   <style:text-properties fo:font-size="16pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
  </style:style>
  <style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph"
               style:parent-style-name="Standard" style:default-outline-level="2" style:class="text">
   <style:text-properties fo:font-size="14pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
  </style:style>
  <style:style style:name="Figure" style:family="paragraph" style:parent-style-name="Standard" style:class="extra">
   <style:paragraph-properties fo:text-align="center"/>
  </style:style>
  <text:outline-style style:name="Outline">
   <text:outline-level-style text:level="1" style:num-format="{outline1}" style:num-suffix="{suffix1}"/>
   <text:outline-level-style text:level="2" style:num-format="{outline2}" style:num-prefix="{prefix2}" style:num-suffix="{suffix2}" text:display-levels="1"/>
  </text:outline-style>
"""

AUTOMATIC = """
  <style:style style:name="Bold" style:family="text">
   <style:text-properties fo:font-weight="bold" style:font-weight-asian="bold"/>
  </style:style>
  <style:style style:name="Italic" style:family="text">
   <style:text-properties fo:font-style="italic" style:font-style-asian="italic"/>
  </style:style>
  <style:style style:name="BoldParagraph" style:family="paragraph" style:parent-style-name="Standard">
   <style:text-properties fo:font-size="16pt" fo:font-weight="bold" style:font-weight-asian="bold"/>
  </style:style>
  <style:style style:name="BoldSubParagraph" style:family="paragraph" style:parent-style-name="Standard">
   <style:text-properties fo:font-weight="bold" style:font-weight-asian="bold"/>
  </style:style>
  <text:list-style style:name="Numbers">
   <text:list-level-style-number text:level="1" style:num-format="1" style:num-suffix=".">
    <style:list-level-properties text:list-level-position-and-space-mode="label-alignment">
     <style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.635cm" fo:margin-left="1.27cm"/>
    </style:list-level-properties>
   </text:list-level-style-number>
  </text:list-style>
  <text:list-style style:name="Bullets">
   <text:list-level-style-bullet text:level="1" text:bullet-char="•">
    <style:list-level-properties text:list-level-position-and-space-mode="label-alignment">
     <style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.635cm" fo:margin-left="1.27cm"/>
    </style:list-level-properties>
   </text:list-level-style-bullet>
   <text:list-level-style-bullet text:level="2" text:bullet-char="◦">
    <style:list-level-properties text:list-level-position-and-space-mode="label-alignment">
     <style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.635cm" fo:margin-left="1.905cm"/>
    </style:list-level-properties>
   </text:list-level-style-bullet>
  </text:list-style>
"""

SECTIONS = [
    ("课题背景", "鹤庆西南水泥有限公司地处滇西北，拥有一条2500t/d熟料生产线。2022年初，党委工作部部长张明远作为党建辅导员"
             "结对鹤庆公司，确定以“党建+安全生产”为课题。"),
    ("问题分析", "诊断发现隐患排查“查得少、改得慢”，外包作业人员“三违”占比偏高，党员先锋岗多集中在管理岗位。"),
    ("辅导过程", "辅导工作按照“八个步骤、三大阶段”推进，历时十个月。"),
    ("主要做法", "公司党委把全厂划分为12个党员安全责任区，每个责任区由一名党员负责。"),
    ("取得成效", "2022年1—10月，公司累计排查隐患860项，当月整改率由84.0%提高到98.2%。"),
    ("经验启示", "安全责任要靠组织体系压实，隐患治理要让员工愿意报、方便报。"),
]
CN = "一二三四五六"


def paragraph(text: str, style: str = "Standard") -> str:
    return f'<text:p text:style-name="{style}">{text}</text:p>'


def front(title_style: str = "Title") -> str:
    return "\n".join([
        paragraph("以“党建+安全生产”推动鹤庆公司本质安全建设", title_style),
        paragraph("课题单位：鹤庆西南水泥有限公司"),
        paragraph("辅导员：张明远"),
        paragraph("课题主题：党建+安全生产"),
        paragraph("提交日期：2022年11月20日"),
        paragraph("摘要：鹤庆公司以党员安全责任区为抓手，推行隐患随手拍和闭环整改，隐患当月整改率提高到98.2%。"),
        paragraph("关键词：安全生产；党员安全责任区"),
    ])


def styled_heading(text: str, style: str, level: int) -> str:
    return f'<text:h text:style-name="{style}" text:outline-level="{level}">{text}</text:h>'


def common_body(heading, extra: dict[int, str] | None = None) -> str:
    """The six sections; `heading(index, title)` writes a section's heading; `extra[index]` follows its text."""
    parts = []
    for index, (title, text) in enumerate(SECTIONS):
        parts.append(heading(index, title))
        parts.append(paragraph(escape(text)))
        if extra and index in extra:
            parts.append(extra[index])
    return "\n".join(parts)


def lists_and_emphasis() -> str:
    return "\n".join([
        paragraph('辅导组坚持<text:span text:style-name="Bold">问题导向</text:span>，突出'
                  '<text:span text:style-name="Italic">现场实效</text:span>，分三步推进：'),
        '<text:list text:style-name="Numbers">'
        '<text:list-item><text:p text:style-name="Standard">诊断调研，形成问题清单19项；</text:p></text:list-item>'
        '<text:list-item><text:p text:style-name="Standard">制定方案，明确21条措施；</text:p></text:list-item>'
        '<text:list-item><text:p text:style-name="Standard">跟踪督导，每月通报一次。</text:p></text:list-item>'
        '</text:list>',
        '<text:list text:style-name="Bullets">'
        '<text:list-item><text:p text:style-name="Standard">烧成党支部：窑系统检修监护</text:p>'
        '<text:list><text:list-item><text:p text:style-name="Standard">党员担任现场监护人</text:p></text:list-item>'
        '<text:list-item><text:p text:style-name="Standard">高风险作业“双人确认”</text:p></text:list-item></text:list>'
        '</text:list-item>'
        '<text:list-item><text:p text:style-name="Standard">矿山党支部：爆破作业安全</text:p></text:list-item>'
        '</text:list>',
        paragraph('责任区实行挂牌公示<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1'
                  '</text:note-citation><text:note-body><text:p text:style-name="Standard">挂牌内容包括责任党员、'
                  '主要风险和应急处置要点。</text:p></text:note-body></text:note>，每季度考核一次。'),
    ])


def table(rows: list[list[str]], *, merged: bool = False, caption: str = "") -> str:
    cells = []
    columns = len(rows[0])
    out = [paragraph(escape(caption))] if caption else []
    out.append(f'<table:table table:name="表格1"><table:table-column table:number-columns-repeated="{columns}"/>')
    for index, row in enumerate(rows):
        cells = []
        for cell in row:
            if cell == "<covered>":
                cells.append("<table:covered-table-cell/>")
            elif cell.startswith("<span") and ">" in cell:
                attributes, text = cell[5:].split(">", 1)
                cells.append(f'<table:table-cell {attributes.strip()} office:value-type="string">'
                             f'{paragraph(escape(text))}</table:table-cell>')
            else:
                cells.append(f'<table:table-cell office:value-type="string">{paragraph(escape(cell))}</table:table-cell>')
        row_xml = "<table:table-row>" + "".join(cells) + "</table:table-row>"
        out.append(f"<table:table-header-rows>{row_xml}</table:table-header-rows>" if index == 0 else row_xml)
    out.append("</table:table>")
    del merged
    return "\n".join(out)


def document(body: str, *, outline=("", "", "", "", ""), tracked: str = "", title: str = "以“党建+安全生产”推动鹤庆公司本质安全建设",
             automatic_extra: str = "") -> str:
    outline1, suffix1, outline2, prefix2, suffix2 = outline
    styles = STYLES.format(outline1=outline1, suffix1=suffix1, outline2=outline2, prefix2=prefix2, suffix2=suffix2)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document {NAMESPACES} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta>
  <dc:title>{title}</dc:title>
  <meta:initial-creator>张明远</meta:initial-creator>
  <dc:creator>张明远</dc:creator>
 </office:meta>
 <office:font-face-decls/>
 <office:styles>{styles}</office:styles>
 <office:automatic-styles>{AUTOMATIC}{automatic_extra}</office:automatic-styles>
 <office:body>
  <office:text>
{tracked}
{body}
  </office:text>
 </office:body>
</office:document>
"""


def minimal_emf() -> bytes:
    """A small EMF picture: a filled rectangle (header, brush, select, rectangle, end of file)."""
    bounds = struct.pack("<4i", 0, 0, 199, 99)
    frame = struct.pack("<4i", 0, 0, 5291, 2645)  # 0.01 mm
    records = []
    brush = struct.pack("<II", 39, 24) + struct.pack("<I", 1) + struct.pack("<I", 0) + struct.pack("<I", 0x0026B3) + \
        struct.pack("<I", 0)
    records.append(brush)
    records.append(struct.pack("<III", 37, 12, 1))           # EMR_SELECTOBJECT brush 1
    records.append(struct.pack("<II4i", 43, 24, 10, 10, 190, 90))  # EMR_RECTANGLE
    eof = struct.pack("<IIIII", 14, 20, 0, 16, 20)
    body = b"".join(records) + eof
    header_size = 108
    total = header_size + len(body)
    header = struct.pack("<II", 1, header_size) + bounds + frame + b" EMF" + struct.pack("<I", 0x10000) + \
        struct.pack("<I", total) + struct.pack("<I", len(records) + 2) + struct.pack("<HH", 2, 0) + \
        struct.pack("<III", 0, 0, 0) + struct.pack("<ii", 1920, 1080) + struct.pack("<ii", 508, 286) + \
        struct.pack("<III", 0, 0, 0) + struct.pack("<ii", 508000, 286000)
    assert len(header) == header_size, len(header)
    return header + body


def inputs() -> dict[str, str]:
    styled = lambda index, title: styled_heading(f"{CN[index]}、{title}", "标题_20_1", 1)  # noqa: E731
    made = {}
    made["chinese_styles"] = document("\n".join([front(), common_body(styled, {
        2: styled_heading("（一）诊断调研阶段", "标题_20_2", 2) + lists_and_emphasis(),
        4: table([["指标", "2021年", "2022年1—10月"], ["隐患当月整改率", "84.0%", "98.2%"],
                  ["“三违”行为（起/月）", "23", "9"]], caption="表1 鹤庆公司安全生产主要指标")})]))
    direct = lambda index, title: paragraph(f"{CN[index]}、{title}", "BoldParagraph")  # noqa: E731
    made["direct_headings"] = document("\n".join([front("Standard"), common_body(direct, {
        3: paragraph("（一）划分党员安全责任区", "BoldSubParagraph") + paragraph("每个责任区设立公示牌。")})]))
    numbered = lambda index, title: styled_heading(title, "Heading_20_1", 1)  # noqa: E731
    made["numbered_headings"] = document("\n".join([front(), common_body(numbered, {
        3: styled_heading("划分党员安全责任区", "Heading_20_2", 2) + paragraph("每个责任区设立公示牌。")
        + styled_heading("推行隐患随手拍", "Heading_20_2", 2) + paragraph("员工用手机拍照上报隐患。")})]),
        outline=("一, 二, 三, ...", "、", "一, 二, 三, ...", "（", "）"))
    made["merged_table"] = document("\n".join([front(), common_body(styled, {
        4: table([["类别", "指标", "2021年", "2022年"],
                  ['<span table:number-rows-spanned="2">安全', "隐患整改率", "84.0%", "98.2%"],
                  ["<covered>", "“三违”行为（起/月）", "23", "9"],
                  ['<span table:number-columns-spanned="2">合计', "<covered>", "—", "—"]],
                 caption="表1 鹤庆公司安全指标")})]))
    tracked = ('<text:tracked-changes>'
               '<text:changed-region text:id="ct1"><text:insertion><office:change-info><dc:creator>张明远</dc:creator>'
               '<dc:date>2022-10-10T09:00:00</dc:date></office:change-info></text:insertion></text:changed-region>'
               '<text:changed-region text:id="ct2"><text:deletion><office:change-info><dc:creator>张明远</dc:creator>'
               '<dc:date>2022-10-10T09:05:00</dc:date></office:change-info>'
               '<text:p text:style-name="Standard">（初稿数字待核）</text:p></text:deletion></text:changed-region>'
               '</text:tracked-changes>')
    changed = paragraph('公司党委把全厂划分为<text:change-start text:change-id="ct1"/>12个<text:change-end '
                        'text:change-id="ct1"/>党员安全责任区<text:change text:change-id="ct2"/>，每个责任区由一名党员负责。'
                        '<office:annotation><dc:creator>李华清</dc:creator><dc:date>2022-10-11T10:00:00</dc:date>'
                        '<text:p>请补充责任区的考核办法。</text:p></office:annotation>')
    body = common_body(styled).replace(paragraph(escape(SECTIONS[3][1])), changed)
    made["tracked_changes"] = document("\n".join([front(), body]), tracked=tracked)
    picture = base64.b64encode(minimal_emf()).decode("ascii")
    figure = ('<text:p text:style-name="Figure"><draw:frame draw:name="图片1" text:anchor-type="as-char" '
              'svg:width="5.29cm" svg:height="2.65cm"><draw:image><office:binary-data>' + picture +
              '</office:binary-data></draw:image></draw:frame></text:p>' +
              paragraph("图1 鹤庆公司党员安全责任区分布示意", "Figure"))
    made["emf_image"] = document("\n".join([front(), common_body(styled, {4: figure})]))
    return made


def main() -> int:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    for name, text in inputs().items():
        (HERE / f"{name}.fodt").write_text(text, encoding="utf-8")
    if soffice is None:
        print("soffice is not installed: wrote the .fodt files only", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as profile:
        for name in inputs():
            subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                            "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(HERE), str(HERE / f"{name}.fodt")],
                           check=True, capture_output=True, timeout=120)
            print(f"made {name}.docx")
        for target, filter_name in (("word97.doc", "doc"), ("wps2003.docx", "xml:MS Word 2003 XML")):
            with tempfile.TemporaryDirectory() as out:
                subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                                "--convert-to", filter_name, "--outdir", out, str(HERE / "merged_table.fodt")],
                               check=True, capture_output=True, timeout=120)
                (made,) = Path(out).iterdir()
                shutil.move(made, HERE / target)
            print(f"made {target}")
    try:
        import io

        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        print("msoffcrypto-tool is not installed: protected.docx was not made again", file=sys.stderr)
        return 0
    with (HERE / "merged_table.docx").open("rb") as source:
        encrypted = io.BytesIO()
        OOXMLFile(source).encrypt("secret", encrypted)
    (HERE / "protected.docx").write_bytes(encrypted.getvalue())
    print("made protected.docx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
