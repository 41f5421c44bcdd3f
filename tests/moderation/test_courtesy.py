"""Courtesies stripped for matching: greetings, openers, self-introductions, contact lines, address
notes and signatures (moderation.courtesy)."""

import pytest

from moderation.courtesy import _signature_possible, strip_courtesies, trim_pair


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a greeting, then an opener once the greeting is gone
        ("Kính gửi Sở Y tế. Xin cho tôi hỏi: tiêm vắc xin ở đâu?", "tiêm vắc xin ở đâu?"),
        ("Kinh gui So Y te. Xin cho toi hoi: tiem vac xin o dau?", "tiem vac xin o dau?"),
        # an opener left after a self-introduction is stripped on the next pass
        (
            "Tôi tên Trần Văn Bình. Cho tôi hỏi: tiền trọ tăng liên tục, tôi phải làm sao?",
            "tiền trọ tăng liên tục, tôi phải làm sao?",
        ),
        # "tôi là" without a capitalised name is part of the question
        (
            "Tôi là công nhân khu chế xuất Tân Thuận. Tiền trọ tăng liên tục, tôi phải làm sao?",
            "Tôi là công nhân khu chế xuất Tân Thuận. Tiền trọ tăng liên tục, tôi phải làm sao?",
        ),
        # a contact line after a comma goes with the comma
        ("Hẻm 12 ngập nặng mỗi khi mưa, SĐT liên hệ 0909123456", "Hẻm 12 ngập nặng mỗi khi mưa"),
    ],
)
def test_strip_courtesies(raw: str, expected: str) -> None:
    assert strip_courtesies(raw) == expected


def test_every_address_note_is_stripped() -> None:
    """Address notes in parentheses go however many there are (one per pass would leave the fourth)."""
    raw = (
        "Mất nước 3 ngày ở nhà tôi (địa chỉ 12 Lê Lợi), nhà chị Hoa (địa chỉ 14 Lê Lợi),"
        " nhà anh Nam (địa chỉ 16 Lê Lợi) và nhà bác Tư (địa chỉ 18 Lê Lợi)"
    )
    assert strip_courtesies(raw) == "Mất nước 3 ngày ở nhà tôi , nhà chị Hoa , nhà anh Nam  và nhà bác Tư"


def test_a_petition_signed_by_several_neighbours_keeps_only_the_question() -> None:
    """Each signer's phone line hides the name before it: names and contact lines are stripped in
    turn until only the question is left."""
    raw = (
        "Đèn đường hư cả tháng nay. Trần Văn Bình, SĐT: 0909 111 222. Lê Thị Hoa, SĐT: 0909 333 444."
        " Phạm Văn Cường, SĐT: 0909 555 666. Ngô Thị Lan, SĐT: 0909 777 888"
    )
    assert strip_courtesies(raw) == "Đèn đường hư cả tháng nay."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # what is left of a line of courtesies: a bare mark, then a name or a contact line
        (".Trần Văn Bình", "."),
        (".SĐT liên hệ: 0909123456", "."),
    ],
)
def test_a_tail_right_after_a_leading_mark_is_stripped(raw: str, expected: str) -> None:
    assert strip_courtesies(raw) == expected


def test_signature_possible_after_a_mark_at_the_start() -> None:
    """The guard in front of the signature search, tested directly: a text whose only sentence mark
    is its first character ("? Lê Thị Hoa") can end in a signature."""
    assert _signature_possible("? Lê Thị Hoa")
    assert not _signature_possible("?Lê")
    assert not _signature_possible("Lê Thị Hoa")
    assert _signature_possible(" Lê Thị Hoa")


def test_trim_pair_strips_greetings_openers_and_closers_from_both_texts() -> None:
    assert trim_pair("kính gửi sở y tế, tiêm ở đâu", "kinh gui so y te, tiem o dau") == ("tiêm ở đâu", "tiem o dau")
    assert trim_pair("cho tôi hỏi tiêm ở đâu", "cho toi hoi tiem o dau") == ("tiêm ở đâu", "tiem o dau")
    assert trim_pair("tiêm ở đâu, xin cảm ơn", "tiem o dau, xin cam on") == ("tiêm ở đâu, ", "tiem o dau, ")
    # a text that is nothing but a greeting or a closer is kept
    assert trim_pair("xin cảm ơn", "xin cam on") == ("xin cảm ơn", "xin cam on")


def test_an_introduction_before_a_pasted_line_break_is_stripped() -> None:
    """Text pasted from an editor may carry U+2028 (a line separator cleaning leaves alone) after
    "Tôi là": the introduction goes all the same."""
    raw = "Tôi là\u2028Trần Văn Bình. Hẻm nhà tôi ngập nặng mỗi khi mưa"
    assert strip_courtesies(raw) == "Hẻm nhà tôi ngập nặng mỗi khi mưa"


def test_a_run_of_sloppily_punctuated_closing_formulas_goes() -> None:
    """Each ". ," ends one formula: they are stripped one by one, the matched text and its folded
    twin kept the same length all along."""
    raw = "Đèn đường hư cả tháng nay. , Rất mong được giải đáp. , Xin cảm ơn. , Trân trọng. , Cảm ơn"
    assert strip_courtesies(raw) == "Đèn đường hư cả tháng nay."
