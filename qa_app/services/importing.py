"""Bulk question import, file half: read a CSV or XLSX upload, guess the column mapping, validate the rows.

Pure: no database, no web. Messages are Vietnamese literals because operators see them as they are
(they are deliberately not ``_()`` ids, which would need a catalogue entry).

    parsed = parse_file(upload.filename, data)          # ImportFileError when the file cannot be read at all
    mapping = guess_mapping(parsed.headers, parsed.rows) # field -> column index; the operator may change it
    rows, errors = validate_rows(parsed, mapping)        # good rows to import, one error per refused row

Line numbers are the row numbers the operator sees when opening the file in Excel: the header is line 1
in the usual file (blank rows above it are counted), and a CSV record with a quoted line break is one line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from qa_app.services import xlsx

FIELDS = ("text", "name", "contact", "ward", "channel", "received_at")
LOCAL_TZ = "Asia/Ho_Chi_Minh"
MIN_TEXT, MAX_TEXT = 10, 2000
MAX_NAME, MAX_CONTACT, MAX_WARD = 128, 255, 255
CHANNELS = ("phone", "email", "letter", "social", "import", "other")
TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
MAX_ROWS = 20000  # data rows of one file
MAX_BYTES = 10 * 1024 * 1024  # the upload itself
MAX_COLUMNS = 30  # columns kept; an import sheet has a handful
MAX_LINE_CHARS = 100_000  # one physical CSV line
MAX_RECORD_CHARS = 200_000  # one CSV record (quoted line breaks included)
MAX_TEXT_CHARS = 16_000_000  # text kept from an XLSX (its shared strings can be any size)
MAX_XLSX_UNCOMPRESSED = 256 * 1024 * 1024  # bytes inflated while reading an XLSX (zip bombs)

PHONE_RE = re.compile(r"^(?:\+?84|0)(?:[35789]\d{8}|2\d{9})$")
EXCEL_LOST_ZERO_RE = re.compile(r"^(?:[35789]\d{8}|2\d{9})$")  # a phone whose leading 0 a spreadsheet dropped
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}$")
_SEP_LINE_RE = re.compile(r"^\s*sep=(.)\s*$", re.IGNORECASE)
_DMY_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2})[:hH](\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_YMD_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_CONTROL_RE = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WS_RE = re.compile(r"\s+")
_BINARY_MAGIC = {
    b"%PDF": "PDF",
    b"\xd0\xcf\x11\xe0": "Excel 97-2003 (.xls) hoặc Word (.doc)",
    b"\x89PNG": "ảnh PNG",
    b"\xff\xd8\xff": "ảnh JPEG",
    b"GIF8": "ảnh GIF",
    b"{\\rtf": "RTF",
    b"Rar!": "RAR",
    b"\x1f\x8b": "gzip",
    b"7z\xbc\xaf": "7-Zip",
}

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "text": (
        "câu hỏi",
        "nội dung",
        "nội dung câu hỏi",
        "question",
        "questions",
        "question text",
        "ý kiến",
        "phản ánh",
        "kiến nghị",
        "text",
        "message",
        "nội dung phản ánh",
        "tin nhắn",
    ),
    "name": ("họ tên", "họ và tên", "tên", "người hỏi", "name", "full name", "người gửi", "tên người hỏi"),
    "contact": (
        "số điện thoại",
        "sđt",
        "sdt",
        "điện thoại",
        "email",
        "e-mail",
        "thư điện tử",
        "địa chỉ email",
        "liên hệ",
        "thông tin liên hệ",
        "contact",
        "phone",
        "phone number",
        "di động",
    ),
    "ward": ("phường", "xã", "phường/xã", "phường xã", "xã/phường", "địa chỉ", "ward", "address", "địa bàn"),
    "channel": ("kênh", "nguồn", "channel", "source", "kênh tiếp nhận", "hình thức"),
    "received_at": (
        "thời gian",
        "ngày",
        "ngày gửi",
        "timestamp",
        "received",
        "received at",
        "dấu thời gian",
        "thời điểm",
        "date",
        "ngày nhận",
        "thời gian gửi",
    ),
}

CHANNEL_ALIASES: dict[str, str] = {
    "phone": "phone",
    "dien thoai": "phone",
    "tong dai": "phone",
    "hotline": "phone",
    "goi dien": "phone",
    "email": "email",
    "e mail": "email",
    "thu dien tu": "email",
    "mail": "email",
    "letter": "letter",
    "thu": "letter",
    "thu tay": "letter",
    "buu dien": "letter",
    "cong van": "letter",
    "social": "social",
    "fanpage": "social",
    "facebook": "social",
    "fb": "social",
    "zalo": "social",
    "mang xa hoi": "social",
    "messenger": "social",
    "tiktok": "social",
    "youtube": "social",
    "import": "import",
    "other": "other",
    "khac": "other",
}


class ImportFileError(ValueError):
    """The whole file is refused (wrong type, encoding, empty, too large, no data); ``message`` is Vietnamese."""

    status_code = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileTooLarge(ImportFileError):
    status_code = 413


@dataclass(frozen=True)
class ParsedFile:
    """A readable upload: header names and data rows as NFC text, blank rows left out."""

    headers: list[str]
    rows: list[list[str]]
    file_kind: str  # "csv" or "xlsx"
    # The operator-visible line of each row (same order as ``rows``); empty means "row index + 2".
    lines: list[int] = field(default_factory=list)
    encoding: str | None = None  # CSV only: "utf-8", "utf-8-sig", "utf-16", "utf-32"
    delimiter: str | None = None  # CSV only; None for a one-column file
    sheet: str | None = None  # XLSX only: the worksheet read

    def preview(self, n: int = 5) -> list[list[str]]:
        """The first ``n`` data rows (copies)."""
        return [list(row) for row in self.rows[: max(n, 0)]]

    def line_of(self, index: int) -> int:
        """The operator-visible line number of ``rows[index]``."""
        return self.lines[index] if self.lines else index + 2


@dataclass(frozen=True)
class ImportRow:
    """One good row, ready to become a submission (channel defaults are the caller's business)."""

    line: int
    text: str
    name: str | None
    contact: str | None  # a phone as 0xxxxxxxxx or an e-mail in lower case
    ward: str | None
    channel: str | None  # one of CHANNELS
    received_at: datetime | None  # aware, UTC
    fingerprint: str


@dataclass(frozen=True)
class RowError:
    line: int
    message: str  # Vietnamese; several problems joined with "; "
    values: list[str]  # the row's cells as read


# --------------------------------------------------------------------------- text helpers


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _strip_format_chars(value: str) -> str:
    """Remove zero-width and bidi control characters (Unicode Cf), the BOM included."""
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf")


def _clean_cell(value: str) -> str:
    """NFC, unified line breaks, no stray BOM, stripped."""
    value = _nfc(value).replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return value.strip()


def _collapse(value: str) -> str:
    return _WS_RE.sub(" ", value).strip()


def _fold(value: str) -> str:
    """Lower case, no Vietnamese accents, ``đ`` -> ``d``, punctuation as single spaces: for header matching."""
    value = unicodedata.normalize("NFD", _nfc(value).lower().replace("đ", "d"))
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return _collapse(re.sub(r"[^0-9a-z]+", " ", value))


def _fingerprint_part(value: str | None) -> str:
    return _collapse(_nfc(value or "")).lower()


def row_fingerprint(text: str, contact: str | None, name: str | None) -> str:
    """sha256 hex of the normalised (NFC, whitespace collapsed, lower case) text, contact and name.

    Stable across imports: the same question from the same person gives the same value.
    """
    payload = "\x1f".join(_fingerprint_part(part) for part in (text, contact, name))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- parse_file


def parse_file(filename: str, data: bytes, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> ParsedFile:
    """Read a CSV (UTF-8 with or without BOM, UTF-16/32 with BOM; comma, semicolon or tab) or an XLSX upload.

    Streams: reading stops at the first data row past ``max_rows`` (the file is then refused), and
    memory stays bounded whatever the file holds (see the limits at the top of the module).
    Raises ImportFileError with a Vietnamese message when the file cannot be used at all.
    """
    name = (filename or "").strip()
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    check_size(len(data), max_bytes)
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ImportFileError("Tệp rỗng, không có dữ liệu.")
    if extension not in TEXT_EXTENSIONS + XLSX_EXTENSIONS:
        raise ImportFileError(
            f"Không nhận tệp “{name or 'không tên'}”: chỉ nhận bảng tính CSV (.csv, .tsv, .txt) hoặc Excel (.xlsx)."
        )
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise ImportFileError(
                f"Tệp “{name}” là tệp {kind}, không phải bảng tính CSV hoặc Excel (.xlsx). "
                "Hãy mở tệp trong Excel rồi lưu lại dưới dạng .xlsx hoặc CSV UTF-8."
            )
    if data.startswith(b"PK\x03\x04"):
        if extension in TEXT_EXTENSIONS:
            raise ImportFileError(
                f"Tệp “{name}” có đuôi {extension} nhưng nội dung là tệp nén (có thể là Excel .xlsx bị đổi tên). "
                "Hãy đổi đuôi thành .xlsx hoặc lưu lại dưới dạng CSV UTF-8."
            )
        sheet = _read_xlsx(data, name, max_rows)
        grid = ((line, [_cell_text(value) for value in values]) for line, values in sheet.rows)
        headers, rows, lines = _table(grid, max_rows, more=sheet.more)
        return ParsedFile(headers=headers, rows=rows, file_kind="xlsx", lines=lines, sheet=sheet.title)
    if extension in XLSX_EXTENSIONS:
        raise ImportFileError(
            f"Tệp “{name}” có đuôi {extension} nhưng không phải tệp Excel hợp lệ (có thể bị hỏng hoặc bị đổi tên)."
        )
    encoding = _check_text(data, name)
    records, delimiter = _read_csv(data, encoding, name)
    headers, rows, lines = _table(records, max_rows)
    return ParsedFile(headers=headers, rows=rows, file_kind="csv", lines=lines, encoding=encoding, delimiter=delimiter)


def check_size(size: int, max_bytes: int = MAX_BYTES) -> None:
    """FileTooLarge when a file of ``size`` bytes is over the limit (checked before reading it)."""
    if size > max_bytes:
        raise FileTooLarge(
            f"Tệp quá lớn ({_size(size)}); chỉ nhận tệp tối đa {_size(max_bytes)}. Hãy chia nhỏ tệp rồi nhập từng phần."
        )


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB").replace(".", ",")
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} byte"


def _num(n: int) -> str:
    """20000 -> "20.000" (Vietnamese thousands separator)."""
    return f"{n:,}".replace(",", ".")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _check_text(data: bytes, name: str) -> str:
    """The encoding of a CSV upload, once the whole file is known to decode and to be text.

    Only UTF-8 (BOM optional) and BOM-marked UTF-16/32. Decoded 1 MB at a time: the file's text is
    never held whole (a 10 MB file with one emoji is 40 MB as one Python string)."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    if encoding == "utf-8" and data.count(b"\x00") > max(3, len(data) // 10):
        raise ImportFileError(
            f"Tệp “{name}” không phải văn bản CSV đọc được (có thể là UTF-16 không có BOM hoặc tệp nhị phân). "
            "Hãy lưu lại dưới dạng “CSV UTF-8” hoặc .xlsx."
        )
    decoder = codecs.getincrementaldecoder(encoding)()
    length = nuls = controls = 0
    step = 1 << 20
    for start in range(0, len(data), step):
        try:
            text = decoder.decode(data[start : start + step], final=start + step >= len(data))
        except UnicodeDecodeError as exc:
            held = len(decoder.getstate()[0]) if exc.start > 0 else 0
            position = max(0, start - held + exc.start)
            line = data[:position].count(b"\n") + 1
            if encoding == "utf-8":
                raise ImportFileError(
                    f"Tệp “{name}” không được lưu bằng bảng mã UTF-8 (ký tự lỗi đầu tiên ở dòng {line}), "
                    "có thể là bảng mã Windows-1258/1252 hoặc TCVN3 cũ; nếu nhập sẽ bị lỗi font tiếng Việt. "
                    "Trong Excel hãy chọn Lưu thành (Save As) → “CSV UTF-8 (Comma delimited)”, "
                    "hoặc lưu dưới dạng .xlsx rồi nhập lại."
                ) from None
            raise ImportFileError(
                f"Tệp “{name}” bị hỏng: không đọc được theo bảng mã {encoding.upper()} (dòng {line})."
            ) from None
        length += len(text)
        nuls += text.count("\x00")
        controls += sum(1 for _ in _CONTROL_RE.finditer(text))
    if nuls > max(3, length // 100):
        raise ImportFileError(
            f"Tệp “{name}” không phải văn bản CSV đọc được (có thể là UTF-16 không có BOM hoặc tệp nhị phân). "
            "Hãy lưu lại dưới dạng “CSV UTF-8” hoặc .xlsx."
        )
    if controls > max(3, length // 100):
        raise ImportFileError(f"Tệp “{name}” chứa dữ liệu nhị phân, không phải bảng tính CSV.")
    return encoding


class _Lines:
    """Physical lines of a text stream for ``csv.reader``, each at most ``MAX_LINE_CHARS`` long, and
    at most ``MAX_RECORD_CHARS`` since the caller last reset ``pending`` (one record)."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream = stream
        self.pending = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_LINE_CHARS)
        if not line:
            raise StopIteration
        self.pending += len(line)
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _TooLong
        if self.pending > MAX_RECORD_CHARS:
            raise _TooLong
        return line


