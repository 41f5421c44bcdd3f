""" "Đã có người hỏi?": what a citizen (or an operator) sees of the episode's similar questions while typing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import RecordingPublisher
from qa_app.services import intake
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from tests.factories import make_episode, make_staff

FLOOD = "Đường Nguyễn Hữu Cảnh đoạn trước số 1527 cứ mưa là ngập sâu, xe chết máy hàng loạt, bao giờ mới hết ngập?"
FLOOD_AGAIN = "Mưa lớn là đường Nguyễn Hữu Cảnh ngập sâu, xe chết máy, khi nào chống ngập xong?"
FLOOD_NEW = "Đường Nguyễn Hữu Cảnh ngập sâu mỗi khi mưa, xe máy chết máy, bao giờ hết ngập vậy?"
TYPING = "duong nguyen huu canh mua ngap sau xe chet may"


@pytest.fixture
async def board(db: AsyncSession) -> dict[str, Any]:
    """Three flood questions kept apart (automatic merging off): one routed, one rejected, one still new."""
    staff = await make_staff(db)
    episode = await make_episode(db, slug="ky-tuong-tu")
    engines, publisher = ModerationEngines(), RecordingPublisher()
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=publisher, engines=engines)
    await actions.update_matching_settings(
        db, staff["moderator"], publisher, episode.id, auto_merge=100, suggest=30, filler_phrases=[]
    )
    ids = []
    for text in (FLOOD, FLOOD_AGAIN, FLOOD_NEW):
        asked = await intake.submit(db, engines, publisher, episode, intake.SubmissionForm(text=text))
        ids.append(asked.question_id)
    assert len(set(ids)) == 3
    await actions.route(ctx, ids[0], "so-xay-dung")
    await actions.reject(ctx, ids[1], "spam")
    return {"episode": episode, "engines": engines, "routed": ids[0], "rejected": ids[1], "new": ids[2]}


async def test_a_citizen_sees_moderated_questions_only(db: AsyncSession, board: dict[str, Any]) -> None:
    found = await intake.similar_public_questions(db, board["engines"], board["episode"], TYPING)
    assert [s.question.id for s in found] == [board["routed"]]
    assert found[0].score > 0
    # not yet read by a moderator: names and numbers hidden, the rest as written
    assert "1527" not in found[0].text and "Nguyễn Hữu Cảnh" in found[0].text and "ngập sâu" in found[0].text


async def test_an_operator_also_sees_the_unmoderated_ones_best_first_and_no_more_than_asked(
    db: AsyncSession, board: dict[str, Any]
) -> None:
    statuses = intake.MERGEABLE_STATUSES
    found = await intake.similar_public_questions(db, board["engines"], board["episode"], TYPING, statuses=statuses)
    assert {s.question.id for s in found} == {board["routed"], board["new"]}  # never the rejected one
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    one = await intake.similar_public_questions(
        db, board["engines"], board["episode"], TYPING, limit=1, statuses=statuses
    )
    assert [s.question.id for s in one] == [found[0].question.id]


@pytest.mark.parametrize(
    "typed",
    [
        "ngập sâu",  # too short to say anything yet
        "duong nguyen huu canh\x00 mua ngap sau xe chet may",  # NUL: refused, as the form would
        "hoàn toàn khác: học phí trường mầm non công lập",  # nothing alike
    ],
)
async def test_nothing_is_suggested(db: AsyncSession, board: dict[str, Any], typed: str) -> None:
    assert await intake.similar_public_questions(db, board["engines"], board["episode"], typed) == []


async def test_invisible_control_characters_do_not_hide_a_match(db: AsyncSession, board: dict[str, Any]) -> None:
    typed = "duong nguyen\x1b huu canh mua\x7f ngap sau xe chet may"
    found = await intake.similar_public_questions(db, board["engines"], board["episode"], typed)
    assert [s.question.id for s in found] == [board["routed"]]


def test_nfc_drops_controls_but_keeps_nul_for_its_callers_to_refuse() -> None:
    assert intake.nfc("a\x1bb\x00c\x85d") == "ab\x00cd"
