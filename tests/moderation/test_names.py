"""Names in citizen texts (:mod:`moderation.names`), through the masking API: what is masked as ``[họ tên]``,
what stays visible, and what an unreviewed public view hides as ``[tên]``."""

import pytest

from moderation import mask_pii
from moderation.pii import PiiFinding, mask_unreviewed, unsure_spans


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # a foreign name at the very end of the text, after a self-introduction
        ("Chào anh chị, em là Lily", "Chào anh chị, em là [họ tên]"),
        ("Tên: Lily", "Tên: [họ tên]"),
        # a form label with a colon is a strong cue: a lower-case name after it is masked
        ("Tên: nguyễn thị lan\nĐịa chỉ: phường 5", "Tên: [họ tên]\nĐịa chỉ: phường 5"),
        # after a label, a kinship term and then a name that is also a street's ("Võ Thị Sáu")
        ("Tên: bà Võ Thị Sáu", "Tên: bà [họ tên]"),
        ("Xin hỏi thủ tục.\nTên: chị Võ Thị Sáu", "Xin hỏi thủ tục.\nTên: chị [họ tên]"),
        # a text typed without marks: a lower-case full name after a kinship term
        ("hom qua ong nguyen van tai den phuong hoi", "hom qua ong [họ tên] den phuong hoi"),
        ("nho chi tran thi mai giup", "nho chi [họ tên] giup"),
        # a given name that is also a country or a city ("Nga", "Huế") is still a person's
        ("Bà Trần Thị Nga ở tổ 5 bị mất sổ hộ khẩu", "Bà [họ tên] ở tổ 5 bị mất sổ hộ khẩu"),
        ("Hôm qua anh Phạm Quang Huế đến phường", "Hôm qua anh [họ tên] đến phường"),
        # a name in brackets
        ("Học sinh lớp 3 (Tuệ Nhi) bị bạn đánh", "Học sinh lớp 3 ([họ tên]) bị bạn đánh"),
        # signatures: a name on the last line with a note after it, a kinship term after the closing formula
        (
            "Xin hỏi thủ tục cấp lại sổ đỏ bị mất.\nTrân trọng,\nMỹ Linh (phường Tân Định)",
            "Xin hỏi thủ tục cấp lại sổ đỏ bị mất.\nTrân trọng,\n[họ tên] (phường Tân Định)",
        ),
        (
            "Xin hỏi thủ tục cấp lại sổ đỏ. Trân trọng, Cháu Mỹ Linh",
            "Xin hỏi thủ tục cấp lại sổ đỏ. Trân trọng, Cháu [họ tên]",
        ),
    ],
)
def test_names_are_masked(text: str, masked: str) -> None:
    assert mask_pii(text).text == masked


@pytest.mark.parametrize(
    "text",
    [
        # a kinship term before a word that is only a given name by chance ("anh hùng": hero)
        "Xin tri ân các anh hùng.",
        # "thấy", "chi" are no kinship terms in a text typed with marks ("thầy", "chị" are)
        "Tôi thấy Công An phường làm việc chậm",
        "Khoản chi Ngân Sách năm nay",
        # a public office's title at the start of the text: the official's name stays
        "Chủ tịch Phan Văn Mãi đã hứa giải quyết",
        # a question in Title Case: "Hồ Sơ" is no family name + given name
        "Cho Em Hỏi Thủ Tục Làm Hồ Sơ Cấp Đổi Ạ",
    ],
)
def test_no_name_is_masked(text: str) -> None:
    assert mask_pii(text).found == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # a capital glued to a digit is part of a code (class "A1", route "E1"), not a name
        ("Cháu nhà tôi học lớp A1 năm nay", "Cháu nhà tôi học lớp A1 năm nay"),
        ("Tôi đi xe buýt tuyến D4 và E1 mỗi ngày", "Tôi đi xe buýt tuyến D4 và E1 mỗi ngày"),
        # in capitals, a street after a lower-case "đường" stays readable
        ("ĐỀ NGHỊ KIỂM TRA đường NGUYỄN VĂN CỪ BỊ NGẬP", "ĐỀ NGHỊ KIỂM TRA đường NGUYỄN VĂN CỪ BỊ NGẬP"),
        # in capitals, a family name and two more words may be a person: hidden until reviewed
        ("KHIẾU NẠI VỀ TRẦN MINH ĐỨC.", "KHIẾU NẠI VỀ [tên]."),
    ],
)
def test_unreviewed_view(text: str, shown: str) -> None:
    assert mask_unreviewed(text) == shown


def test_a_name_in_a_text_typed_in_capitals_is_unsure() -> None:
    text = "KHIẾU NẠI VỀ TRẦN MINH ĐỨC."
    assert unsure_spans(text) == [PiiFinding("name_like", 13, 26)]
    assert text[13:26] == "TRẦN MINH ĐỨC"