class _TooLong(Exception):
    pass


def _read_csv(data: bytes, encoding: str, name: str) -> tuple[Iterator[tuple[int, list[str]]], str | None]:
    """(line, cells) for every record, blank ones included, read as they are consumed, and the
    delimiter found (None: one column)."""
    head = data[:262144].decode(encoding, errors="ignore").removeprefix("\ufeff")
    first_line = head.partition("\n")[0]
    hinted = _SEP_LINE_RE.match(first_line)  # Excel's "sep=;" hint; Excel hides that line
    delimiter = hinted.group(1) if hinted else _sniff_delimiter(head, complete=len(data) <= 262144)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    if hinted:
        stream.readline()

    def records() -> Iterator[tuple[int, list[str]]]:
        lines = _Lines(stream)
        # A one-column file is split on nothing, so commas inside an unquoted question stay where they are.
        reader = csv.reader(lines, delimiter=delimiter or "\x1f", quotechar='"')
        number = 0
        try:
            for number, record in enumerate(reader, start=1):
                lines.pending = 0
                # csv builds the whole record; only the columns an import can use are kept
                yield number, record[:MAX_COLUMNS]
        except _TooLong:
            raise ImportFileError(
                f"Tệp “{name}” có dòng {number + 1} dài hơn {_num(MAX_LINE_CHARS)} ký tự "
                "(có thể thiếu dấu ngoặc kép đóng, hoặc không phải bảng tính CSV)."
            ) from None
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise ImportFileError(
                    f"Tệp “{name}” có một ô dài hơn {_num(csv.field_size_limit())} ký tự ở dòng {number + 1} "
                    "(có thể thiếu dấu ngoặc kép đóng)."
                ) from None
            raise ImportFileError(f"Tệp CSV bị lỗi định dạng ở dòng {number + 1}: {exc}.") from None

    return records(), delimiter


