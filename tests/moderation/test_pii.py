"""Personal-data masking: a table per form (mask and keep), properties, the dev floors, the fresh-phrasing
figures and the ``mask`` command.

The table examples are written for these tests (not taken from tests/data); ``pii-fresh.jsonl`` was written
before any tuning and is never tuned on: its figures are asserted at the floor measured.
"""

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation import mask_pii
from moderation.__main__ import pii_class, score_masking
from moderation.pii import MASK_TOKENS, mask_unreviewed, remove_pii, unsure_spans

DATA = Path(__file__).resolve().parent.parent / "data"
ROOT = DATA.parent.parent


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


# ------------------------------------------------------------------------------------------- numbers

PHONES = [
    "0903123456",
    "0903 123 456",
    "0903.123.456",
    "0903-123-456",
    "+84 903123456",
    "+84903123456",
    "84903123456",
    "+84 903 123 456",
    "028 3829 1234",
    "(028) 3829 1234",
    "02838291234",
    "0274 3822 111",
    "09 03 12 34 56",
    "0903 - 123 - 456",
    "+84 (0) 903 123 456",
    "(+84) 90 312 3456",
    "08.3829.1234",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_shapes(phone: str) -> None:
    text = f"Liên hệ {phone} nhé"
    m = mask_pii(text)
    assert [f.kind for f in m.found] == ["phone"]
    assert not re.search(r"\d", m.text)
    f = m.found[0]
    assert text[f.start : f.end].strip("() ") in phone


@given(
    st.sampled_from(["0", "+84", "84", "+84 "]),
    st.sampled_from("35789"),
    st.lists(st.integers(0, 9), min_size=8, max_size=8),
    st.sampled_from(["", " ", ".", "-", " - "]),
)
def test_phone_never_more_than_3_digits(prefix: str, first: str, rest: list[int], sep: str) -> None:
    digits = first + "".join(map(str, rest))
    body = sep.join([digits[:3], digits[3:6], digits[6:]])
    masked = mask_pii(f"SĐT: {prefix}{body}.").text
    assert len(re.sub(r"\D", "", masked)) <= 3


@given(
    st.lists(st.integers(0, 9), min_size=12, max_size=12),
    st.sampled_from(["", " ", ".", "-"]),
    st.sampled_from(["CCCD", "Số định danh", "căn cước", "CMND cũ là", "mã"]),
)
def test_identity_numbers_in_any_grouping(digits: list[int], sep: str, cue: str) -> None:
    number = "0" + "".join(map(str, digits[1:]))
    grouped = sep.join(number[k : k + 3] for k in range(0, 12, 3))
    masked = mask_pii(f"{cue} {grouped} của tôi bị sai.").text
    assert not re.search(r"\d", masked), masked


@pytest.mark.parametrize(
    ("text", "kind", "piece"),
    [
        # identity numbers: CCCD with dashes, dots, spaces; the old CMND; passports
        ("Số căn cước 079-188-004-271 bị sai năm sinh.", "id_number", "079-188-004-271"),
        ("CCCD 052.301.998.104 của tôi hết hạn.", "id_number", "052.301.998.104"),
        ("định danh 0792 1100 3456", "id_number", "0792 1100 3456"),
        ("CMND 280 417 553 cấp năm 2005", "id_number", "280 417 553"),
        ("CMND 123456789 cũ", "id_number", "123456789"),
        ("hộ chiếu B9876543 sắp hết hạn", "id_number", "B9876543"),
        ("số báo danh 021734 thi lớp 10", "id_number", "021734"),
        # tax numbers
        ("mã số thuế 0312345678-001", "tax_code", "0312345678-001"),
        ("MST 1312345678901", "tax_code", "1312345678901"),
        ("MST hộ kinh doanh: 0316 554 210", "tax_code", "0316 554 210"),
        # insurance
        ("thẻ BHYT HS4797921034567 của con", "insurance_number", "HS4797921034567"),
        ("mã thẻ BHYT: CH 4 79 7921 034 567", "insurance_number", "CH 4 79 7921 034 567"),
        ("sổ BHXH số 7920 1134 56", "insurance_number", "7920 1134 56"),
        # bank accounts
        ("STK 1903 7788 2210 19 Techcombank", "bank_account", "1903 7788 2210 19"),
        ("tài khoản Agribank 6100205123456", "bank_account", "6100205123456"),
        ("chuyển khoản vào tài khoản ACB 19283746", "bank_account", "19283746"),
        # licence plates
        ("xe biển 59A1-123.45 bị giữ", "plate", "59A1-123.45"),
        ("xe tải 51H 582 07 đậu trên vỉa hè", "plate", "51H 582 07"),
        ("biển số 59-V2 318.64 bị mất", "plate", "59-V2 318.64"),
        ("ô tô 51G.776.40 chạy ẩu", "plate", "51G.776.40"),
        ("xe 59c1 28473 em bán rồi", "plate", "59c1 28473"),
        ("BKS 51K-222.33 đỗ trước cổng", "plate", "51K-222.33"),
        # e-mails in every disguise
        ("mail a.b@gmail.com nhé", "email", "a.b@gmail.com"),
        ("gửi về LAN.ANH＠GMAIL.COM", "email", "LAN.ANH＠GMAIL.COM"),
        ("email: binh.le [at] gmail [dot] com", "email", "binh.le [at] gmail [dot] com"),
        ("gửi về thuhuong a còng gmail chấm com", "email", "thuhuong a còng gmail chấm com"),
        ("liên hệ tam.tran(at)yahoo.com.vn", "email", "tam.tran(at)yahoo.com.vn"),
        ("hộp thư vinh.pham at gmail dot com", "email", "vinh.pham at gmail dot com"),
        ("trả lời qua mai.do @ hotmail . com", "email", "mai.do @ hotmail . com"),
        ("mail: ketoan{at}congty{dot}vn", "email", "ketoan{at}congty{dot}vn"),
        # phones read out by an operator
        (
            "số máy đọc là không chín một hai, ba bốn năm, sáu bảy tám",
            "phone",
            "không chín một hai, ba bốn năm, sáu bảy tám",
        ),
        # house and apartment numbers
        ("nhà 142/3 Lê Văn Sỹ", "house_number", "142/3"),
        ("ở 12A Nguyễn Trãi", "house_number", "12A"),
        ("hẻm 230 Nguyễn Trãi", "house_number", "230"),
        ("ở 88 Trần Hưng Đạo", "house_number", "88"),
        ("Tôi ở số 52/17 Bà Hạt, cống bể", "house_number", "52/17"),
        ("nhà tôi ở số 21 đường số 9", "house_number", "21"),
        ("nhà 14B hẻm 72 Âu Cơ", "house_number", "14B"),
        ("ở căn hộ B3-08-12 chung cư Ehome", "house_number", "B3-08-12"),
        ("căn 1207 block A thấm nước", "house_number", "1207"),
        ("phòng 1503 tháp B", "house_number", "1503"),
        ("ở D4/21 ấp 2 xã Vĩnh Lộc", "house_number", "D4/21"),
    ],
)
def test_masking_table(text: str, kind: str, piece: str) -> None:
    m = mask_pii(text)
    assert piece not in m.text, m.text
    assert kind in [f.kind for f in m.found], m.found
    assert MASK_TOKENS[kind] in m.text


KEEP = [
    "Tuyến xe buýt số 150 Chợ Lớn bị cắt",
    "Bao giờ metro số 2 Bến Thành – Tham Lương khởi công?",
    "từ 01/7/2025",
    "quy hoạch 1/2000",
    "thương binh hạng 3/4",
    "lớp 12A1",
    "năm 2026",
    "Phường 12",
    "nợ lương 3 tháng",
    "Nghị định 100/2019/NĐ-CP và Nghị định 168/2024/NĐ-CP",
    "Luật 91/2025/QH15 có hiệu lực từ 01/01/2026",
    "Quyết định số 1234/QĐ-UBND ngày 20/5/2025",
    "theo khoản 2 Điều 5 Thông tư 24/2023/TT-BCA",
    "lương 5.000.000 đồng, nợ 12 triệu, phí 135.000đ, từ 1.500.000 - 2.000.000 đồng",
    "dự án 8.000 tỷ đồng, dân số 9.000.000 người",
    "Quốc lộ 13, tỉnh lộ 10, đường số 7, tuyến 19",
    "năm học 2025-2026, ngày 15/8/2025, lúc 7h30, hạn 2025-11-20",
    "diện tích 120 m2, 1.000 m2, 3,5 ha, hẻm 3m",
    "tổng đài 1022, đường dây nóng 1900 1234 56",
    "Tôi ở ấp 3 xã Bình Chánh.",
    "thửa đất số 123, tờ bản đồ số 45",
    "Phòng công chứng số 3 và UBND xã Bà Điểm",
]


@pytest.mark.parametrize("text", KEEP)
def test_not_pii(text: str) -> None:
    assert mask_pii(text).text == text


# ------------------------------------------------------------------------------------------- names

NAMES = [
    # self-introductions, capitalised, lower case, unaccented, in capitals
    ("Tôi tên Nguyễn Văn An, hỏi về đất", "Tôi tên [họ tên], hỏi về đất"),
    ("em là Trần Thị Bích ở phường Bến Thành", "em là [họ tên] ở phường Bến Thành"),
    ("cháu tên là Lê Minh Tuấn ạ", "cháu tên là [họ tên] ạ"),
    ("tôi là phạm thị thu cúc, nhà ở xã Củ Chi", "tôi là [họ tên], nhà ở xã Củ Chi"),
    ("toi ten la vo van hieu o phuong Tan Phu", "toi ten la [họ tên] o phuong Tan Phu"),
    ("TÔI TÊN LÀ ĐỖ VĂN LÂM, NHÀ BỊ NGẬP", "TÔI TÊN LÀ [họ tên], NHÀ BỊ NGẬP"),
    ("TÔI TÊN NGUYỄN VĂN AN SINH NĂM 1980", "TÔI TÊN [họ tên] SINH NĂM 1980"),
    ("Tôi là Hùng, hỏi về học phí", "Tôi là [họ tên], hỏi về học phí"),
    ("Mình là Lan, bán rau ở chợ", "Mình là [họ tên], bán rau ở chợ"),
    ("mình là Quỳnh nè", "mình là [họ tên] nè"),
    ("tui tên sáu, bán vé số", "tui tên [họ tên], bán vé số"),
    ("Hi em là Lily, 20 tuổi", "Hi em là [họ tên], 20 tuổi"),
    ("Tôi, Cao Minh Trí, xin hỏi về thuế", "Tôi, [họ tên], xin hỏi về thuế"),
    # form lines
    ("Họ tên: Phó Đức Hải\nNội dung: hỏi về thuế", "Họ tên: [họ tên]\nNội dung: hỏi về thuế"),
    ("Người hỏi: Lò Văn Tú", "Người hỏi: [họ tên]"),
    ("Họ tên người gửi: Trần Văn Bảy", "Họ tên người gửi: [họ tên]"),
    ("ho ten: duong van tai", "ho ten: [họ tên]"),
    ("Người phản ánh: ông Hồ Văn Của, tổ 12", "Người phản ánh: ông [họ tên], tổ 12"),
    ("chủ hộ Lê Thanh Sơn xin hỏi", "chủ hộ [họ tên] xin hỏi"),
    ("sổ đỏ đứng tên Nguyễn Thị Bé Năm", "sổ đỏ đứng tên [họ tên]"),
    ("Cán bộ địa chính tên Thịnh đòi tiền", "Cán bộ địa chính tên [họ tên] đòi tiền"),
    # relatives and neighbours
    ("Mẹ tôi là bà Trịnh Thị Lan, 80 tuổi", "Mẹ tôi là bà [họ tên], 80 tuổi"),
    ("Chồng tôi, anh Lâm Quốc Hưng, mất năm 2024.", "Chồng tôi, anh [họ tên], mất năm 2024."),
    ("Ông Tư Hùng kế bên nuôi chó", "Ông [họ tên] kế bên nuôi chó"),
    ("bà Sáu Thơm bán xôi đầu hẻm", "bà [họ tên] bán xôi đầu hẻm"),
    ("thầy Tuấn dạy Toán bắt học thêm", "thầy [họ tên] dạy Toán bắt học thêm"),
    ("Chị Hằng ơi cho em hỏi", "Chị [họ tên] ơi cho em hỏi"),
    ("BÀ NGUYỄN THỊ HAI Ở TỔ 3 CẦN HỖ TRỢ", "BÀ [họ tên] Ở TỔ 3 CẦN HỖ TRỢ"),
    ("CÔ BẢY HOA BÁN NƯỚC ĐẦU HẺM", "CÔ [họ tên] BÁN NƯỚC ĐẦU HẺM"),
    # signatures and brackets
    ("Xin hỏi thủ tục. Xin cảm ơn.\nTrần Quốc Bảo", "Xin hỏi thủ tục. Xin cảm ơn.\n[họ tên]"),
    ("Mong được phản hồi sớm. Trân trọng! Đoàn Thị Mỹ Linh", "Mong được phản hồi sớm. Trân trọng! [họ tên]"),
    ("Hỏi về thuế.\nTrân trọng,\nnguyễn thị lan", "Hỏi về thuế.\nTrân trọng,\n[họ tên]"),
    ("Mong được giải quyết - Hà Thanh Tâm - phường An Nhơn", "Mong được giải quyết - [họ tên] - phường An Nhơn"),
    ("xin cam on, nguyen van hai", "xin cam on, [họ tên]"),
    ("Em cảm ơn ạ (Nguyễn Hoàng Phúc - lớp 11A2)", "Em cảm ơn ạ ([họ tên] - lớp 11A2)"),
    ("cần xác minh gọi chị Mơ 0903 111 222", "cần xác minh gọi chị [họ tên] [số điện thoại]"),
    # a full name without a cue
    ("Học sinh Trần Gia Huy bị đánh trước cổng trường", "Học sinh [họ tên] bị đánh trước cổng trường"),
    ("Nguyễn Văn An hỏi: thủ tục sang tên xe máy?", "[họ tên] hỏi: thủ tục sang tên xe máy?"),
    # "tổ trưởng", "hồ sơ", "trường hợp" look like place words ("tổ 5", "hồ Con Rùa", "trường …") but are not
    ("tổ trưởng Nguyễn Văn Ba thu tiền", "tổ trưởng [họ tên] thu tiền"),
    ("hồ sơ của Trần Thị Hoa bị trả", "hồ sơ của [họ tên] bị trả"),
    ("trường hợp Phạm Văn Lực được giải quyết chưa", "trường hợp [họ tên] được giải quyết chưa"),
]


@pytest.mark.parametrize(("text", "masked"), NAMES)
def test_names_are_masked(text: str, masked: str) -> None:
    assert mask_pii(text).text == masked


NOT_NAMES = [
    "Tôi là người dân phường Sài Gòn",
    "Tôi là Chủ tịch UBND phường, xin hỏi về quy trình.",
    "tôi là Việt kiều ở Mỹ, muốn mua nhà.",
    "Em là công nhân, thu nhập 8 triệu.",
    "Bà Rịa có thuộc thành phố không?",
    "Chợ Ông Tạ và cầu Ông Lãnh",
    "Hai Bà Trưng ngập nặng khi mưa.",
    "Phố đi bộ Nguyễn Huệ có cho xe vào không?",
    "Kẹt xe ở Nguyễn Hữu Cảnh mỗi chiều.",
    "Giám đốc Sở Y tế Tăng Chí Thượng đã trả lời chưa?",
    "Trường THCS Nguyễn Văn Tố thu tiền.",
    "nút giao Điện Biên Phủ – Đinh Tiên Hoàng",
    "đường Đồng Khởi, Lý Tự Trọng và Nam Kỳ Khởi Nghĩa",
    "Bệnh viện Nguyễn Tri Phương, công viên Lê Văn Tám",
    "nhà 27/4 Trần Hưng Đạo",
    "Tôi sống ở Hà Nội 10 năm rồi mới vào Sài Gòn.",
    "vợ tôi là người Hàn Quốc",
    "đặt tên đường Trần Văn Giàu cho đoạn mới",
    "sang tên đổi chủ xe máy",
    "Nhà văn Sơn Nam có tên đường chưa?",
    "xe buýt số 19 đi Bến Thành",
    "Ủy ban phường Tân Định và phường Đa Kao nhập lại.",
    "Có gì liên hệ em qua Zalo nhé",
]


@pytest.mark.parametrize("text", NOT_NAMES)
def test_places_titles_and_words_are_not_names(text: str) -> None:
    assert [f for f in mask_pii(text).found if f.kind == "name"] == []


# ------------------------------------------------------------------------------------------- properties

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Quách", "Tạ", "Khúc"]
GIVEN = ["Văn An", "Thị Bích Ngọc", "Minh Khôi", "Hữu Phước", "Ngọc Hân", "Quốc Bảo", "Thị Lựu"]
CUES = ["Tôi tên", "Tôi là", "em tên là", "Họ tên:", "Người gửi:", "Mẹ tôi là bà", "Con tôi là cháu", "chủ hộ"]


@given(
    st.sampled_from(CUES),
    st.sampled_from(SURNAMES),
    st.sampled_from(GIVEN),
    st.sampled_from(["title", "lower", "upper", "folded"]),
)
def test_cued_full_names_vanish_in_any_case(cue: str, surname: str, given_name: str, case: str) -> None:
    from moderation.text import fold

    name = f"{surname} {given_name}"
    tail = ", ở phường Tân Định, hỏi về học phí."
    text = f"{cue} {name}{tail}"
    if case == "lower":
        text = f"{cue} {name.lower()}{tail}"
    elif case == "upper":
        text = text.upper()
    elif case == "folded":
        text = fold(text)
        name = fold(name)
    masked = mask_pii(text).text
    for word in name.split():
        assert not re.search(rf"\b{re.escape(word)}\b", masked, re.IGNORECASE), (text, masked)


@given(st.text(alphabet="0123456789 .-/,:abcĐđAÀà@()[]\n", max_size=80))
def test_masking_keeps_everything_else_and_is_stable(text: str) -> None:
    m = mask_pii(text)
    pos = 0
    for f in m.found:  # spans ordered, disjoint, inside the text
        assert pos <= f.start < f.end <= len(text)
        pos = f.end
    assert mask_pii(m.text).text == m.text or any(t in m.text for t in MASK_TOKENS.values())


def test_rest_byte_identical_and_nfd_spans() -> None:
    text = unicodedata.normalize("NFD", "Tôi ở hẻm 45, gọi 0903 123 456 ạ")
    m = mask_pii(text)
    for f in m.found:
        assert text[f.start : f.end] in ("45", "0903 123 456")
    assert m.text.startswith(text[: m.found[0].start])
    nfd_name = unicodedata.normalize("NFD", "Tôi tên Trần Thị Hoa, hỏi về thuế")
    assert mask_pii(nfd_name).text == unicodedata.normalize("NFD", "Tôi tên ") + "[họ tên]" + unicodedata.normalize(
        "NFD", ", hỏi về thuế"
    )


@settings(max_examples=60)
@given(st.sampled_from(_jsonl("pii-dev.jsonl")))
def test_masking_the_masked_text_changes_nothing(item: dict) -> None:
    once = mask_pii(item["text"]).text
    assert mask_pii(once).text == once


def test_remove_pii_keeps_names_for_matching() -> None:
    text = "Tôi tên Nguyễn Văn An, gọi 0903 123 456"
    assert "Nguyễn Văn An" in remove_pii(text) and "0903" not in remove_pii(text)


# ------------------------------------------------------------------------------------------- unreviewed texts


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Lê Văn Tám hỏi về trợ cấp", "[tên] hỏi về trợ cấp"),  # a street's name, but no place word: hidden
        ("Nhờ Lan Anh chuyển lời giúp", "Nhờ [tên] chuyển lời giúp"),
        ("Hồ sơ của gia đình Lê Mai bị trả", "Hồ sơ của gia đình [tên] bị trả"),
        ("Mã hồ sơ 4471 nộp năm 2025", "Mã hồ sơ [số] nộp năm [số]"),
        ("Mã 12 34 567 xin gửi lại", "Mã [số] xin gửi lại"),
        (
            "Đường Lê Lợi ở phường Bến Thành, Sở Xây dựng trả lời",
            "Đường Lê Lợi ở phường Bến Thành, Sở Xây dựng trả lời",
        ),
        ("Trường THCS Nguyễn Du thu 500.000 đồng", "Trường THCS Nguyễn Du thu 500.000 đồng"),
        ("Tôi ở Việt Nam, lớp 10A2", "Tôi ở Việt Nam, lớp 10A2"),
    ],
)
def test_unreviewed_wording_hides_name_like_sequences_and_digit_runs(text: str, shown: str) -> None:
    assert mask_unreviewed(text) == shown


