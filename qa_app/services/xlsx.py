"""Streaming, bounded reading of an .xlsx workbook: the rows of its first worksheet with data.

openpyxl (even ``read_only=True``) loads the whole shared-strings table and lets the XML parser
gather a cell of any size, so a 677 kB upload unpacking to 199 MB took 1.1 GB. This reader streams
each part through expat in 64 kB pieces and keeps only what the import can use:

* the worksheet is read until ``max_rows`` rows with data (then it stops: the caller refuses the
  file), at most ``max_scanned_rows`` rows in all and ``max_columns`` columns;
* the shared strings are read after the worksheet, keeping only the entries its kept rows use,
  and reading stops after the last one needed;
* a cell longer than ``MAX_CELL_CHARS`` (Excel's own limit), more than ``max_text_chars`` of kept
  text, more than ``max_unpacked`` bytes unpacked in all, a run of more than ``MAX_TOKEN_BYTES``
  without a ``>`` (a giant tag or attribute that expat would buffer), a DTD (entity expansion), or
  elements nested deeper than ``MAX_DEPTH``, or too many archive entries: :class:`XlsxError`, before
  the memory is spent.

Cell values are what openpyxl gives with ``data_only=True``: str, int, float, bool, and datetime,
time or timedelta for cells with a date format. Pure: the standard library and openpyxl's number
format helpers.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from posixpath import dirname, join, normpath
from typing import Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAX_CELL_CHARS = 32767  # Excel's limit for one cell
MAX_TOKEN_BYTES = 1 << 20  # bytes without a ">": no legitimate tag or cell comes near it
MAX_DEPTH = 64  # nested elements; a worksheet needs 7 (expat keeps every open one in memory)
MAX_ENTRIES = 10000  # archive members (a workbook has a few dozen)
# Shared strings read to find the ones used (~2 µs each): Excel numbers them in the order the
# cells appear, so the first rows of a sheet use the first ones.
MAX_SHARED_STRINGS = 1_000_000
MAX_SMALL_PART = 32 * 1024 * 1024  # workbook.xml, its relationships, styles.xml
CHUNK = 64 * 1024

_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_COLUMN_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d*)$")

Value = str | int | float | bool | datetime | time | timedelta


class XlsxError(ValueError):
    """The workbook cannot be read within the limits. ``reason`` says why:

    ``broken`` (not a readable zip or XML), ``not_workbook``, ``too_many_entries``, ``unpacked``
    (more than ``max_unpacked`` bytes), ``dtd``, ``token`` (a run of more than ``MAX_TOKEN_BYTES``
    without a ``>``), ``nesting`` (more than ``MAX_DEPTH`` nested elements), ``cell_too_long``
    (``line`` set), ``text``
    (more than ``max_text_chars``), ``strings`` (a cell uses shared string number
    ``MAX_SHARED_STRINGS`` or later), ``scanned`` (more than ``max_scanned_rows`` rows), ``empty``."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason if line is None else f"{reason} (row {line})")
        self.reason = reason
        self.line = line


@dataclass
class Sheet:
    """The rows read: (row number, values by column index from 0; None for an empty cell)."""

    title: str
    rows: list[tuple[int, list[Value | None]]]
    more: bool  # stopped at ``max_rows`` rows with data: the sheet has more
    unpacked: int = 0  # bytes inflated while reading


@dataclass(frozen=True)
class Limits:
    max_rows: int  # rows with data kept (header included); one more means "too many"
    max_columns: int = 30
    max_scanned_rows: int = 200_000
    max_text_chars: int = 16_000_000
    max_unpacked: int = 256 * 1024 * 1024


