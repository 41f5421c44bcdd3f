"""Bodies named in a question (moderation.mentions): which names count, how they are compared and
how a mention is classed."""

import pytest

from moderation.mentions import ADDRESSED, ALTERNATIVE, PLAIN, Mention, MentionFinder, institution_name


def _finder() -> MentionFinder:
    finder = MentionFinder()
    finder.add("Sở Y tế TP.HCM", "SYT")
    finder.add("Sở TN&MT", "TNMT")
    finder.add("UBND Quận 1", "Q1")
    finder.add("Thành phố Hồ Chí Minh", "UB")
    finder.add("CA", "CA")
    return finder


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the city's name is dropped from the end of a body's name
        ("Sở Y tế cho biết lịch tiêm vắc xin", [Mention(frozenset({"SYT"}), PLAIN, "so y te")]),
        ("So y te cho biet lich tiem vac xin", [Mention(frozenset({"SYT"}), PLAIN, "so y te")]),
        # "ơi" after a name addresses it
        ("Sở Y tế ơi, bao giờ có vắc xin?", [Mention(frozenset({"SYT"}), ADDRESSED, "so y te")]),
        # a name that is nothing but the city's name is kept whole
        (
            "Kính gửi lãnh đạo Thành phố Hồ Chí Minh, hẻm ngập nặng",
            [Mention(frozenset({"UB"}), ADDRESSED, "thanh pho ho chi minh")],
        ),
        # "UBND" is spelt out
        ("Kính gửi Ủy ban nhân dân Quận 1", [Mention(frozenset({"Q1"}), ADDRESSED, "uy ban nhan dan quan 1")]),
        # "TN-MT", "TN&MT" and "TNMT" are one abbreviation, wherever it stands in the text
        ("Sở TN-MT trả lời giúp", [Mention(frozenset({"TNMT"}), PLAIN, "so tnmt")]),
        ("Cho hỏi Sở TNMT", [Mention(frozenset({"TNMT"}), PLAIN, "so tnmt")]),
        # a one-word name of two capitals is an abbreviation: it counts without an address cue
        ("Xe tôi bị CA phường giữ 2 tuần", [Mention(frozenset({"CA"}), PLAIN, "ca")]),
        (
            "Sở Y tế hay Sở TN&MT cấp phép?",
            [Mention(frozenset({"SYT"}), ALTERNATIVE, "so y te"), Mention(frozenset({"TNMT"}), ALTERNATIVE, "so tnmt")],
        ),
        ("Hẻm nhà tôi ngập nặng mỗi khi mưa", []),
    ],
)
def test_find(text: str, expected: list[Mention]) -> None:
    assert _finder().find(text) == expected


def test_a_one_word_name_that_is_not_an_abbreviation_counts_only_when_addressed() -> None:
    finder = MentionFinder()
    finder.add("Thuế TP", "THUE")
    assert finder.find("Tôi nộp thuế đất rồi") == []
    assert finder.find("Nhờ Thuế trả lời giúp") == [Mention(frozenset({"THUE"}), ADDRESSED, "thue")]


def test_from_catalogue_uses_the_name_the_short_name_and_institution_keywords() -> None:
    finder = MentionFinder.from_catalogue(
        [
            {
                "code": "GTVT",
                "name": "Sở Giao thông Vận tải",
                "short": "Sở GTVT",
                "keywords": ["Thanh tra giao thông", "phù hiệu xe"],
            }
        ]
    )
    assert finder.find("Sở GTVT cho hỏi phù hiệu xe tải") == [Mention(frozenset({"GTVT"}), PLAIN, "so gtvt")]
    assert finder.find("Sở giao thông vận tải cho hỏi") == [
        Mention(frozenset({"GTVT"}), PLAIN, "so giao thong van tai")
    ]
    assert finder.find("Thanh tra giao thông phạt xe tôi") == [
        Mention(frozenset({"GTVT"}), PLAIN, "thanh tra giao thong")
    ]


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        ("Sở GTVT", True),
        ("Văn phòng Đăng ký đất đai", True),
        ("Chi cục Thuế khu vực", True),
        # a topic, even one that starts like a body's name
        ("thuế đất", False),
        ("phòng cháy chữa cháy", False),
        ("BHXH", False),
        ("Tạm trú", False),
        ("", False),
    ],
)
def test_institution_name(keyword: str, expected: bool) -> None:
    assert institution_name(keyword) is expected
