"""Askers' and greeted names in an answer, as other askers and the public read it (moderation.addressed)."""

import unicodedata

import pytest

from moderation.addressed import MASK, mask_addressees


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        # the askers' own names, wherever they appear, in any case and spacing
        ("Trả lời ông Nguyễn Văn Bình: đã sửa.", ["Nguyễn Văn Bình"], f"Trả lời ông {MASK}: đã sửa."),
        ("nguyễn văn bình hỏi về hẻm 12", ["Nguyễn Văn Bình"], f"{MASK} hỏi về hẻm 12"),
        ("NGUYỄN  VĂN\nBÌNH hỏi", ["Nguyễn Văn Bình"], f"{MASK} hỏi"),
        ("Cảm ơn Lan đã hỏi.", ["Lan"], f"Cảm ơn {MASK} đã hỏi."),
        ("Bạn An hỏi, anh An trả lời.", ["An"], f"Bạn {MASK} hỏi, anh {MASK} trả lời."),
        # the given name after an address term, for a name of two words or more
        ("Chị Lan hỏi; gửi chị Lan.", ["Trần Lan"], f"Chị {MASK} hỏi; gửi chị {MASK}."),
        ("Thưa bà Lan", ["Trần Thị Lan"], f"Thưa bà {MASK}"),
        # the whole name first: no stray family name left before a masked given name
        ("Ông Nguyễn Văn Bình và Bình", ["Bình", "Nguyễn Văn Bình"], f"Ông {MASK} và {MASK}"),
        ("Ông Nguyễn Văn Bình và Bình", ["Nguyễn Văn Bình", "Bình"], f"Ông {MASK} và {MASK}"),
        ("An Bình hỏi", ["Bình", "An Bình"], f"{MASK} hỏi"),
        ("Trần Thị Lan hỏi", ["Trần  Thị\tLan"], f"{MASK} hỏi"),  # a name typed with stray blanks
        ("Sau đây, chị Lan hỏi tiếp", ["Trần Thị Lan"], f"Sau đây, chị {MASK} hỏi tiếp"),  # the last word
        # a greeting and an address term: whoever is named
        ("Chào ông Nguyễn Văn Bình, về việc này", [], f"Chào ông {MASK}, về việc này"),
        ("Kính gửi bà Lan về việc cấp phép", [], f"Kính gửi bà {MASK} về việc cấp phép"),
        ("KÍNH THƯA Chị Hoa Mai, Sở trả lời", [], f"KÍNH THƯA Chị {MASK}, Sở trả lời"),
        ("Chào ông  Nguyễn \tVăn Bình về việc này", [], f"Chào ông  {MASK} về việc này"),
        ("Xin chào cô Lan Anh Thư Hà Vy", [], f"Xin chào cô {MASK} Vy"),
    ],
)
def test_names_are_masked(text: str, names: list[str], expected: str) -> None:
    assert mask_addressees(text, names) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Chào anh chị, Sở trả lời như sau.", []),  # no name after the address term
        ("Gửi ông 12 bản sao", []),
        ("Ông Nguyễn Văn Bình, Giám đốc Sở, cho biết", []),  # an official quoted, not greeted
        ("Chị Lan hỏi", ["Lan Anh"]),  # the given name of another asker's name only after an address term
        ("hoa lan nở", ["Trần Lan"]),  # a given name with no address term stays
        ("Anh Ánh hỏi về Anhh", ["An"]),  # a name is a whole word only
        ("a b c", ["A"]),  # a one-letter "name" would mask every such letter
        ("Ý kiến của Ý", [unicodedata.normalize("NFD", "Ý")]),  # one letter even when typed decomposed
        ("Phường Bình Thạnh", [None, "", "  "]),
    ],
)
def test_what_stays(text: str, names: list[str | None]) -> None:
    assert mask_addressees(text, names) == text


def test_two_letter_names_are_masked() -> None:
    assert mask_addressees("Em Vy hỏi", ["Vy"]) == f"Em {MASK} hỏi"


def test_decomposed_text_and_names() -> None:
    """Text typed on a keyboard that sends decomposed accents matches names typed composed, and back."""
    nfd = unicodedata.normalize("NFD", "Ông Nguyễn Văn Bình hỏi")
    assert mask_addressees(nfd, ["Nguyễn Văn Bình"]) == f"Ông {MASK} hỏi"
    assert mask_addressees("Ông Nguyễn Văn Bình hỏi", [unicodedata.normalize("NFD", "Nguyễn Văn Bình")]) == (
        f"Ông {MASK} hỏi"
    )
    assert mask_addressees(nfd) == unicodedata.normalize("NFC", nfd)


def test_regex_characters_in_a_name_are_literal() -> None:
    assert mask_addressees("Ông B.nh và Bình", ["B.nh"]) == f"Ông {MASK} và Bình"