class _Shared:
    """A cell holding shared string number ``index`` until the table is read."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class _Stop(Exception):
    """Enough rows read."""


@dataclass
class _Budget:
    limits: Limits
    unpacked: int = 0
    text: int = 0

    def inflate(self, n: int) -> None:
        self.unpacked += n
        if self.unpacked > self.limits.max_unpacked:
            raise XlsxError("unpacked")

    def keep(self, n: int) -> None:
        self.text += n
        if self.text > self.limits.max_text_chars:
            raise XlsxError("text")


def read_first_sheet(data: bytes, limits: Limits) -> Sheet:
    """The rows of the active worksheet, or of the first one with data when it is empty."""
    # Each entry of the central directory starts with this signature: counted before zipfile
    # builds one object per entry (a 10 MB archive can list ~200,000 empty members).
    if data.count(b"PK\x01\x02") > MAX_ENTRIES:
        raise XlsxError("too_many_entries")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise XlsxError("broken") from None
    budget = _Budget(limits)
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        book_path = _office_document(archive, members, budget)
        if book_path not in members:
            raise XlsxError("not_workbook")
        sheets, active, epoch = _workbook(archive, members[book_path], budget)
        rels = _relationships(archive, members, book_path, budget)
        styles = rels.get("styles")
        dates, durations = _date_styles(archive, members, styles[0][1], budget) if styles else (set(), set())
        strings_path = rels["sharedStrings"][0][1] if "sharedStrings" in rels else None
        targets = rels.get("", [])
        order = [active] + [i for i in range(len(sheets)) if i != active] if sheets else []
        for position in order:
            if not 0 <= position < len(sheets):
                continue
            title, rel_id = sheets[position]
            path = next((p for rid, p, kind in targets if rid == rel_id and kind == "worksheet"), None)
            if path is None or path not in members:
                continue
            reader = _SheetReader(limits, budget, dates, durations, epoch)
            reader.read(archive, members[path])
            if reader.rows:
                if reader.shared:
                    if strings_path is None or strings_path not in members:
                        raise XlsxError("broken")
                    _resolve(archive, members[strings_path], reader, budget)
                return Sheet(title=title, rows=reader.rows, more=reader.more, unpacked=budget.unpacked)
    raise XlsxError("empty")


# ----------------------------------------------------------------------------------- parts


def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of an expat name made with ``namespace_separator=" "``."""
    namespace, _, local = name.rpartition(" ")
    return namespace, local


def _parse(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: _Budget,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
    *,
    limit: int | None = None,
) -> None:
    """Stream one archive member through expat (handlers may raise ``_Stop``)."""
    if limit is not None and info.file_size > limit:
        raise XlsxError("unpacked")
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: Any) -> None:
        raise XlsxError("dtd")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    depth = 0

    def opened(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise XlsxError("nesting")
        start(name, attrs)

    def closed(name: str) -> None:
        nonlocal depth
        depth -= 1
        if end is not None:
            end(name)

    parser.StartElementHandler = opened
    parser.EndElementHandler = closed
    if text is not None:
        parser.CharacterDataHandler = text
    gap = 0  # bytes since the last ">"
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                budget.inflate(len(chunk))
                last = chunk.rfind(b">")
                gap = gap + len(chunk) if last < 0 else len(chunk) - 1 - last
                if gap > MAX_TOKEN_BYTES:
                    raise XlsxError("token")
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        return
    except expat.ExpatError:
        raise XlsxError("broken") from None
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        if isinstance(exc, XlsxError):
            raise
        raise XlsxError("broken") from None  # bad CRC, unsupported compression, encrypted member


def _office_document(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], budget: _Budget) -> str:
    """The workbook part named by the package relationships (``xl/workbook.xml`` usually)."""
    info = members.get("_rels/.rels")
    found: list[str] = []
    if info is not None:

        def start(name: str, attrs: dict[str, str]) -> None:
            if _local(name)[1] == "Relationship" and attrs.get("Type", "").endswith("/officeDocument"):
                found.append(attrs.get("Target", ""))

        _parse(archive, info, budget, start, limit=MAX_SMALL_PART)
    return _part_path("", found[0]) if found else "xl/workbook.xml"


