"""Hand-made .xlsx files, hostile ones included: zip bombs (a tiny file unpacking to a huge sheet or
shared-strings table), gigantic cells and tags, DTDs. Written part by part with ``zipfile``, so a
200 MB sheet costs a fraction of a second and no memory."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
QUESTION = "Xin hỏi khi nào đường Nguyễn Văn Linh đoạn qua phường Tân Hưng được sửa xong ạ?"

_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_BOOK_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
# Cell format 1 shows dd/mm/yyyy hh:mm (a custom date format), 2 a built-in date (14).
_STYLES = (
    f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/>'
    '</numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
)


def workbook(
    sheet: Iterable[bytes],
    strings: Iterable[bytes] = (),
    *,
    date1904: bool = False,
    prefix: str = "",
) -> bytes:
    """An .xlsx whose sheet is the concatenation of ``sheet`` (the rows inside ``<sheetData>``) and
    whose shared-strings table is ``strings`` (the ``<si>`` elements). ``prefix`` writes the sheet
    with a namespace prefix (``x:row``), as some generators do."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", XML + _TYPES.encode())
        archive.writestr("_rels/.rels", XML + _PACKAGE_RELS.encode())
        properties = '<workbookPr date1904="1"/>' if date1904 else ""
        book = (
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"{properties}"
            '<sheets><sheet name="Câu hỏi" sheetId="1" r:id="rId1"/></sheets></workbook>'
        )
        archive.writestr("xl/workbook.xml", XML + book.encode())
        archive.writestr("xl/_rels/workbook.xml.rels", XML + _BOOK_RELS.encode())
        archive.writestr("xl/styles.xml", XML + _STYLES.encode())
        p = f"{prefix}:" if prefix else ""
        namespace = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(XML + f"<{p}worksheet {namespace}><{p}sheetData>".encode())
            for chunk in sheet:
                part.write(chunk)
            part.write(f"</{p}sheetData></{p}worksheet>".encode())
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(XML + f'<sst xmlns="{MAIN}">'.encode())
            for chunk in strings:
                part.write(chunk)
            part.write(b"</sst>")
    return buffer.getvalue()


def repeat(block: bytes, times: int, per_write: int = 10000) -> Iterable[bytes]:
    """``block`` ``times`` times, written ``per_write`` at a time."""
    chunk = block * per_write
    for _ in range(times // per_write):
        yield chunk
    yield block * (times % per_write)


HEADER_STRINGS = f"<si><t>Câu hỏi</t></si><si><t>{QUESTION}</t></si>".encode()
HEADER_ROW = b'<row><c t="s"><v>0</v></c></row>'
QUESTION_ROW = b'<row><c t="s"><v>1</v></c><c><v>903123456</v></c><c s="1"><v>45731.5</v></c></row>'


def row_bomb(rows: int = 1_800_000) -> bytes:
    """The attack of the issue: ~0.4 MB on the wire, ~150 MB of sheet XML, ``rows`` data rows."""
    return workbook([HEADER_ROW, *repeat(QUESTION_ROW, rows)], [HEADER_STRINGS])


def strings_bomb(strings: int = 3_000_000, use: int = 1) -> bytes:
    """A few rows over a shared-strings table of ``strings`` entries; the last row uses entry ``use``."""
    last = f'<row><c t="s"><v>{use}</v></c></row>'.encode()
    return workbook([HEADER_ROW, QUESTION_ROW, last], [HEADER_STRINGS, *repeat(b"<si><t>x</t></si>", strings)])


def giant_inline_cell(chars: int = 50_000_000) -> bytes:
    cell = [b'<row><c t="inlineStr"><is><t>', *repeat(b"a", chars, 1 << 20), b"</t></is></c></row>"]
    return workbook([HEADER_ROW, QUESTION_ROW, *cell], [HEADER_STRINGS])


def giant_shared_string(chars: int = 50_000_000, used: bool = True) -> bytes:
    """A table whose entry 2 is one enormous string; the sheet uses it (or not)."""
    use = b'<row><c t="s"><v>2</v></c></row>' if used else b""
    table = [HEADER_STRINGS, b"<si><t>", *repeat(b"b", chars, 1 << 20), b"</t></si>"]
    return workbook([HEADER_ROW, QUESTION_ROW, use], table)


def giant_attribute(size: int = 50_000_000) -> bytes:
    """One start tag of ``size`` bytes: expat would keep it whole before any handler runs."""
    tag = [b'<row><c t="n" x="', *repeat(b"c", size, 1 << 20), b'"><v>1</v></c></row>']
    return workbook([HEADER_ROW, QUESTION_ROW, *tag], [HEADER_STRINGS])


def blank_rows(rows: int = 1_000_000) -> bytes:
    """Formatted but empty rows after the data (a styled cell without a value)."""
    return workbook([HEADER_ROW, QUESTION_ROW, *repeat(b'<row><c s="1"/></row>', rows)], [HEADER_STRINGS])


def far_column() -> bytes:
    """Every row also has a cell in column XFD (16,384), the last one Excel allows."""
    row = b'<row><c t="s"><v>1</v></c><c r="XFD1" t="inlineStr"><is><t>far</t></is></c></row>'
    return workbook([HEADER_ROW, *repeat(row, 20000)], [HEADER_STRINGS])


def nesting_bomb(levels: int = 30_000_000) -> bytes:
    """Elements nested ``levels`` deep inside a cell (~90 MB unpacked): expat keeps each open one."""
    cell = [b'<row><c t="inlineStr"><is>', *repeat(b"<r>", levels, 1 << 20)]
    return workbook([HEADER_ROW, *cell], [HEADER_STRINGS])


def entity_bomb() -> bytes:
    """The "billion laughs": nested entities in a DTD."""
    entities = "".join(f'<!ENTITY e{i} "{("&e" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY e0 "haha">{entities}]>'
        f'<worksheet xmlns="{MAIN}"><sheetData><row><c t="inlineStr"><is><t>&e9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    data = workbook([HEADER_ROW], [HEADER_STRINGS])
    return replace_part(data, "xl/worksheets/sheet1.xml", sheet.encode())


def many_entries(count: int = 20000) -> bytes:
    """A workbook padded with ``count`` empty archive members."""
    source = zipfile.ZipFile(io.BytesIO(workbook([HEADER_ROW, QUESTION_ROW], [HEADER_STRINGS])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        for n in range(count):
            archive.writestr(f"xl/media/p{n}.bin", b"")
    return buffer.getvalue()


def replace_part(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, content if info.filename == name else source.read(info.filename))
    return buffer.getvalue()


def unpacked_size(data: bytes) -> int:
    return sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