@given(st.text(alphabet="0123456789 .-,abcĐàHLNT", max_size=60))
def test_unreviewed_wording_never_shows_four_digits(text: str) -> None:
    assert not re.search(r"\d{4}", mask_unreviewed(text))


def test_unsure_spans_are_what_the_unreviewed_view_hides() -> None:
    text = "Nhờ Lan Anh ở phường Tân Định gọi lại, mã 2231"
    spans = unsure_spans(text)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [("name_like", "Lan Anh"), ("digits", "2231")]


# ------------------------------------------------------------------------------------------- figures


def test_pii_classes() -> None:
    assert pii_class("Tôn Nữ Thu Vân") == "name"
    assert pii_class("079-094-012-356") == "number"
    assert pii_class("không chín ba ba, bốn năm sáu") == "number"
    assert pii_class("x [at] y [dot] com") == "email"
    assert pii_class("x a còng y chấm com") == "email"


def test_dev_floors() -> None:
    score = score_masking(_jsonl("pii-dev.jsonl"))
    assert score.recall >= 0.97
    assert score.keep_rate >= 0.95
    assert score.coverage >= 0.97  # the whole substring, not only enough of it to break the match
    for cls in ("name", "number", "email"):
        assert score.gone[cls] / score.pii[cls] >= 0.95, cls


