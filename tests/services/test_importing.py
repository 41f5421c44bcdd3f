"""The file half of the bulk question import: reading CSV/XLSX, guessing the mapping, validating rows."""

from __future__ import annotations

import gc
import io
import tracemalloc
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from qa_app.services import importing, xlsx
from qa_app.services.importing import (
    FIELDS,
    ImportFileError,
    ImportRow,
    ParsedFile,
    RowError,
    guess_mapping,
    normalize_channel,
    normalize_contact,
    parse_file,
    parse_received_at,
    validate_rows,
)
from tests import spreadsheets

Q1 = "Khi nào đường Nguyễn Văn Linh được sửa xong, xe cộ đi lại rất khó?"
Q2 = "Phường tôi bị ngập mỗi khi mưa lớn, bao giờ có cống mới?"
HEADER = ["Họ tên", "Số điện thoại", "Câu hỏi", "Phường/xã", "Kênh", "Ngày gửi"]
ROWS = [
    ["Nguyễn Văn An", "0903 123 456", Q1, "Phường Bến Thành", "Zalo", "15/03/2025 20:05"],
    ["Trần Thị Bình", "binh@example.vn", Q2, "Xã Bình Chánh", "tổng đài", "2025-03-16"],
]


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    def quote(cell: str) -> str:
        if any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    text = "".join(delimiter.join(quote(c) for c in row) + newline for row in rows)
    return text.encode(encoding)  # utf-8-sig and utf-16 write their BOM once, at the start


