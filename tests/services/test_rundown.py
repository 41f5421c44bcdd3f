"""The rundown service: order, skip, remove, on air, pull back, next; every step's state and events."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import OnAirChanged, QuestionChanged, RecordingPublisher
from qa_app.models import AuditEvent, Episode, Question, QuestionStatus, RundownItem
from qa_app.services import intake, rundown
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from qa_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.factories import make_answer, make_episode, make_staff

S = QuestionStatus
TEXTS = [
    "Xin hỏi bao giờ nạo vét xong kênh Tàu Hủ đoạn qua phường Chánh Hưng?",
    "Đề nghị cho biết lộ trình cấm xe máy trên đường Nguyễn Huệ vào cuối tuần?",
    "Phường có kế hoạch lắp camera giám sát rác thải ở hẻm 120 Lý Thường Kiệt không?",
    "Khi nào trạm y tế phường Bến Nghé mở cửa buổi tối cho người đi làm?",
]


@pytest.fixture
async def show(db: AsyncSession) -> dict[str, Any]:
    """An episode with four routed questions, the first three in the rundown (in that order)."""
    staff = await make_staff(db)
    episode = await make_episode(db, slug="ky-rundown")
    engines = ModerationEngines()
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=RecordingPublisher(), engines=engines)
    questions = []
    for text in TEXTS:
        asked = await intake.submit(db, engines, ctx.publisher, episode, intake.SubmissionForm(text=text))
        await actions.route(ctx, asked.question_id, "so-xay-dung")
        questions.append(asked.question_id)
    for question_id in questions[:3]:
        await rundown.add(db, staff["producer"], ctx.publisher, episode.id, question_id)
    items = list(await db.scalars(select(RundownItem.id).order_by(RundownItem.position)))
    return {
        "episode": episode,
        "producer": staff["producer"],
        "moderator": staff["moderator"],
        "q": questions,
        "items": items,
    }


async def _order(db: AsyncSession, episode_id: int, *, include_skipped: bool = True) -> list[int]:
    return [e.question.id for e in await rundown.entries(db, episode_id, include_skipped=include_skipped)]


async def _status(db: AsyncSession, question_id: int) -> QuestionStatus:
    question = await db.get(Question, question_id, populate_existing=True)
    assert question is not None
    return question.status


async def test_add_queues_at_the_end_and_refuses_twice_or_foreign(db: AsyncSession, show: dict[str, Any]) -> None:
    episode, producer, q = show["episode"], show["producer"], show["q"]
    assert await _order(db, episode.id) == q[:3]
    assert [await _status(db, i) for i in q] == [S.QUEUED, S.QUEUED, S.QUEUED, S.ROUTED]
    positions = list(await db.scalars(select(RundownItem.position).order_by(RundownItem.position)))
    assert positions == [1, 2, 3]
    assert [c.id for c in await rundown.candidates(db, episode.id)] == [q[3]]
    with pytest.raises(Conflict):
        await rundown.add(db, producer, RecordingPublisher(), episode.id, q[0])
    other = await make_episode(db, title="Kỳ khác", slug="ky-khac")
    with pytest.raises(NotFound):
        await rundown.add(db, producer, RecordingPublisher(), other.id, q[3])
    with pytest.raises(PermissionDenied):
        await rundown.add(db, show["moderator"], RecordingPublisher(), episode.id, q[3])
    publisher = RecordingPublisher()
    await rundown.add(db, producer, publisher, episode.id, q[3])
    assert publisher.events == [
        OnAirChanged(episode_id=episode.id),
        QuestionChanged(episode_id=episode.id, question_id=q[3], action="queued"),
    ]
    assert await _order(db, episode.id) == q


async def test_move_is_clamped_at_both_ends(db: AsyncSession, show: dict[str, Any]) -> None:
    episode, producer, q, items = show["episode"], show["producer"], show["q"], show["items"]
    publisher = RecordingPublisher()
    await rundown.move(db, producer, publisher, episode.id, items[0], -1)  # already first
    assert await _order(db, episode.id) == q[:3]
    await rundown.move(db, producer, publisher, episode.id, items[2], 1)  # already last
    assert await _order(db, episode.id) == q[:3]
    await rundown.move(db, producer, publisher, episode.id, items[0], 1)
    assert await _order(db, episode.id) == [q[1], q[0], q[2]]
    await rundown.move(db, producer, publisher, episode.id, items[2], -1)
    assert await _order(db, episode.id) == [q[1], q[2], q[0]]
    assert publisher.events[-1] == OnAirChanged(episode_id=episode.id)
    with pytest.raises(NotFound):
        await rundown.move(db, producer, publisher, episode.id, 9999, 1)
    with pytest.raises(InvalidInput):
        await rundown.reorder(db, producer, publisher, episode.id, items[:2])
    with pytest.raises(PermissionDenied):
        await rundown.reorder(db, show["moderator"], publisher, episode.id, items[::-1])


async def test_skip_puts_behind_and_a_move_into_the_list_unskips(db: AsyncSession, show: dict[str, Any]) -> None:
    episode, producer, q, items = show["episode"], show["producer"], show["q"], show["items"]
    publisher = RecordingPublisher()
    await rundown.skip(db, producer, publisher, episode.id, items[0])
    assert await _order(db, episode.id) == [q[1], q[2], q[0]]
    assert await _order(db, episode.id, include_skipped=False) == [q[1], q[2]]
    assert publisher.events[-1] == QuestionChanged(episode_id=episode.id, question_id=q[0], action="skipped")
    # Dragged to the end it stays skipped; dragged anywhere before, it is back in play.
    await rundown.reorder(db, producer, publisher, episode.id, [items[1], items[2], items[0]])
    assert await _order(db, episode.id, include_skipped=False) == [q[1], q[2]]
    await rundown.reorder(db, producer, publisher, episode.id, [items[1], items[0], items[2]])
    assert await _order(db, episode.id, include_skipped=False) == [q[1], q[0], q[2]]
    await rundown.skip(db, producer, publisher, episode.id, items[2])
    await rundown.skip(db, producer, publisher, episode.id, items[2])  # a second skip takes it back
    assert await _order(db, episode.id, include_skipped=False) == [q[1], q[0], q[2]]
    with pytest.raises(NotFound):
        await rundown.skip(db, producer, publisher, episode.id + 1, items[0])


async def test_remove_returns_the_question_and_refuses_while_on_air(db: AsyncSession, show: dict[str, Any]) -> None:
    episode, producer, q, items = show["episode"], show["producer"], show["q"], show["items"]
    publisher = RecordingPublisher()
    await rundown.remove(db, producer, publisher, episode.id, items[1])
    assert await _order(db, episode.id) == [q[0], q[2]]
    assert await _status(db, q[1]) is S.ROUTED  # no approved answer
    assert publisher.events[-1] == QuestionChanged(episode_id=episode.id, question_id=q[1], action="unqueued")
    await rundown.put_on_air(db, producer, publisher, episode.id, q[0])
    with pytest.raises(Conflict):
        await rundown.remove(db, producer, publisher, episode.id, items[0])
    with pytest.raises(NotFound):
        await rundown.remove(db, producer, publisher, episode.id, items[1])  # gone already


async def test_one_question_on_air_then_pull_back_and_next(db: AsyncSession, show: dict[str, Any]) -> None:
    episode, producer, q = show["episode"], show["producer"], show["q"]
    publisher = RecordingPublisher()
    with pytest.raises(Conflict):
        await rundown.pull_back(db, producer, publisher, episode.id)
    with pytest.raises(Conflict):
        await rundown.mark_answered(db, producer, publisher, episode.id)

    await rundown.put_on_air(db, producer, publisher, episode.id, q[1])
    assert publisher.events[-2:] == [
        OnAirChanged(episode_id=episode.id),
        QuestionChanged(episode_id=episode.id, question_id=q[1], action="on_air"),
    ]
    await rundown.put_on_air(db, producer, publisher, episode.id, q[2])  # the one before goes back, unanswered
    assert (await _status(db, q[1]), await _status(db, q[2])) == (S.QUEUED, S.ON_AIR)
    fresh = await db.get(Episode, episode.id, populate_existing=True)
    assert fresh is not None and fresh.on_air_question_id == q[2] and fresh.on_air_since is not None

    # A question not in the rundown goes on air at its top.
    await rundown.put_on_air(db, producer, publisher, episode.id, q[3])
    assert (await _order(db, episode.id))[0] == q[3]
    assert await _status(db, q[2]) is S.QUEUED

    pulled = await rundown.pull_back(db, producer, publisher, episode.id)
    assert pulled.id == q[3] and await _status(db, q[3]) is S.QUEUED
    fresh = await db.get(Episode, episode.id, populate_existing=True)
    assert fresh is not None and fresh.on_air_question_id is None and fresh.on_air_since is None

    # Next: the first queued (not skipped) question of the rundown; then the one on air is answered.
    first = await rundown.next_on_air(db, producer, publisher, episode.id)
    assert first.id == q[3]
    second = await rundown.next_on_air(db, producer, publisher, episode.id)
    assert second.id == q[0] and await _status(db, q[3]) is S.ANSWERED_ON_AIR
    answered = await rundown.mark_answered(db, producer, publisher, episode.id, "  Ông Nguyễn Văn Hùng ")
    assert answered.answered_by_official == "Ông Nguyễn Văn Hùng" and answered.answered_at is not None
    assert publisher.events[-1] == QuestionChanged(episode_id=episode.id, question_id=q[0], action="answered_on_air")
    await rundown.next_on_air(db, producer, publisher, episode.id)
    await rundown.next_on_air(db, producer, publisher, episode.id)
    with pytest.raises(Conflict):
        await rundown.next_on_air(db, producer, publisher, episode.id)  # all answered
    assert [await _status(db, i) for i in q] == [S.ANSWERED_ON_AIR] * 4
    actions_logged = list(await db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("onair.%"))))
    assert actions_logged.count("onair.done") == 4 and "onair.pull" in actions_logged


async def test_every_step_leaves_an_exact_audit_trail(db: AsyncSession, show: dict[str, Any]) -> None:
    episode, producer, q, items = show["episode"], show["producer"], show["q"], show["items"]
    publisher = RecordingPublisher()

    async def last() -> tuple[Any, ...]:
        event = await db.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event is not None
        return (event.actor_id, event.action, event.entity_type, event.entity_id, event.episode_id, event.after)

    await rundown.reorder(db, producer, publisher, episode.id, items[::-1])
    assert await last() == (producer.id, "rundown.reorder", "episode", episode.id, episode.id, {"order": items[::-1]})
    await rundown.skip(db, producer, publisher, episode.id, items[0])
    assert await last() == (producer.id, "rundown.skip", "question", q[0], episode.id, {"skipped": True})
    await rundown.remove(db, producer, publisher, episode.id, items[1])
    assert await last() == (producer.id, "rundown.remove", "question", q[1], episode.id, {"status": "routed"})
    await rundown.add(db, producer, publisher, episode.id, q[3])
    assert await last() == (producer.id, "rundown.add", "question", q[3], episode.id, {"position": 4})
    await rundown.put_on_air(db, producer, publisher, episode.id, q[2])
    assert await last() == (producer.id, "onair.put", "question", q[2], episode.id, {"status": "on_air"})
    await rundown.pull_back(db, producer, publisher, episode.id)
    assert await last() == (producer.id, "onair.pull", "question", q[2], episode.id, None)
    await rundown.put_on_air(db, producer, publisher, episode.id, q[2])
    await rundown.mark_answered(db, producer, publisher, episode.id, "Bà Lê Thị Hoa")
    assert await last() == (producer.id, "onair.done", "question", q[2], episode.id, {"official": "Bà Lê Thị Hoa"})


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("move", "Không tìm thấy mục trong kịch bản."),
        ("skip", "Không tìm thấy mục trong kịch bản."),
        ("reorder", "Kịch bản vừa thay đổi. Vui lòng tải lại rồi thử lại."),
    ],
)
async def test_refusals_say_why(db: AsyncSession, show: dict[str, Any], step: str, message: str) -> None:
    episode, producer, items = show["episode"], show["producer"], show["items"]
    publisher = RecordingPublisher()
    calls = {
        "move": lambda: rundown.move(db, producer, publisher, episode.id, 9999, 1),
        "skip": lambda: rundown.skip(db, producer, publisher, episode.id, 9999),
        "reorder": lambda: rundown.reorder(db, producer, publisher, episode.id, items[:1]),
    }
    with pytest.raises((NotFound, InvalidInput)) as refused:
        await calls[step]()
    said = refused.value.errors.get("order") if isinstance(refused.value, InvalidInput) else refused.value.message
    assert said == message


async def test_candidates_ready_first_then_most_asked_within_the_episode_and_limit(
    db: AsyncSession, show: dict[str, Any]
) -> None:
    episode, producer, q = show["episode"], show["producer"], show["q"]
    engines, publisher = ModerationEngines(), RecordingPublisher()
    moderator_ctx = actions.ActionContext(db=db, actor=show["moderator"], publisher=publisher, engines=engines)
    extra = []
    for text in (
        "Xin hỏi lịch tiêm chủng mở rộng cho trẻ dưới 5 tuổi ở phường Tân Định?",
        "Bao giờ sửa xong đèn chiếu sáng hẻm 45 đường Trần Quang Khải?",
        "Đề nghị phường xử lý quán karaoke gây ồn sau 22 giờ tại hẻm 30?",
    ):
        asked = await intake.submit(db, engines, publisher, episode, intake.SubmissionForm(text=text))
        await actions.route(moderator_ctx, asked.question_id, "so-xay-dung")
        extra.append(asked.question_id)
    more_asked = await db.get(Question, extra[2])
    assert more_asked is not None
    more_asked.submission_count = 3
    await db.commit()
    await make_answer(db, extra[1], official_title="Phó Giám đốc Sở Xây dựng")
    # another episode's routed question is not offered here
    other = await make_episode(db, title="Kỳ khác", slug="ky-khac-candidates")
    elsewhere = await intake.submit(db, engines, publisher, other, intake.SubmissionForm(text=TEXTS[0]))
    await actions.route(moderator_ctx, elsewhere.question_id, "so-xay-dung")
    await rundown.remove(db, producer, publisher, episode.id, show["items"][2])  # q[2] back among the candidates
    offered = [c.id for c in await rundown.candidates(db, episode.id)]
    assert offered == [extra[1], extra[2], q[2], q[3], extra[0]]
    assert [c.id for c in await rundown.candidates(db, episode.id, limit=2)] == [extra[1], extra[2]]


async def test_a_new_question_is_refused_for_the_rundown_in_vietnamese(db: AsyncSession, show: dict[str, Any]) -> None:
    engines, publisher = ModerationEngines(), RecordingPublisher()
    asked = await intake.submit(
        db, engines, publisher, show["episode"], intake.SubmissionForm(text="Khi nào mở lại chợ Bến Thành ban đêm?")
    )
    with pytest.raises(Conflict) as refused:
        await rundown.add(db, show["producer"], publisher, show["episode"].id, asked.question_id)
    assert refused.value.message == (
        "Chỉ câu hỏi đã chuyển đơn vị hoặc đã có câu trả lời được duyệt mới đưa vào kịch bản."
    )


async def test_pull_back_with_nothing_on_air_says_so_and_pulling_is_announced(
    db: AsyncSession, show: dict[str, Any]
) -> None:
    episode, producer, q = show["episode"], show["producer"], show["q"]
    publisher = RecordingPublisher()
    with pytest.raises(Conflict) as refused:
        await rundown.pull_back(db, producer, publisher, episode.id)
    assert refused.value.message == "Không có câu hỏi nào đang lên sóng."
    await rundown.put_on_air(db, producer, publisher, episode.id, q[0])
    publisher.events.clear()
    await rundown.pull_back(db, producer, publisher, episode.id)
    assert publisher.events == [
        OnAirChanged(episode_id=episode.id),
        QuestionChanged(episode_id=episode.id, question_id=q[0], action="pulled"),
    ]


async def test_questions_put_on_air_from_outside_the_rundown_each_go_to_its_top(
    db: AsyncSession, show: dict[str, Any]
) -> None:
    """The latest goes above the earlier ones, also once the top position is 0 (it used to share 0)."""
    episode, producer, q = show["episode"], show["producer"], show["q"]
    publisher = RecordingPublisher()
    await rundown.remove(db, producer, publisher, episode.id, show["items"][2])
    await rundown.put_on_air(db, producer, publisher, episode.id, q[3])  # top was 1: goes to 0
    await rundown.put_on_air(db, producer, publisher, episode.id, q[2])  # top is 0: goes to -1
    assert await _order(db, episode.id) == [q[2], q[3], q[0], q[1]]
    positions = list(await db.scalars(select(RundownItem.position).order_by(RundownItem.position)))
    assert positions == [-1, 0, 1, 2]


async def test_answered_on_air_names_the_official_of_this_question_s_answer(
    db: AsyncSession, show: dict[str, Any]
) -> None:
    episode, producer, q = show["episode"], show["producer"], show["q"]
    publisher = RecordingPublisher()
    await make_answer(db, q[0], official_name="Lê Thị Hoa")
    await make_answer(db, q[1], official_name="Trần Văn Bảy", official_title="")  # no title: no dangling comma
    for question_id, expected in ((q[1], "Trần Văn Bảy"), (q[0], "Lê Thị Hoa, Giám đốc Sở Xây dựng")):
        await rundown.put_on_air(db, producer, publisher, episode.id, question_id)
        answered = await rundown.mark_answered(db, producer, publisher, episode.id)
        assert answered.answered_by_official == expected


async def test_next_passes_over_a_skipped_question(db: AsyncSession, show: dict[str, Any]) -> None:
    episode, producer, q, items = show["episode"], show["producer"], show["q"], show["items"]
    publisher = RecordingPublisher()
    await rundown.reorder(db, producer, publisher, episode.id, items)
    await rundown.skip(db, producer, publisher, episode.id, items[0])
    first = await rundown.next_on_air(db, producer, publisher, episode.id)
    assert first.id == q[1] and await _status(db, q[0]) is S.QUEUED


async def test_next_never_airs_a_skipped_question(db: AsyncSession, show: dict[str, Any]) -> None:
    """Once every other item is answered, the skipped one stays skipped: the producer brings it back by hand."""
    episode, producer, q, items = show["episode"], show["producer"], show["q"], show["items"]
    publisher = RecordingPublisher()
    await rundown.skip(db, producer, publisher, episode.id, items[0])
    await rundown.next_on_air(db, producer, publisher, episode.id)
    await rundown.next_on_air(db, producer, publisher, episode.id)
    with pytest.raises(Conflict):
        await rundown.next_on_air(db, producer, publisher, episode.id)
    assert await _status(db, q[0]) is S.QUEUED
