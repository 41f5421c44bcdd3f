"""Duplicate index details (moderation.duplicates): place spans, and which earlier questions the
blocking step lets through to scoring."""

import pytest

from moderation.duplicates import DuplicateIndex, known_place_spans
from moderation.text import fold


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("nhà tôi ở khu phố 3 phường 5", [(3, 6), (6, 8)]),
        ("thị trấn Củ Chi", [(0, 4)]),
        ("đặc khu Côn Đảo", [(0, 4)]),
        ("xa lộ Hà Nội kẹt xe", []),
        ("phường nào cũng vậy", []),
    ],
)
def test_known_place_spans(text: str, spans: list[tuple[int, int]]) -> None:
    assert known_place_spans(fold(text).split()) == spans


def test_a_closer_question_is_found_behind_many_that_share_more_words() -> None:
    """63 longer questions share every word of the new one, the earlier one-word-shorter question
    fewer: the blocking pool (64 documents) still holds it, and it is the best match."""
    index = DuplicateIndex()
    for i in range(63):
        index.add(
            ("long", i), "Hẻm nhà tôi ngập nặng mỗi khi mưa lớn, nước tràn vào nhà, đồ đạc hư hết, đề nghị nạo vét cống"
        )
    index.add("short", "Hẻm nhà tôi ngập nặng mỗi khi mưa")
    for i in range(10):
        index.add(("lamp", i), f"Đèn đường hẻm {i} bị hư")
    assert index.candidates("Hẻm nhà tôi ngập nặng mỗi khi mưa lớn")[0].key == "short"


def test_a_rare_shared_name_outweighs_common_shared_words() -> None:
    """Among 470 questions, a rare place name ("rạch Xuyên Tâm") shared with one earlier question
    weighs more in the blocking step than the common words shared with 70 others: that question
    reaches scoring, and it is the best match."""
    index = DuplicateIndex()
    for i in range(400):
        index.add(("bus", i), f"Xe buýt số {i} chạy thưa quá")
    for i in range(70):
        index.add(("flood", i), "Hẻm nhà tôi ngập nặng mỗi khi mưa")
    index.add("canal", "Cống thoát nước Rạch Xuyên Tâm bốc mùi")
    assert index.candidates("Ngập nặng mỗi khi mưa, rạch Xuyên Tâm")[0].key == "canal"


def test_removed_questions_do_not_crowd_out_the_one_left() -> None:
    """Moderators merged 70 copies of a question into the one left: a new copy still finds it.
    Removed entries stay in the postings until a compaction (after 1000 removals); they must not
    take the places of live questions in the 64-document blocking pool."""
    index = DuplicateIndex()
    for i in range(70):
        index.add(i, "Hẻm nhà tôi ngập nặng mỗi khi mưa, đề nghị nạo vét cống")
    index.add("kept", "Hẻm nhà tôi ngập nặng mỗi khi mưa, đề nghị nạo vét cống gấp")
    for i in range(70):
        index.remove(i)
    found = index.candidates("Hẻm nhà tôi ngập nặng mỗi khi mưa, đề nghị nạo vét cống")
    assert [m.key for m in found] == ["kept"]