def test_fresh_phrasing_figures() -> None:
    """Written before any tuning, never tuned on (its misses were never looked at while tuning): 90/90 gone,
    172/172 kept at the end (0.978 / 1.000 with the first version of the rules)."""
    items = _jsonl("pii-fresh.jsonl")
    score = score_masking(items)
    assert len(items) >= 80
    assert sum(score.gone.values()) >= 90
    assert score.kept >= 172


def test_second_blind_set_figures() -> None:
    """Written after the rules were built, measured once, never tuned on: the honest estimate of how the
    masker does on phrasings its author had not thought of (34/37 gone, 65/65 kept)."""
    score = score_masking(_jsonl("pii-fresh2.jsonl"))
    assert sum(score.gone.values()) >= 34
    assert score.kept >= 65


# ------------------------------------------------------------------------------------------- command line


def test_mask_command(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    items = [
        {"id": "a", "text": "Tôi tên Lê Văn Bình, gọi 0903 123 456", "pii": ["Lê Văn Bình", "0903 123 456"]},
        {"id": 7, "text": "Nghị định 100/2019/NĐ-CP", "keep": ["100/2019/NĐ-CP"]},
    ]
    source.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "moderation", "mask", "--input", str(source), "--show"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert lines == [
        {"id": "a", "masked": "Tôi tên [họ tên], gọi [số điện thoại]"},
        {"id": 7, "masked": "Nghị định 100/2019/NĐ-CP"},
    ]
    assert "a: name 'Lê Văn Bình', phone '0903 123 456'" in run.stderr
    assert "recall 2/2 = 1.000" in run.stderr and "keep 1/1 = 1.000" in run.stderr


# ------------------------------------------------------------------------------------------- more forms


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # five digits after an identity cue: a candidate number ("số báo danh", "mã hồ sơ")
        ("Số báo danh 02173 của em bị trùng", "Số báo danh [số giấy tờ] của em bị trùng"),
        ("mã hồ sơ 40213 chưa có kết quả", "mã hồ sơ [số giấy tờ] chưa có kết quả"),
        # a plate in lower case, apart from its province number: "biển số" says what it is
        ("xe biển số 59-c1 123.45 đậu trước nhà tôi", "xe biển số [biển số] đậu trước nhà tôi"),
        ("xe biển số 59 c 12345 đậu trước nhà tôi", "xe biển số [biển số] đậu trước nhà tôi"),
        # a house number with a letter after the slash, before a street
        ("Nhà tôi ở 25/117B Lê Văn Sỹ bị ngập", "Nhà tôi ở [số nhà] Lê Văn Sỹ bị ngập"),
        # a number and a letter after "ở", before a comma
        ("Nhà ở 9C, gần chợ Bà Chiểu", "Nhà ở [số nhà], gần chợ Bà Chiểu"),
        # a small room number earlier in the text does not stop the search for the apartment
        (
            "Tôi đã lên phòng 3 của phường hỏi về căn hộ B3-08-12 nhưng chưa được trả lời",
            "Tôi đã lên phòng 3 của phường hỏi về căn hộ [số nhà] nhưng chưa được trả lời",
        ),
        ("Tầng 2 phòng 5, căn hộ B3-08-12", "Tầng 2 phòng 5, căn hộ [số nhà]"),
        # a class is no house number, even before a capitalised school name
        ("con học lớp 9A Trường THCS Lê Lợi", "con học lớp 9A Trường THCS Lê Lợi"),
        ("Lớp 12A Trường THPT Gia Định", "Lớp 12A Trường THPT Gia Định"),
    ],
)
def test_more_numbers_masked_and_kept(text: str, masked: str) -> None:
    assert mask_pii(text).text == masked
