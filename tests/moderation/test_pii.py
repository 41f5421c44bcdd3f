import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation import mask_pii

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
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_shapes(phone: str) -> None:
    text = f"Liên hệ {phone} nhé"
    m = mask_pii(text)
    assert [f.kind for f in m.found] == ["phone"]
    assert not re.search(r"\d{4}", re.sub(r"\D", "", m.text))
    f = m.found[0]
    assert text[f.start : f.end].strip("() ") in phone


@given(
    st.sampled_from(["0", "+84", "84", "+84 "]),
    st.sampled_from("35789"),
    st.lists(st.integers(0, 9), min_size=8, max_size=8),
    st.sampled_from(["", " ", ".", "-"]),
)
def test_phone_never_more_than_3_digits(prefix: str, first: str, rest: list[int], sep: str) -> None:
    digits = first + "".join(map(str, rest))
    body = sep.join([digits[:3], digits[3:6], digits[6:]])
    masked = mask_pii(f"SĐT: {prefix}{body}.").text
    assert len(re.sub(r"\D", "", masked)) <= 3


@pytest.mark.parametrize(
    ("text", "kind", "token"),
    [
        ("mail a.b@gmail.com nhé", "email", "[email]"),
        ("CCCD 079123456789 của tôi", "id_number", "[số giấy tờ]"),
        ("CMND 123456789 cũ", "id_number", "[số giấy tờ]"),
        ("mã số thuế 0312345678-001", "phone", "[số điện thoại]"),
        ("MST 1312345678901", "id_number", "[số giấy tờ]"),
        ("nhà 142/3 Lê Văn Sỹ", "house_number", "[số nhà]"),
        ("ở 12A Nguyễn Trãi", "house_number", "[số nhà]"),
        ("hẻm 230 Nguyễn Trãi", "house_number", "[số nhà]"),
        ("ở 88 Trần Hưng Đạo", "house_number", "[số nhà]"),
    ],
)
def test_masking_table(text: str, kind: str, token: str) -> None:
    m = mask_pii(text)
    assert kind in [f.kind for f in m.found]
    assert token in m.text


@pytest.mark.parametrize(
    "text",
    [
        "Tuyến xe buýt số 150 Chợ Lớn bị cắt",
        "từ 01/7/2025",
        "quy hoạch 1/2000",
        "thương binh hạng 3/4",
        "lớp 12A1",
        "năm 2026",
        "Phường 12",
        "nợ lương 3 tháng",
    ],
)
def test_not_pii(text: str) -> None:
    assert mask_pii(text).text == text


def test_rest_byte_identical_and_nfd_spans() -> None:
    import unicodedata

    text = unicodedata.normalize("NFD", "Tôi ở hẻm 45, gọi 0903 123 456 ạ")
    m = mask_pii(text)
    for f in m.found:
        assert text[f.start : f.end] in ("45", "0903 123 456")
    assert m.text.startswith(text[: m.found[0].start])


@pytest.mark.parametrize(
    "text, masked",
    [
        ("Tôi tên Nguyễn Văn An, hỏi về đất", "Tôi tên [họ tên], hỏi về đất"),
        ("em là Trần Thị Bích ở phường Bến Thành", "em là [họ tên] ở phường Bến Thành"),
        ("cháu tên là Lê Minh Tuấn ạ", "cháu tên là [họ tên] ạ"),
        ("Tôi là người dân phường Sài Gòn", "Tôi là người dân phường Sài Gòn"),
        ("Tôi là Hùng, hỏi về học phí", "Tôi là Hùng, hỏi về học phí"),
    ],
)
def test_self_introduced_full_names_are_masked(text: str, masked: str) -> None:
    assert mask_pii(text).text == masked