def cp1258(text: str) -> bytes:
    """Vietnamese in Windows-1258, as old Excel versions save CSV: precomposed base letter + combining tone."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += (base + tones).encode("cp1258")
    return out


def xlsx_bytes(rows: Sequence[Sequence[object]], title: str = "Câu hỏi") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def full_mapping() -> dict[str, int | None]:
    return {"name": 0, "contact": 1, "text": 2, "ward": 3, "channel": 4, "received_at": 5}


def parsed(rows: list[list[str]], headers: list[str] | None = None) -> ParsedFile:
    """A ParsedFile built by hand (validate_rows must not depend on how it was read)."""
    return ParsedFile(headers=headers or list(HEADER), rows=rows, file_kind="csv")


def row(
    text: str = Q1, name: str = "", contact: str = "", ward: str = "", channel: str = "", when: str = ""
) -> list[str]:
    return [name, contact, text, ward, channel, when]


# --------------------------------------------------------------------------- CSV reading


@pytest.mark.parametrize(
    ("encoding", "delimiter", "newline"),
    [
        ("utf-8", ",", "\r\n"),
        ("utf-8", ",", "\n"),
        ("utf-8-sig", ",", "\r\n"),
        ("utf-8-sig", ";", "\r\n"),
        ("utf-8", ";", "\n"),
        ("utf-8", "\t", "\n"),
        ("utf-16", "\t", "\r\n"),
    ],
    ids=["utf8-comma-crlf", "utf8-comma-lf", "bom-comma", "bom-semicolon", "utf8-semicolon", "utf8-tab", "utf16-tab"],
)
def test_csv_encodings_and_delimiters(encoding: str, delimiter: str, newline: str) -> None:
    data = csv_bytes([HEADER, *ROWS], delimiter=delimiter, encoding=encoding, newline=newline)
    result = parse_file("cau-hoi.csv", data)
    assert result.file_kind == "csv"
    assert result.delimiter == delimiter
    assert result.headers == HEADER
    assert result.rows == ROWS
    assert result.lines == [2, 3]
    assert result.preview(1) == [ROWS[0]]


def test_semicolon_file_with_commas_in_text_is_not_split_on_commas() -> None:
    data = (
        "Họ tên;Câu hỏi;SĐT\nAn;Xin hỏi, khi nào, ở đâu, bao giờ sửa đường?;0903123456\n"
        "Bình;Tôi muốn hỏi, về học phí năm nay ra sao?;0912345678\n"
    ).encode()
    result = parse_file("hotline.csv", data)
    assert result.delimiter == ";"
    assert result.rows[0] == ["An", "Xin hỏi, khi nào, ở đâu, bao giờ sửa đường?", "0903123456"]


@pytest.mark.parametrize(
    "data",
    [
        f"Câu hỏi\n{Q1}\n{Q2}\n",
        f'Câu hỏi\r\n"{Q1}"\r\n"{Q2}"\r\n',
        f"\ufeffCâu hỏi\n{Q1}\n{Q2}\n",
    ],
    ids=["unquoted", "quoted", "bom"],
)
def test_one_column_file_keeps_commas_in_the_text(data: str) -> None:
    result = parse_file("x.csv", data.encode())
    assert result.delimiter is None
    assert result.headers == ["Câu hỏi"]
    assert result.rows == [[Q1], [Q2]]


def test_quoted_line_break_blank_lines_and_line_numbers() -> None:
    data = f'Câu hỏi,Họ tên\n"{Q1}\nDòng thứ hai của câu hỏi",An\n\n,\n"{Q2}",Bình\n'.encode()
    result = parse_file("x.csv", data)
    assert result.rows == [[f"{Q1}\nDòng thứ hai của câu hỏi", "An"], [Q2, "Bình"]]
    assert result.lines == [2, 5]  # records as Excel numbers them; the blank ones are left out


def test_excel_sep_hint_line() -> None:
    result = parse_file("x.csv", f"sep=;\nCâu hỏi;Tên\n{Q1};An\n".encode())
    assert result.delimiter == ";"
    assert result.headers == ["Câu hỏi", "Tên"]
    assert result.lines == [2]


def test_ragged_rows_are_padded_and_empty_trailing_columns_dropped() -> None:
    result = parse_file("x.csv", f'Câu hỏi,Tên,,\n"{Q1}",An,,\n"{Q2}"\n'.encode())
    assert result.headers == ["Câu hỏi", "Tên"]
    assert result.rows == [[Q1, "An"], [Q2, ""]]


def test_nfd_input_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", f'Họ tên,Câu hỏi\nNguyễn Văn Ánh,"{Q1}"\n')
    assert nfd != unicodedata.normalize("NFC", nfd)
    result = parse_file("x.csv", nfd.encode())
    assert result.headers == ["Họ tên", "Câu hỏi"]
    assert result.rows == [["Nguyễn Văn Ánh", Q1]]
    assert all(unicodedata.is_normalized("NFC", cell) for cell in [*result.headers, *result.rows[0]])
    rows, errors = validate_rows(result, guess_mapping(result.headers))
    assert not errors
    assert rows[0].name == "Nguyễn Văn Ánh"
    assert rows[0].text == Q1


# --------------------------------------------------------------------------- XLSX reading


def test_xlsx_dates_numbers_and_phones() -> None:
    data = xlsx_bytes(
        [
            ["STT", "Họ và tên", "SĐT", "Nội dung câu hỏi", "Thời gian", "Số tiền"],
            [1, "Lê Văn Cường", 903123456, Q1, datetime(2025, 3, 15, 20, 5), 1500000.0],
            [2, "Phạm Thị Dung", "0912 345 678", Q2, date(2025, 3, 16), 2.5],
            [None, None, None, None, None, None],
            [3, None, 84987654321, f"{Q1} (lần 2)", datetime(2025, 3, 17, 8, 0, 30), None],
        ]
    )
    result = parse_file("tong-dai.xlsx", data)
    assert result.file_kind == "xlsx"
    assert result.sheet == "Câu hỏi"
    assert result.headers == ["STT", "Họ và tên", "SĐT", "Nội dung câu hỏi", "Thời gian", "Số tiền"]
    assert result.rows == [
        ["1", "Lê Văn Cường", "0903123456", Q1, "15/03/2025 20:05", "1500000"],
        ["2", "Phạm Thị Dung", "0912 345 678", Q2, "16/03/2025", "2.5"],
        ["3", "", "84987654321", f"{Q1} (lần 2)", "17/03/2025 08:00", ""],
    ]
    assert result.lines == [2, 3, 5]

    mapping = guess_mapping(result.headers, result.rows)
    assert mapping == {"text": 3, "name": 1, "contact": 2, "ward": None, "channel": None, "received_at": 4}
    rows, errors = validate_rows(result, mapping)
    assert errors == []
    assert [r.contact for r in rows] == ["0903123456", "0912345678", "0987654321"]
    assert rows[0].received_at == datetime(2025, 3, 15, 13, 5, tzinfo=UTC)
    assert rows[1].received_at == datetime(2025, 3, 15, 17, 0, tzinfo=UTC)
    assert [r.line for r in rows] == [2, 3, 5]


def test_xlsx_header_below_blank_rows_and_first_non_empty_sheet() -> None:
    workbook = Workbook()
    empty = workbook.active
    assert empty is not None
    empty.title = "Trống"
    sheet = workbook.create_sheet("Dữ liệu")
    sheet["B3"] = "Câu hỏi"
    sheet["B4"] = Q1
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = parse_file("x.xlsx", buffer.getvalue())
    assert result.sheet == "Dữ liệu"
    assert result.headers == ["", "Câu hỏi"]
    assert result.rows == [["", Q1]]
    assert result.lines == [4]


# --------------------------------------------------------------------------- refused files


def _message(filename: str, data: bytes, **limits: int) -> str:
    with pytest.raises(ImportFileError) as caught:
        parse_file(filename, data, **limits)
    assert isinstance(caught.value, ValueError)
    assert caught.value.message == str(caught.value)
    return caught.value.message


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("x.csv", b"", "Tệp rỗng"),
        ("x.csv", b"\xef\xbb\xbf\r\n \r\n", "Tệp rỗng"),
        ("x.csv", b",,,\n,,\n\t\n", "Tệp rỗng"),
        ("x.csv", "Câu hỏi,Họ tên\r\n".encode(), "chỉ có dòng tiêu đề"),
        ("x.csv", "Câu hỏi,Họ tên\r\n,\r\n\r\n".encode(), "chỉ có dòng tiêu đề"),
        ("x.csv", cp1258(f"Câu hỏi,Tên\n{Q1},Đức\n"), "không được lưu bằng bảng mã UTF-8"),
        ("x.csv", f"Câu hỏi,Tên\n{Q1},An\n".encode()[:-1] + "é\n".encode("latin-1"), "dòng 2"),
        ("x.csv", "Question,Name\nWhat about the café?,José\n".encode("cp1252"), "UTF-8"),
        ("x.csv", f"Câu hỏi,Tên\n{Q1},An\n".encode("utf-16-le"), "UTF-16 không có BOM"),
        ("x.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "chỉ nhận bảng tính CSV"),
        ("x.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "là tệp PDF"),
        ("x.txt", bytes(range(256)) * 4, "UTF-8"),
        ("x.txt", b"\x01\x02\x03\x04\x05abc\x06\x07\x08\x0e\x0f\x10", "nhị phân"),
        ("x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "chỉ nhận bảng tính CSV"),
        ("x.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Excel 97-2003"),
        ("x.docx", b"PK\x03\x04whatever", "chỉ nhận bảng tính CSV"),
        ("x.xlsx", b"PK\x03\x04not really a zip", "bị hỏng"),
        ("x.xlsx", "Câu hỏi,Tên\n".encode(), "không phải tệp Excel hợp lệ"),
        ("x.csv", xlsx_bytes([["Câu hỏi"], [Q1]]), "đổi đuôi thành .xlsx"),
        ("x.xlsx", xlsx_bytes([]), "không có dữ liệu"),
        ("x.xlsx", xlsx_bytes([["Câu hỏi", "Tên"]]), "chỉ có dòng tiêu đề"),
        ("không đuôi", b"a,b\n1,2\n", "chỉ nhận bảng tính CSV"),
    ],
    ids=[
        "empty",
        "bom-and-blank-lines",
        "only-delimiters",
        "header-only",
        "header-and-blank-rows",
        "cp1258",
        "latin1-byte-line-2",
        "cp1252",
        "utf16-without-bom",
        "pdf",
        "pdf-renamed-txt",
        "binary-txt",
        "control-chars-txt",
        "xls-extension",
        "xls-renamed-csv",
        "docx",
        "broken-xlsx",
        "csv-renamed-xlsx",
        "xlsx-renamed-csv",
        "empty-workbook",
        "xlsx-header-only",
        "no-extension",
    ],
)
def test_refused_files(filename: str, data: bytes, expected: str) -> None:
    assert expected in _message(filename, data)


def test_refused_encoding_message_tells_how_to_fix() -> None:
    message = _message("hotline.csv", cp1258("Câu hỏi\nĐường xá ngập nước quá\n"))
    assert "“hotline.csv”" in message
    assert "CSV UTF-8" in message


def test_oversize_file() -> None:
    data = csv_bytes([["Câu hỏi"], [Q1]])
    assert "quá lớn" in _message("x.csv", data, max_bytes=len(data) - 1)
    assert parse_file("x.csv", data, max_bytes=len(data)).rows == [[Q1]]
    assert "10 MB" in _message("x.csv", b"a" * (10 * 1024 * 1024 + 1))


def test_too_many_rows() -> None:
    data = csv_bytes([["Câu hỏi"], *([f"{Q1} {i}"] for i in range(6))])
    assert "vượt giới hạn 5 dòng" in _message("x.csv", data, max_rows=5)
    assert len(parse_file("x.csv", data, max_rows=6).rows) == 6
    message = _message("x.csv", csv_bytes([["Câu hỏi"], *([f"q{i}"] for i in range(20001))]))
    assert "hơn 20.000 dòng dữ liệu" in message and "dừng đọc ở dòng 20.002" in message


# --------------------------------------------------------------------------- guess_mapping


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (HEADER, {"name": 0, "contact": 1, "text": 2, "ward": 3, "channel": 4, "received_at": 5}),
        (
            ["Ho ten", "So dien thoai", "Noi dung cau hoi", "Phuong/Xa", "Nguon", "Thoi gian"],
            {"name": 0, "contact": 1, "text": 2, "ward": 3, "channel": 4, "received_at": 5},
        ),
        (
            ["HỌ VÀ TÊN", "SĐT", "NỘI DUNG", "ĐỊA CHỈ", "KÊNH", "NGÀY"],
            {"name": 0, "contact": 1, "text": 2, "ward": 3, "channel": 4, "received_at": 5},
        ),
        (
            ["Timestamp", "Name", "Phone", "Question", "Ward", "Source"],
            {"received_at": 0, "name": 1, "contact": 2, "text": 3, "ward": 4, "channel": 5},
        ),
        (
            ["STT", "Dấu thời gian", "Ý kiến", "Người hỏi", "Email", "Xã"],
            {"received_at": 1, "text": 2, "name": 3, "contact": 4, "ward": 5, "channel": None},
        ),
        (
            ["Phản ánh", "Điện thoại liên hệ", "Tên phường", "Kênh tiếp nhận", "Received"],
            {"text": 0, "contact": 1, "ward": 2, "channel": 3, "received_at": 4, "name": None},
        ),
        (
            ["  Câu hỏi  ", "Câu hỏi bổ sung", "Tên"],
            {"text": 0, "name": 2, "contact": None, "ward": None, "channel": None, "received_at": None},
        ),
        ([], dict.fromkeys(FIELDS)),
    ],
    ids=["vietnamese", "no-accents", "upper-case", "english", "google-forms", "contained-names", "exact-wins", "none"],
)
def test_guess_mapping(headers: list[str], expected: dict[str, int | None]) -> None:
    assert guess_mapping(headers) == expected


def test_guess_mapping_accepts_nfd_headers() -> None:
    headers = [unicodedata.normalize("NFD", h) for h in HEADER]
    assert guess_mapping(headers) == full_mapping()


def test_guess_mapping_falls_back_to_longest_column_for_text() -> None:
    headers = ["Cột A", "Cột B", "Tên", "Cột D"]
    rows = [["1", Q1, "An", "ghi chú"], ["2", Q2, "Bình", ""], ["3", "", "Chi", "một ghi chú dài hơn nhiều"]]
    mapping = guess_mapping(headers, rows)
    assert mapping["text"] == 1
    assert mapping["name"] == 2
    assert guess_mapping(headers)["text"] is None  # no rows, no guess
    # a column already used by another field is not taken
    assert guess_mapping(["Tên", "X"], [["Một cái tên rất rất dài", "ngắn"]])["text"] == 1


# --------------------------------------------------------------------------- validate_rows: good rows


def test_valid_rows_are_normalised() -> None:
    rows, errors = validate_rows(parsed(ROWS), full_mapping())
    assert errors == []
    first, second = rows
    assert first == ImportRow(
        line=2,
        text=Q1,
        name="Nguyễn Văn An",
        contact="0903123456",
        ward="Phường Bến Thành",
        channel="social",
        received_at=datetime(2025, 3, 15, 13, 5, tzinfo=UTC),
        fingerprint=first.fingerprint,
    )
    assert len(first.fingerprint) == 64
    assert second.contact == "binh@example.vn"
    assert second.channel == "phone"
    assert second.received_at == datetime(2025, 3, 15, 17, 0, tzinfo=UTC)


def test_only_text_mapped() -> None:
    mapping = dict.fromkeys(FIELDS, None) | {"text": 2}
    rows, errors = validate_rows(parsed(ROWS), mapping)
    assert errors == []
    assert [(r.text, r.name, r.contact, r.ward, r.channel, r.received_at) for r in rows] == [
        (Q1, None, None, None, None, None),
        (Q2, None, None, None, None, None),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0903123456", "0903123456"),
        ("0903 123 456", "0903123456"),
        ("0903.123.456", "0903123456"),
        ("090-312-3456", "0903123456"),
        ("+84 903 123 456", "0903123456"),
        ("84903123456", "0903123456"),
        ("(+84) 903-123-456", "0903123456"),
        ("903123456", "0903123456"),  # Excel dropped the 0
        ("0356789012", "0356789012"),
        ("0523456789", "0523456789"),
        ("0701234567", "0701234567"),
        ("0812345678", "0812345678"),
        ("028 3829 1234", "02838291234"),
        ("024.3825.1234", "02438251234"),
        ("Dan.Hoi@Example.VN", "dan.hoi@example.vn"),
        ("0123456789", None),
        ("0403123456", None),
        ("090312345", None),
        ("09031234567", None),
        ("12345", None),
        ("gọi sau", None),
        ("an@", None),
        ("an@example", None),
        ("0903123456 / an@example.vn", None),
    ],
)
def test_normalize_contact(value: str, expected: str | None) -> None:
    assert normalize_contact(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("phone", "phone"),
        ("Điện thoại", "phone"),
        ("TỔNG ĐÀI", "phone"),
        ("tong dai", "phone"),
        ("Thư điện tử", "email"),
        ("Email", "email"),
        ("e-mail", "email"),
        ("Thư", "letter"),
        ("thư tay", "letter"),
        ("Bưu điện", "letter"),
        ("letter", "letter"),
        ("Fanpage", "social"),
        ("Facebook", "social"),
        ("Zalo", "social"),
        ("Mạng xã hội", "social"),
        ("social", "social"),
        ("import", "import"),
        ("other", "other"),
        ("Tiếp dân trực tiếp", "other"),
        ("web", "other"),
    ],
)
def test_normalize_channel(value: str, expected: str) -> None:
    assert normalize_channel(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15/03/2025", datetime(2025, 3, 14, 17, 0, tzinfo=UTC)),
        ("15/03/2025 20:05", datetime(2025, 3, 15, 13, 5, tzinfo=UTC)),
        ("15/03/2025 20:05:30", datetime(2025, 3, 15, 13, 5, 30, tzinfo=UTC)),
        ("5/3/2025 8:05", datetime(2025, 3, 5, 1, 5, tzinfo=UTC)),
        ("2025-03-15", datetime(2025, 3, 14, 17, 0, tzinfo=UTC)),
        ("2025-03-15 20:05", datetime(2025, 3, 15, 13, 5, tzinfo=UTC)),
        ("2025-03-15 20:05:30", datetime(2025, 3, 15, 13, 5, 30, tzinfo=UTC)),
        ("2025-03-15T20:05:30", datetime(2025, 3, 15, 13, 5, 30, tzinfo=UTC)),
        ("2025-03-15T20:05:30+00:00", datetime(2025, 3, 15, 20, 5, 30, tzinfo=UTC)),
        ("31/02/2025", None),
        ("03/15/2025", None),
        ("15/03/25", None),
        ("hôm qua", None),
        ("45731", None),
        ("2025-03-15 25:00", None),
    ],
)
def test_parse_received_at(value: str, expected: datetime | None) -> None:
    assert parse_received_at(value) == expected


# --------------------------------------------------------------------------- validate_rows: row errors


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (row(text="", contact="0903123456"), "Thiếu nội dung câu hỏi"),
        (row(text="   \t  ", name="An"), "Thiếu nội dung câu hỏi"),
        (row(text="\u200b\u00a0\u200b", name="An"), "Thiếu nội dung câu hỏi"),
        (row(text="😀😀😀😀😀😀😀😀😀😀😀"), "chỉ có ký hiệu hoặc biểu tượng cảm xúc"),
        (row(text="?!?!?!?!?!?!...---"), "chỉ có ký hiệu hoặc biểu tượng cảm xúc"),
        (row(text="Xin hỏi\x00 khi nào sửa đường?"), "ký tự không hợp lệ (NUL)"),
        (row(text="Quá ngắn"), "quá ngắn (8 ký tự, tối thiểu 10)"),
        (row(text="x" * 2001), "quá dài (2.001 ký tự, tối đa 2.000)"),
        (row(name="A" * 129), "Họ tên quá dài (129 ký tự, tối đa 128)"),
        (row(name="An\x00"), "Họ tên chứa ký tự không hợp lệ (NUL)"),
        (row(contact="0123456789"), "Liên hệ “0123456789” không hợp lệ"),
        (row(contact="an@"), "hoặc địa chỉ email"),
        (row(ward="P" * 256), "Phường/xã quá dài"),
        (row(when="31/02/2025"), "Thời gian “31/02/2025” không hợp lệ"),
        (row(when="03/15/2025 10:00"), "dd/mm/yyyy HH:MM"),
    ],
    ids=[
        "empty-text",
        "whitespace-text",
        "invisible-text",
        "emoji-only",
        "punctuation-only",
        "nul-text",
        "too-short",
        "too-long",
        "name-too-long",
        "nul-name",
        "bad-phone",
        "bad-email",
        "ward-too-long",
        "impossible-date",
        "us-date",
    ],
)
def test_row_errors(cells: list[str], expected: str) -> None:
    good = row(text=Q2, name="Bình")
    rows, errors = validate_rows(parsed([good, cells]), full_mapping())
    assert [r.line for r in rows] == [2]
    assert len(errors) == 1
    error = errors[0]
    assert isinstance(error, RowError)
    assert error.line == 3
    assert expected in error.message
    assert error.values == cells


def test_boundaries_are_accepted() -> None:
    rows, errors = validate_rows(
        parsed([row(text="  " + "a" * 10 + "  "), row(text="b" * 2000, name="N" * 128), row(text="Đ1 " * 4)]),
        full_mapping(),
    )
    assert errors == []
    assert [len(r.text) for r in rows] == [10, 2000, 11]
    assert rows[1].name == "N" * 128


def test_several_problems_in_one_message() -> None:
    _, errors = validate_rows(parsed([row(text="ngắn", contact="abc", when="hôm qua")]), full_mapping())
    assert len(errors) == 1
    message = errors[0].message
    assert "quá ngắn" in message and "Liên hệ" in message and "Thời gian" in message
    assert message.count("; ") == 2


def test_empty_rows_are_skipped_silently() -> None:
    rows, errors = validate_rows(
        parsed([row(text=Q1), ["", "", "", "", "", ""], ["  ", "", "\t", "", "", ""], [], row(text=Q2)]),
        full_mapping(),
    )
    assert errors == []
    assert [r.line for r in rows] == [2, 6]


def test_row_with_only_unmapped_cells_is_skipped() -> None:
    # pre-numbered templates: an "STT" column filled down with nothing else
    headers = ["STT", "Câu hỏi"]
    rows, errors = validate_rows(
        ParsedFile(headers=headers, rows=[["1", Q1], ["2", ""], ["3", ""]], file_kind="xlsx"),
        {"text": 1},
    )
    assert errors == []
    assert len(rows) == 1


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"name": 0}, "Chưa chọn cột chứa nội dung câu hỏi"),
        ({"text": None}, "Chưa chọn cột chứa nội dung câu hỏi"),
        ({"text": 9}, "không có trong tệp"),
        ({"text": -1}, "không có trong tệp"),
        ({"text": 2, "phone": 1}, "“phone”"),
    ],
)
def test_bad_mapping_is_refused(mapping: dict[str, int | None], expected: str) -> None:
    with pytest.raises(ImportFileError, match=expected):
        validate_rows(parsed(ROWS), mapping)


# --------------------------------------------------------------------------- duplicates and fingerprints


def test_duplicate_rows_in_the_file() -> None:
    same_again = ["  NGUYỄN   văn an ", "+84 903 123 456", f"  {Q1.upper()}  ", "Khác", "Thư", "01/01/2025"]
    rows, errors = validate_rows(parsed([*ROWS, same_again, ROWS[1]]), full_mapping())
    assert [r.line for r in rows] == [2, 3]
    assert [(e.line, e.message) for e in errors] == [(4, "Trùng với dòng 2."), (5, "Trùng với dòng 3.")]


def test_same_text_from_different_people_is_not_a_duplicate() -> None:
    rows, errors = validate_rows(
        parsed([row(name="An"), row(name="Bình"), row(name="An", contact="0903123456"), row()]), full_mapping()
    )
    assert errors == []
    assert len({r.fingerprint for r in rows}) == 4


def test_an_invalid_row_does_not_hide_a_later_good_one() -> None:
    rows, errors = validate_rows(parsed([row(contact="sai"), row(contact="0903123456")]), full_mapping())
    assert [e.line for e in errors] == [2]
    assert [r.line for r in rows] == [3]


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("x.csv", lambda: csv_bytes([HEADER, *ROWS])),
        ("x.csv", lambda: csv_bytes([HEADER, *ROWS], delimiter=";", encoding="utf-8-sig")),
        ("x.xlsx", lambda: xlsx_bytes([HEADER, *ROWS])),
    ],
    ids=["csv", "csv-bom-semicolon", "xlsx"],
)
def test_same_file_twice_gives_the_same_fingerprints(filename: str, make: Callable[[], bytes]) -> None:
    first, _ = validate_rows(parse_file(filename, make()), full_mapping())
    second, _ = validate_rows(parse_file(filename, make()), full_mapping())
    assert [r.fingerprint for r in first] == [r.fingerprint for r in second]
    assert len(first) == 2


def test_fingerprint_ignores_form_but_not_content() -> None:
    csv_rows, _ = validate_rows(parse_file("a.csv", csv_bytes([HEADER, *ROWS])), full_mapping())
    nfd = [[unicodedata.normalize("NFD", c) for c in r] for r in ROWS]
    nfd[0][1] = "+84-903-123-456"
    xlsx_rows, _ = validate_rows(parse_file("b.xlsx", xlsx_bytes([HEADER, *nfd])), full_mapping())
    assert [r.fingerprint for r in csv_rows] == [r.fingerprint for r in xlsx_rows]
    changed = [list(r) for r in ROWS]
    changed[0][2] = Q1 + " Cảm ơn."
    other, _ = validate_rows(parsed(changed), full_mapping())
    assert other[0].fingerprint != csv_rows[0].fingerprint
    assert other[1].fingerprint == csv_rows[1].fingerprint


def test_parsed_file_preview() -> None:
    result = parse_file("x.csv", csv_bytes([["Câu hỏi"], *([f"{Q1} {i}"] for i in range(8))]))
    assert len(result.preview()) == 5
    assert result.preview(2) == [[f"{Q1} 0"], [f"{Q1} 1"]]
    assert result.preview(0) == []
    result.preview(1)[0][0] = "đã sửa"
    assert result.rows[0][0] == f"{Q1} 0"
    assert result.line_of(0) == 2
    assert ParsedFile(headers=["a"], rows=[["x"]], file_kind="csv").line_of(0) == 2


# --------------------------------------------------------------------------- hostile files: bounded reading
# Each refusal or cut below comes with the peak memory the reading allocated (tracemalloc): the
# brief is 100 MB for any upload; the reader stays far below it.

MEMORY_CEILING = 100 * 1024 * 1024


def _read_with_peak(filename: str, data: bytes, **limits: int) -> tuple[ParsedFile | str, int]:
    """(the parsed file or the refusal's message, peak bytes allocated while reading)."""
    gc.collect()
    tracemalloc.start()
    try:
        outcome: ParsedFile | str = parse_file(filename, data, **limits)
    except ImportFileError as exc:
        outcome = exc.message
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return outcome, peak


def test_xlsx_row_bomb_is_cut_at_the_row_limit_in_bounded_memory() -> None:
    data = spreadsheets.row_bomb(1_800_000)
    assert len(data) < 1024 * 1024 and spreadsheets.unpacked_size(data) > 140 * 1024 * 1024
    outcome, peak = _read_with_peak("bom.xlsx", data)
    assert isinstance(outcome, str)
    assert "hơn 20.000 dòng dữ liệu" in outcome and "dừng đọc ở dòng 20.002" in outcome
    assert peak < 30 * 1024 * 1024 < MEMORY_CEILING


def test_xlsx_huge_shared_strings_table_is_read_only_as_far_as_needed() -> None:
    data = spreadsheets.strings_bomb(3_000_000, use=1)
    outcome, peak = _read_with_peak("bang-chuoi.xlsx", data)
    assert isinstance(outcome, ParsedFile)
    assert outcome.rows[0][0] == spreadsheets.QUESTION and outcome.rows[1][0] == spreadsheets.QUESTION
    assert peak < 10 * 1024 * 1024
    # A cell naming an entry past a million would make the reader walk the whole table.
    outcome, peak = _read_with_peak("bang-chuoi.xlsx", spreadsheets.strings_bomb(1_000_100, use=1_000_050))
    assert isinstance(outcome, str) and "hơn 1.000.000 chuỗi chữ khác nhau (tính đến dòng 3)" in outcome
    assert peak < 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (spreadsheets.giant_inline_cell, "có một ô dài hơn 32.767 ký tự (giới hạn của Excel) ở dòng 3"),
        (spreadsheets.giant_shared_string, "có một ô dài hơn 32.767 ký tự (giới hạn của Excel) ở dòng 3"),
        (spreadsheets.giant_attribute, "cấu trúc bất thường"),
        (spreadsheets.blank_rows, "hơn 2.000 dòng (kể cả dòng trống)"),
        (spreadsheets.entity_bomb, "DTD"),
        (spreadsheets.nesting_bomb, "lồng nhau quá sâu"),
        (spreadsheets.many_entries, "không phải bảng tính Excel"),
    ],
    ids=[
        "giant-inline-cell",
        "giant-shared-string",
        "giant-tag",
        "million-blank-rows",
        "billion-laughs",
        "deep-nesting",
        "20k-entries",
    ],
)
def test_hostile_xlsx_is_refused_in_bounded_memory(make: Callable[[], bytes], expected: str) -> None:
    # A limit of 100 rows: blank rows count against 10 times the limit, so 2,000 are read, not 201,000.
    outcome, peak = _read_with_peak("x.xlsx", make(), max_rows=100)
    assert isinstance(outcome, str) and expected in outcome
    assert peak < 10 * 1024 * 1024