def _part_path(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return normpath(target.lstrip("/"))
    return normpath(join(base_dir, target))


def _workbook(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget
) -> tuple[list[tuple[str, str]], int, datetime]:
    """(title, relationship id) of each sheet, the active sheet's position, the date epoch."""
    sheets: list[tuple[str, str]] = []
    active, epoch = 0, CALENDAR_WINDOWS_1900

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal active, epoch
        local = _local(name)[1]
        if local == "sheet":
            rel_id = next((attrs[f"{ns} id"] for ns in _REL_NS if f"{ns} id" in attrs), "")
            sheets.append((attrs.get("name", ""), rel_id))
        elif local == "workbookView" and "activeTab" in attrs:
            active = _int(attrs["activeTab"], 0)
        elif local == "workbookPr" and attrs.get("date1904", "").lower() in ("1", "true"):
            epoch = CALENDAR_MAC_1904

    _parse(archive, info, budget, start, limit=MAX_SMALL_PART)
    return sheets, active, epoch


def _relationships(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], book_path: str, budget: _Budget
) -> dict[str, list[tuple[str, str, str]]]:
    """The workbook's relationships: "styles" and "sharedStrings" -> [(id, path, kind)], and
    "" -> every (id, path, kind) with kind "worksheet", "chartsheet", ..."""
    base = dirname(book_path)
    info = members.get(join(base, "_rels", book_path.rsplit("/", 1)[-1] + ".rels"))
    out: dict[str, list[tuple[str, str, str]]] = {"": []}
    if info is None:
        return out

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name)[1] != "Relationship" or attrs.get("TargetMode") == "External":
            return
        kind = attrs.get("Type", "").rsplit("/", 1)[-1]
        entry = (attrs.get("Id", ""), _part_path(base, attrs.get("Target", "")), kind)
        out[""].append(entry)
        if kind in ("styles", "sharedStrings"):
            out.setdefault(kind, []).append(entry)

    _parse(archive, info, budget, start, limit=MAX_SMALL_PART)
    return out


def _date_styles(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], path: str, budget: _Budget
) -> tuple[set[int], set[int]]:
    """Indexes of the cell formats (``s`` of a cell) showing a date or time, and a duration."""
    info = members.get(path)
    if info is None:
        return set(), set()
    custom: dict[int, str] = {}
    formats: list[int] = []
    in_cell_formats = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_cell_formats
        local = _local(name)[1]
        if local == "numFmt":
            custom[_int(attrs.get("numFmtId"), -1)] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            in_cell_formats += 1
        elif local == "xf" and in_cell_formats:
            formats.append(_int(attrs.get("numFmtId"), 0))

    def end(name: str) -> None:
        nonlocal in_cell_formats
        if _local(name)[1] == "cellXfs":
            in_cell_formats -= 1

    _parse(archive, info, budget, start, end, limit=MAX_SMALL_PART)
    dates, durations = set(), set()
    for position, number in enumerate(formats):
        code = custom.get(number, BUILTIN_FORMATS.get(number))
        if is_date_format(code):
            dates.add(position)
        if is_timedelta_format(code):
            durations.add(position)
    return dates, durations


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


# ----------------------------------------------------------------------------------- worksheet


