"""Typing repair of :func:`moderation.spelling.repair_token`: telex and VNI leftovers, doubled keys."""

import pytest

from moderation import canonical
from moderation.spelling import repair_token


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("bawts", "bắt"),  # aw -> ă inside a word, then the tone key
        ("ddaats", "đất"),
        ("mwa", "mưa"),  # a lone w is ư
        ("ddwowngf", "đường"),  # w for ư, then ow for ơ
        ("duowng", "dương"),  # uow -> ươ
        ("nguowif", "người"),
        ("khoongg", "không"),  # a doubled final key on a telex word
        ("nhaanff", "nhần"),
        ("gias", "giá"),  # the tone goes on the a: "gi" is the initial
        ("giuwax", "giữa"),
    ],
)
def test_telex_leftovers_are_repaired(typed: str, meant: str) -> None:
    assert repair_token(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("d9a6t1", "đất"),  # d9 -> đ, a6 -> â, tone 1 (sắc) at the end
        ("ho3i", "hỏi"),
        ("ngu7oi2", "người"),  # u7 -> ư, then "ưo" is "ươ"
        ("ngu7o7i2", "người"),
        ("nguo7i2", "người"),  # "uo7": the 7 marks both vowels
        ("phuo7ng2", "phường"),
        ("tuo7i", "tươi"),
        ("quo7", "quơ"),  # after q the u is part of the initial
        ("mu7a", "mưa"),
    ],
)
def test_vni_leftovers_are_repaired(typed: str, meant: str) -> None:
    assert repair_token(typed) == meant


@pytest.mark.parametrize("typed", ["a66", "b6", "d9a6t12", "xin9"])
def test_impossible_vni_stays_as_typed(typed: str) -> None:
    """A modifier on a letter it cannot mark, or two tones: no repair is guessed."""
    assert repair_token(typed) == typed


def test_a_vni_typed_question_matches_its_accented_wording() -> None:
    assert canonical("d9u7o7ng2 phuo7ng2 bi5 nga65p nu7o71c") == canonical("Đường phường bị ngập nước")