def _sniff_delimiter(text: str, *, complete: bool = True) -> str | None:
    """Tab, semicolon, comma or pipe: the one giving the header >1 column and the most consistent rows.

    ``text`` is the start of the file (all of it when ``complete``). None when no candidate splits
    the header (a one-column file).
    """
    sample = text[:65536]
    if (len(text) > len(sample) or not complete) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # the last line may be cut in half
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for priority, candidate in enumerate(("\t", ";", ",", "|")):
        rows: list[list[str]] = []
        try:
            for record in csv.reader(io.StringIO(sample, newline=""), delimiter=candidate):
                if record:
                    rows.append(record)
                if len(rows) >= 50:
                    break
        except csv.Error:
            pass  # a quoted cell cut by the sample: judge on the rows read so far
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:] or rows
        consistency = sum(1 for row in body if len(row) == width) / len(body)
        score = (consistency, width, -priority)
        if best is None or score > best:
            best, chosen = score, candidate
    return chosen


_XLSX_REFUSALS = {
    "broken": "Tệp “{name}” bị hỏng, không mở được như tệp Excel (.xlsx).",
    "not_workbook": "Tệp “{name}” là tệp nén nhưng không phải bảng tính Excel (.xlsx).",
    "too_many_entries": "Tệp “{name}” là tệp nén nhưng không phải bảng tính Excel (.xlsx).",
    "unpacked": ("Tệp “{name}” quá lớn khi giải nén (hơn {unpacked}); hãy chia nhỏ hoặc lưu dưới dạng CSV."),
    "dtd": "Tệp “{name}” chứa khai báo XML không được phép (DTD); hãy mở trong Excel rồi lưu lại dưới dạng .xlsx.",
    "cell_too_long": ("Tệp “{name}” có một ô dài hơn {cell} ký tự (giới hạn của Excel){where}; tệp có thể bị hỏng."),
    "token": "Tệp “{name}” có cấu trúc bất thường (một đoạn dài hơn 1 MB không ngắt); tệp có thể bị hỏng.",
    "nesting": "Tệp “{name}” có cấu trúc bất thường (các thẻ XML lồng nhau quá sâu); tệp có thể bị hỏng.",
    "text": "Tệp “{name}” có quá nhiều chữ (hơn {text} ký tự); hãy chia thành nhiều tệp nhỏ hơn.",
    "strings": (
        "Tệp “{name}” có hơn {strings} chuỗi chữ khác nhau{upto}; hãy chép trang tính cần nhập sang một tệp mới."
    ),
    "scanned": (
        "Tệp “{name}” có hơn {scanned} dòng (kể cả dòng trống); hãy xoá các dòng trống thừa hoặc chia nhỏ tệp."
    ),
    "empty": "Tệp “{name}” không có dữ liệu: mọi trang tính đều trống.",
}


