"""The answer check: which key terms of a question an answer leaves out (moderation.matching)."""

import pytest

from moderation.matching import AnswerMatch, key_terms, match_check


def test_key_terms_are_content_words_in_order_once() -> None:
    terms = key_terms("Chào anh chị, cho tôi hỏi thủ tục cấp phép, cấp phép xây dựng ở phường 12 thế nào ạ? x")
    # greeting, stop words, numbers and one-letter words dropped; each term once, first place kept
    assert terms == [
        ("thủ", "thu"),
        ("tục", "tuc"),
        ("cấp", "cap"),
        ("phép", "phep"),
        ("xây", "xay"),
        ("dựng", "dung"),
        ("phường", "phuong"),
    ]


def test_two_letter_words_are_terms() -> None:
    assert key_terms("xe buýt") == [("xe", "xe"), ("buýt", "buyt")]


def test_a_question_of_nothing_but_courtesies_needs_nothing() -> None:
    assert key_terms("Cho tôi hỏi với ạ") == []
    assert match_check("Cho tôi hỏi với ạ", "") == AnswerMatch(1.0, [], True)


def test_every_term_answered() -> None:
    result = match_check("Học phí trường công lập", "Học phí các trường công lập năm nay giữ nguyên.")
    assert result == AnswerMatch(1.0, [], True)


def test_missing_terms_in_the_question_s_words_and_order() -> None:
    result = match_check("Học phí trường công lập", "Học phí năm nay giữ nguyên.")
    assert result.missing_terms == ["trường", "công", "lập"]
    assert result.score == 0.4
    assert result.ok is False


def test_without_marks_and_with_a_typo_a_term_still_counts() -> None:
    assert match_check("thủ tục tạm trú", "Thu tuc tam tru nhu sau").score == 1.0
    assert match_check("giấy phép xây dựng", "Giay phep xay dungg cap trong 15 ngay").score == 1.0
    # a word typed with one letter too many, or one letter wrong in a long word, counts
    assert match_check("ngập nước", "Tình trạng ngapp nuoc se duoc xu ly").score == 1.0
    assert match_check("cây nghiêng", "Cây nghiang sẽ được cắt tỉa").score == 1.0
    # a different word is not a typo
    assert match_check("giấy phép xây dựng", "Giấy tờ cần nộp").missing_terms == ["phép", "xây", "dựng"]


def test_score_is_rounded_to_three_places() -> None:
    result = match_check("cấp nước sạch", "Cấp lại giấy tờ")
    assert result.score == 0.333
    assert result.missing_terms == ["nước", "sạch"]


@pytest.mark.parametrize(("threshold", "ok"), [(0.4, True), (0.5, True), (0.51, False)])
def test_threshold_is_inclusive(threshold: float, ok: bool) -> None:
    # two of the four terms answered: 0.5
    result = match_check("ngập nước đường Huỳnh", "Ngập nước sẽ được xử lý", threshold=threshold)
    assert result.score == 0.5
    assert result.ok is ok


def test_default_threshold_is_one_half() -> None:
    assert match_check("ngập nước đường Huỳnh", "Ngập nước sẽ được xử lý").ok is True
    assert match_check("ngập nước đường phố Huỳnh", "Ngập sẽ được xử lý").ok is False