def test_unused_giant_shared_string_and_far_columns_cost_nothing() -> None:
    # The giant string sits in the table but no kept cell uses it: reading stops before it.
    outcome, _ = _read_with_peak("x.xlsx", spreadsheets.giant_shared_string(used=False))
    assert isinstance(outcome, ParsedFile)
    assert outcome.rows == [[spreadsheets.QUESTION, "0903123456", "15/03/2025 12:00"]]
    # A value in column XFD on 20,000 rows: only the first MAX_COLUMNS columns are kept.
    outcome, peak = _read_with_peak("x.xlsx", spreadsheets.far_column())
    assert isinstance(outcome, ParsedFile)
    assert outcome.headers == ["Câu hỏi"] and len(outcome.rows) == 20000
    assert peak < 20 * 1024 * 1024


def test_csv_of_1_8_million_lines_is_cut_at_the_row_limit() -> None:
    data = b"C\xc3\xa2u h\xe1\xbb\x8fi\n" + b"q\n" * 1_800_000
    outcome, peak = _read_with_peak("x.csv", data)
    assert isinstance(outcome, str) and "hơn 20.000 dòng dữ liệu" in outcome and "dòng 20.002" in outcome
    assert peak < 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Câu hỏi\n".encode() + b"a" * 9_000_000, "dòng 2 dài hơn 100.000 ký tự"),
        ("Câu hỏi,Tên\n".encode() + b"x," * 4_000_000 + b"\n", "dòng 2 dài hơn 100.000 ký tự"),
        ('Câu hỏi\n"'.encode() + b"b" * 80_000 + b"\n" + b"c" * 80_000 + b"\n", "một ô dài hơn 131.072 ký tự ở dòng 2"),
        ('Câu hỏi,Tên\n"'.encode() + (b"d" * 90_000 + b'","\n') * 50, "dòng 2 dài hơn 100.000 ký tự"),
    ],
    ids=["one-9-mb-line", "4-million-columns", "unclosed-quote", "record-of-many-lines"],
)
def test_very_long_csv_lines_are_refused_in_bounded_memory(data: bytes, expected: str) -> None:
    outcome, peak = _read_with_peak("x.csv", data)
    assert isinstance(outcome, str) and expected in outcome
    assert peak < 20 * 1024 * 1024


