"""The syllable model and the folding table of :mod:`moderation.syllables`."""

import pytest

from moderation.syllables import _build_fold_table, fold_char_table, is_syllable


@pytest.mark.parametrize("word", ["giữa", "giường", "giấy", "giỏi", "già", "gì", "gìn", "quyển", "nghiêng"])
def test_gi_and_qu_words_are_syllables(word: str) -> None:
    """In "giữa", "giường" the i belongs to the initial "gi": "iưa" and "iươ" are no vowel groups."""
    assert is_syllable(word)


@pytest.mark.parametrize("word", ["q", "qu", "ng", "kh", "đ"])
def test_a_word_without_a_vowel_group_is_no_syllable(word: str) -> None:
    assert not is_syllable(word)


def test_the_fold_table_takes_every_vietnamese_letter_to_its_base_letter() -> None:
    """``_FOLD`` is built once at import time: the builder is called directly to check what it makes."""
    table = _build_fold_table()
    assert "Đặng Thị Ánh Tuyết, đường Bùi Hữu Nghĩa".translate(table) == "Dang Thi Anh Tuyet, duong Bui Huu Nghia"
    assert "ĐỒNG KHỞI, Ỷ LAN, ỨNG".translate(table) == "DONG KHOI, Y LAN, UNG"
    assert "ỹ ỳ ỵ ỷ ý".translate(table) == "y y y y y"
    assert all(len(base) == 1 and base.isascii() for base in table.values())  # one character for one
    assert "Ωμέγα ß € ἀ".translate(table) == "Ωμέγα ß € ἀ"  # other scripts stay
    assert table == fold_char_table()