def _read_xlsx(data: bytes, name: str, max_rows: int) -> xlsx.Sheet:
    """The first worksheet with data, read until one data row past ``max_rows``."""
    limits = xlsx.Limits(
        max_rows=max_rows + 2,  # the header, max_rows data rows, and one to tell "too many"
        max_columns=MAX_COLUMNS,
        max_scanned_rows=_max_scanned(max_rows),
        max_text_chars=MAX_TEXT_CHARS,
        max_unpacked=MAX_XLSX_UNCOMPRESSED,
    )
    try:
        return xlsx.read_first_sheet(data, limits)
    except xlsx.XlsxError as exc:
        raise ImportFileError(
            _XLSX_REFUSALS.get(exc.reason, _XLSX_REFUSALS["broken"]).format(
                name=name,
                unpacked=_size(MAX_XLSX_UNCOMPRESSED),
                cell=_num(xlsx.MAX_CELL_CHARS),
                where=f" ở dòng {exc.line}" if exc.line else "",
                upto=f" (tính đến dòng {exc.line})" if exc.line else "",
                text=_num(MAX_TEXT_CHARS),
                scanned=_num(_max_scanned(max_rows)),
                strings=_num(xlsx.MAX_SHARED_STRINGS),
            )
        ) from None


def _max_scanned(max_rows: int) -> int:
    """Rows read in all, blank ones included, before a file is refused: reading them costs time."""
    return 10 * max_rows + 1000