def test_csv_keeps_only_the_first_columns() -> None:
    data = ("Câu hỏi," + ",".join(f"c{i}" for i in range(200)) + f'\n"{Q1}"' + ",x" * 200 + "\n").encode()
    result = parse_file("x.csv", data)
    assert len(result.headers) == importing.MAX_COLUMNS and result.rows[0][0] == Q1


def test_hand_written_xlsx_reads_like_openpyxl() -> None:
    """Inline and rich-text strings, phonetic runs, formula results, booleans, errors, ISO dates,
    date formats, cells and rows without references, a namespace prefix."""
    rows = [
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Câu hỏi</x:t></x:is></x:c>'
        '<x:c r="C1" t="s"><x:v>0</x:v></x:c></x:row>',
        '<x:row r="3"><x:c t="inlineStr"><x:is><x:r><x:t>Đường </x:t></x:r>'
        '<x:r><x:t xml:space="preserve">ngập &amp; tắc</x:t></x:r>'
        '<x:rPh sb="0" eb="1"><x:t>ignored</x:t></x:rPh></x:is></x:c>'
        '<x:c t="str"><x:f>A1&amp;"!"</x:f><x:v>kết quả</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c>'
        '<x:c t="e"><x:v>#N/A</x:v></x:c><x:c s="1"><x:v>45731.75</x:v></x:c><x:c s="2"><x:v>45732</x:v></x:c>'
        '<x:c t="d"><x:v>2025-03-17T08:30:00</x:v></x:c><x:c><x:v>1.5</x:v></x:c>'
        "<x:c><x:v>903123456</x:v></x:c></x:row>",
        '<x:row><x:c r="B4" t="s"><x:v>1</x:v></x:c></x:row>',
    ]
    strings = ["<si><t>Tên</t></si>", '<si><r><t>Bình</t></r><r><t>Chánh</t></r><rPh sb="0" eb="1"><t>x</t></rPh></si>']
    data = spreadsheets.workbook([r.encode() for r in rows], [t.encode() for t in strings], prefix="x")
    ours = xlsx.read_first_sheet(data, xlsx.Limits(max_rows=10)).rows
    theirs = _openpyxl_rows(data)
    assert ours == theirs
    assert ours[1][1][:2] == ["Đường ngập & tắc", "kết quả"]
    assert ours[1][1][4:7] == [datetime(2025, 3, 15, 18, 0), datetime(2025, 3, 16), datetime(2025, 3, 17, 8, 30)]
    assert ours[2] == (4, [None, "BìnhChánh"])
    # The 1904 calendar (old Mac Excel files) moves every date by 1,462 days.
    mac = spreadsheets.workbook([b'<row><c s="2"><v>45732</v></c></row>'], date1904=True)
    assert xlsx.read_first_sheet(mac, xlsx.Limits(max_rows=10)).rows == _openpyxl_rows(mac)


def _openpyxl_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    """What openpyxl (read-only, cached values) reads: rows with a value, trailing empties dropped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # styles openpyxl does not know
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = workbook.active
    out = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = list(values)
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            out.append((number, cells))
    workbook.close()
    return out


_cells = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(lambda s: s.strip()),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.booleans(),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_cells, min_size=1, max_size=6), min_size=1, max_size=12))
def test_any_openpyxl_workbook_reads_the_same_as_with_openpyxl(grid: list[list[Any]]) -> None:
    data = xlsx_bytes(grid)
    theirs = _openpyxl_rows(data)
    if not theirs:
        with pytest.raises(xlsx.XlsxError):
            xlsx.read_first_sheet(data, xlsx.Limits(max_rows=100))
        return
    assert xlsx.read_first_sheet(data, xlsx.Limits(max_rows=100)).rows == theirs