@dataclass
class _SheetReader:
    limits: Limits
    budget: _Budget
    dates: set[int]
    durations: set[int]
    epoch: datetime
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    shared: dict[int, int] = field(default_factory=dict)  # shared string index -> first row using it
    more: bool = False
    scanned: int = 0
    # the row and cell being read
    row_number: int = 0
    cells: list[Any] = field(default_factory=list)
    column: int = -1
    kind: str = "n"
    style: int = 0
    parts: list[str] = field(default_factory=list)
    length: int = 0
    collecting: bool = False
    in_value: bool = False
    phonetic: int = 0

    def read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        _parse(archive, info, self.budget, self._start, self._end, self._text)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)[1]
        if local == "c":
            reference = attrs.get("r")
            match = _COLUMN_RE.match(reference) if reference else None
            self.column = _column_index(match.group(1)) if match else self.column + 1
            self.kind = attrs.get("t", "n")
            self.style = _int(attrs.get("s"), 0)
            self.parts, self.length, self.in_value = [], 0, False
        elif local == "v":
            self.collecting = self.in_value = True
        elif local == "t":
            self.collecting = self.kind == "inlineStr" and not self.phonetic
        elif local == "rPh":
            self.phonetic += 1
        elif local == "row":
            self.row_number = _int(attrs.get("r"), self.row_number + 1)
            self.cells, self.column = [], -1
            self.scanned += 1
            if self.scanned > self.limits.max_scanned_rows:
                raise XlsxError("scanned")

    def _text(self, data: str) -> None:
        if self.collecting:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise XlsxError("cell_too_long", self.row_number)
            self.parts.append(data)

    def _end(self, name: str) -> None:
        local = _local(name)[1]
        if local in ("v", "t"):
            self.collecting = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "c":
            if 0 <= self.column < self.limits.max_columns:
                value = self._value()
                if value is not None:
                    if len(self.cells) <= self.column:
                        self.cells.extend([None] * (self.column + 1 - len(self.cells)))
                    self.cells[self.column] = value
        elif local == "row":
            if self.cells:
                if len(self.rows) >= self.limits.max_rows:
                    self.more = True
                    raise _Stop
                self.rows.append((self.row_number, self.cells))
                for value in self.cells:
                    if isinstance(value, _Shared):
                        self.shared.setdefault(value.index, self.row_number)
                    elif isinstance(value, str):
                        self.budget.keep(len(value))
            self.cells = []

    def _value(self) -> Any:
        text = "".join(self.parts)
        kind = self.kind
        if kind == "inlineStr":
            return text or None
        if not self.in_value:
            return None
        if kind == "s":
            index = _int(text.strip(), -1)
            if index < 0:
                raise XlsxError("broken")
            return _Shared(index)
        if kind in ("str", "e"):
            return text or None
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(text.strip())
            except ValueError:
                return text or None
        number = _number(text.strip())
        if number is None:
            return text.strip() or None
        if self.style in self.dates:
            try:
                return from_excel(number, self.epoch, timedelta=self.style in self.durations)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


# ----------------------------------------------------------------------------------- shared strings


def _resolve(archive: zipfile.ZipFile, info: zipfile.ZipInfo, reader: _SheetReader, budget: _Budget) -> None:
    """Read the shared strings the kept rows use (and no more), then put them in the cells."""
    if max(reader.shared) >= MAX_SHARED_STRINGS:
        raise XlsxError("strings", reader.shared[max(reader.shared)])
    strings = _StringsReader(reader.shared, budget)
    _parse(archive, info, budget, strings.start, strings.end, strings.text)
    if len(strings.found) < len(reader.shared):
        raise XlsxError("broken")  # a cell names a string the table does not have
    for _, cells in reader.rows:
        for position, value in enumerate(cells):
            if isinstance(value, _Shared):
                cells[position] = strings.found[value.index] or None


@dataclass
class _StringsReader:
    wanted: dict[int, int]  # index -> first row using it
    budget: _Budget
    found: dict[int, str] = field(default_factory=dict)
    index: int = -1
    keep: bool = False
    collecting: bool = False
    phonetic: int = 0
    length: int = 0
    parts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.last = max(self.wanted)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)[1]
        if local == "si":
            self.index += 1
            if self.index > self.last:
                raise _Stop
            self.keep, self.length, self.parts = self.index in self.wanted, 0, []
        elif local == "t":
            self.collecting = self.keep and not self.phonetic
        elif local == "rPh":
            self.phonetic += 1

    def text(self, data: str) -> None:
        if self.collecting:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise XlsxError("cell_too_long", self.wanted[self.index])
            self.parts.append(data)

    def end(self, name: str) -> None:
        local = _local(name)[1]
        if local == "t":
            self.collecting = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "si" and self.keep:
            value = "".join(self.parts).replace("x005F_", "")  # as openpyxl reads it
            self.budget.keep(len(value))
            self.found[self.index] = value