def _cell_text(value: object) -> str:
    """An XLSX cell as the operator would type it: dd/mm/yyyy HH:MM, integers without .0, phones with their 0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    if isinstance(value, int):
        digits = str(value)
        # A mobile number typed into a number cell lost its leading 0: 903123456 -> 0903123456.
        return "0" + digits if len(digits) == 9 and digits[0] in "35789" else digits
    if isinstance(value, float):
        return format(value, ".15g")
    return _clean_cell(str(value))


def _table(
    grid: Iterable[tuple[int, list[str]]], max_rows: int, *, more: bool = False
) -> tuple[list[str], list[list[str]], list[int]]:
    """Header (first non-blank row), rectangular data rows without blank ones, and their line numbers.

    Consumes ``grid`` only up to the first data row past ``max_rows`` (``more``: the reader stopped
    there already)."""
    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    scanned, most = 0, _max_scanned(max_rows)
    for line, raw in grid:
        scanned += 1
        if scanned > most:
            raise ImportFileError(
                f"Tệp có hơn {_num(most)} dòng (kể cả dòng trống); hãy xoá các dòng trống thừa hoặc chia nhỏ tệp."
            )
        cells = [_clean_cell(cell) for cell in raw[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        if len(body) >= max_rows:
            raise _too_many_rows(max_rows, line)
        body.append((line, cells))
    if header is None:
        raise ImportFileError("Tệp rỗng, không có dữ liệu.")
    if more:
        raise _too_many_rows(max_rows, body[-1][0] if body else None)
    if not body:
        raise ImportFileError(
            "Tệp chỉ có dòng tiêu đề, không có dòng câu hỏi nào. Dòng 1 phải là tiêu đề cột, câu hỏi từ dòng 2."
        )
    width = max(len(header), *(len(cells) for _, cells in body))
    # Drop trailing columns that are empty everywhere (formatted but unused in Excel).
    while width > 1 and not any(
        len(cells) >= width and cells[width - 1] for cells in (header, *(cells for _, cells in body))
    ):
        width -= 1
    headers = (header + [""] * width)[:width]
    rows = [(cells + [""] * width)[:width] for _, cells in body]
    return headers, rows, [line for line, _ in body]


def _too_many_rows(max_rows: int, line: int | None) -> ImportFileError:
    where = f" (đã dừng đọc ở dòng {_num(line)})" if line else ""
    return ImportFileError(
        f"Tệp có hơn {_num(max_rows)} dòng dữ liệu, vượt giới hạn {_num(max_rows)} dòng cho một lần nhập{where}. "
        "Hãy chia thành nhiều tệp nhỏ hơn."
    )


# --------------------------------------------------------------------------- guess_mapping


def guess_mapping(headers: Sequence[str], rows: Sequence[Sequence[str]] | None = None) -> dict[str, int | None]:
    """Field -> column index (None when no column fits), from Vietnamese or English header names.

    Accents, case and punctuation are ignored; an exact name beats a name contained in the header, a longer
    name beats a shorter one, and each column serves one field. When no header names the question text and
    ``rows`` are given, the column with the longest average cell length (among the unused ones) is taken.
    """
    folded = [_fold(header) for header in headers]
    candidates: list[tuple[int, int, int, str]] = []  # (score, -column, -field order, field)
    for order, name in enumerate(FIELDS):
        synonyms = {_fold(s) for s in HEADER_SYNONYMS[name]}
        for column, header in enumerate(folded):
            if not header:
                continue
            score = 0
            for synonym in synonyms:
                if header == synonym:
                    score = max(score, 1000 + len(synonym))
                elif f" {synonym} " in f" {header} ":
                    score = max(score, len(synonym))
            if score:
                candidates.append((score, -column, -order, name))
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS)
    used: set[int] = set()
    for _score, neg_column, _order, name in sorted(candidates, reverse=True):
        column = -neg_column
        if mapping[name] is None and column not in used:
            mapping[name] = column
            used.add(column)
    if mapping["text"] is None and rows:
        sample = rows[:500]
        best_length = 0.0
        for column in range(len(headers)):
            if column in used:
                continue
            average = sum(len(row[column]) if column < len(row) else 0 for row in sample) / len(sample)
            if average > best_length:
                best_length, mapping["text"] = average, column
    return mapping


# --------------------------------------------------------------------------- validate_rows


def validate_rows(parsed: ParsedFile, mapping: dict[str, int | None]) -> tuple[list[ImportRow], list[RowError]]:
    """Good rows and row errors, in file order.

    Rows whose mapped cells are all blank are skipped silently. A row with any problem is reported (all its
    problems in one message) and not imported; a row repeating an earlier good row of the file (same
    fingerprint) is reported as "Trùng với dòng N".
    """
    width = len(parsed.headers)
    for name, column in mapping.items():
        if name not in FIELDS:
            raise ImportFileError(f"Trường “{name}” không có trong danh sách trường nhập.")
        if column is not None and not 0 <= column < max(width, 1):
            raise ImportFileError(f"Cột được chọn cho trường “{name}” không có trong tệp.")
    if mapping.get("text") is None:
        raise ImportFileError("Chưa chọn cột chứa nội dung câu hỏi.")
    columns = {name: mapping.get(name) for name in FIELDS}
    good: list[ImportRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(parsed.rows):
        line = parsed.line_of(index)
        cells = {
            name: (_nfc(raw[column]) if column is not None and column < len(raw) else "")
            for name, column in columns.items()
        }
        if not any(value.strip() for value in cells.values()):
            continue
        row, problems = _validate_row(line, cells)
        if row is not None and row.fingerprint in seen:
            problems.append(f"Trùng với dòng {seen[row.fingerprint]}")
        if problems or row is None:
            errors.append(RowError(line=line, message="; ".join(problems) + ".", values=list(raw)))
            continue
        seen[row.fingerprint] = line
        good.append(row)
    return good, errors


def _validate_row(line: int, cells: dict[str, str]) -> tuple[ImportRow | None, list[str]]:
    problems: list[str] = []
    for name, label in (
        ("name", "Họ tên"),
        ("contact", "Liên hệ"),
        ("ward", "Phường/xã"),
        ("channel", "Kênh"),
        ("received_at", "Thời gian"),
    ):
        if "\x00" in cells[name]:
            problems.append(f"{label} chứa ký tự không hợp lệ (NUL)")
            cells[name] = ""

    text, text_problem = _clean_text(cells["text"])
    if text_problem:
        problems.append(text_problem)

    name = _collapse(_strip_format_chars(cells["name"]))
    if len(name) > MAX_NAME:
        problems.append(f"Họ tên quá dài ({len(name)} ký tự, tối đa {MAX_NAME})")

    contact_raw = _collapse(_strip_format_chars(cells["contact"]))
    contact = normalize_contact(contact_raw) if contact_raw else None
    if contact_raw and contact is None:
        problems.append(
            f"Liên hệ “{_short(contact_raw)}” không hợp lệ: cần số điện thoại Việt Nam "
            "(10 số bắt đầu bằng 03, 05, 07, 08, 09 hoặc số bàn 02x) hoặc địa chỉ email"
        )

    ward = _collapse(_strip_format_chars(cells["ward"]))
    if len(ward) > MAX_WARD:
        problems.append(f"Phường/xã quá dài ({len(ward)} ký tự, tối đa {MAX_WARD})")

    channel_raw = _collapse(_strip_format_chars(cells["channel"]))
    channel = normalize_channel(channel_raw) if channel_raw else None

    received_raw = _collapse(_strip_format_chars(cells["received_at"]))
    received_at = None
    if received_raw:
        received_at = parse_received_at(received_raw)
        if received_at is None:
            problems.append(
                f"Thời gian “{_short(received_raw)}” không hợp lệ: dùng dạng dd/mm/yyyy HH:MM hoặc yyyy-mm-dd HH:MM"
            )

    if problems:
        return None, problems
    return (
        ImportRow(
            line=line,
            text=text,
            name=name or None,
            contact=contact,
            ward=ward or None,
            channel=channel,
            received_at=received_at,
            fingerprint=row_fingerprint(text, contact, name or None),
        ),
        problems,
    )


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _clean_text(raw: str) -> tuple[str, str | None]:
    """The question text (NFC, stripped, stray control characters removed) and why it is refused, if it is."""
    if "\x00" in raw:
        return "", "Nội dung câu hỏi chứa ký tự không hợp lệ (NUL)"
    text = _CONTROL_RE.sub("", _nfc(raw))
    text = text.strip().strip("\u200b\u200c\u200d\u2060\ufeff").strip()
    if not text:
        return "", "Thiếu nội dung câu hỏi"
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        return "", "Nội dung câu hỏi chỉ có ký hiệu hoặc biểu tượng cảm xúc, không có chữ hay số"
    if len(text) < MIN_TEXT:
        return "", f"Nội dung câu hỏi quá ngắn ({len(text)} ký tự, tối thiểu {MIN_TEXT})"
    if len(text) > MAX_TEXT:
        return "", f"Nội dung câu hỏi quá dài ({_num(len(text))} ký tự, tối đa {_num(MAX_TEXT)})"
    return text, None


def normalize_contact(value: str) -> str | None:
    """A Vietnamese phone as ``0xxxxxxxxx`` (mobile) / ``02xxxxxxxxx`` (landline) or an e-mail in lower case.

    Spaces, dots, dashes and brackets are allowed in phones, as are the +84/84 forms and a leading 0 that a
    spreadsheet dropped. None when the value is neither.
    """
    value = value.strip()
    if len(value) > MAX_CONTACT:
        return None
    compact = re.sub(r"[\s.\-()]", "", value)
    if EXCEL_LOST_ZERO_RE.match(compact):
        compact = "0" + compact
    if PHONE_RE.match(compact):
        digits = compact.lstrip("+")
        return "0" + digits[2:] if digits.startswith("84") else digits
    if EMAIL_RE.match(value):
        return value.lower()
    return None


def normalize_channel(value: str) -> str:
    """One of CHANNELS from an English or Vietnamese label; anything unknown is "other"."""
    return CHANNEL_ALIASES.get(_fold(value), "other")


def parse_received_at(value: str, tz: str = LOCAL_TZ) -> datetime | None:
    """dd/mm/yyyy[ HH:MM[:SS]] or yyyy-mm-dd[ HH:MM[:SS]] as local time (ISO with an offset as given) -> UTC.

    None when the value is not such a date or the date does not exist.
    """
    value = value.strip()
    parts: tuple[str | None, ...] | None = None
    if match := _DMY_RE.match(value):
        day, month, year, *clock = match.groups()
        parts = (year, month, day, *clock)
    elif match := _YMD_RE.match(value):
        parts = match.groups()
    if parts is not None:
        year, month, day, hour, minute, second = (int(p) if p else 0 for p in parts)
        try:
            naive = datetime(year, month, day, hour, minute, second)
        except ValueError:
            return None
        return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(UTC)
