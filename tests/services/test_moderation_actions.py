"""The moderation actions as the desk and the live screens rely on them: the Vietnamese message a moderator
reads when an action is refused, the history sentence each action leaves, and the events the live lists
follow (which question, what happened, which department's inbox it leaves)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import QuestionChanged, RecordingPublisher
from qa_app.models import AnswerStatus, AuditEvent, Question, QuestionStatus, Submission
from qa_app.services import audit, intake
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from qa_app.services.errors import Conflict, InvalidInput, NotFound
from qa_app.web.history import describe
from tests.factories import make_answer, make_episode, make_staff

S = QuestionStatus
ASKED = "Bao giờ phường nạo vét cống thoát nước trên đường Lê Văn Sỹ để hết ngập khi mưa lớn?"
OTHER = "Đề nghị cho biết thời gian cấp giấy phép xây dựng nhà ở riêng lẻ tại phường Tân Định?"


@pytest.fixture
async def desk(db: AsyncSession) -> dict[str, Any]:
    staff = await make_staff(db)
    episode = await make_episode(db, slug="ky-actions")
    publisher = RecordingPublisher()
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=publisher, engines=ModerationEngines())

    async def ask(text: str) -> int:
        asked = await intake.submit(db, ctx.engines, publisher, episode, intake.SubmissionForm(text=text))
        return asked.question_id

    return {"ctx": ctx, "publisher": publisher, "episode": episode, "ask": ask, "staff": staff}


async def _sentences(db: AsyncSession, question_id: int) -> list[str]:
    return [describe(e, {"so-xay-dung": "Sở Xây dựng"}) for e in await audit.history(db, "question", question_id)]


def _changes(publisher: RecordingPublisher) -> list[tuple[int, str, str | None, str | None]]:
    return [
        (e.question_id, e.action, e.department_code, e.previous_department_code)
        for e in publisher.events
        if isinstance(e, QuestionChanged)
    ]


async def test_rejecting_a_routed_question_takes_it_out_of_that_department_s_inbox(
    db: AsyncSession, desk: dict[str, Any]
) -> None:
    ctx, publisher = desk["ctx"], desk["publisher"]
    question_id = await desk["ask"](ASKED)
    await actions.route(ctx, question_id, "so-xay-dung")
    publisher.events.clear()
    await actions.reject(ctx, question_id, "off_topic")
    # the department is still named: its inbox must drop the question live
    assert _changes(publisher) == [(question_id, "rejected", "so-xay-dung", "so-xay-dung")]
    assert await _sentences(db, question_id) == [
        "moderator chuyển cho Sở Xây dựng",
        "moderator từ chối: Không đúng chủ đề",
    ]
    event = (await audit.history(db, "question", question_id))[-1]
    assert event.before is not None and event.before["status"] == "routed"
    assert event.after is not None and event.after["status"] == "rejected" and event.after["reason"] == "off_topic"


async def test_reopening_publishes_the_reopened_question(db: AsyncSession, desk: dict[str, Any]) -> None:
    ctx, publisher = desk["ctx"], desk["publisher"]
    question_id = await desk["ask"](ASKED)
    await actions.reject(ctx, question_id, "spam")
    publisher.events.clear()
    reopened = await actions.reopen(ctx, question_id)
    assert reopened.status is S.NEW
    assert _changes(publisher) == [(question_id, "reopened", None, None)]


async def test_priority_is_checked_and_its_change_is_told_in_the_history(
    db: AsyncSession, desk: dict[str, Any]
) -> None:
    ctx = desk["ctx"]
    question_id = await desk["ask"](ASKED)
    with pytest.raises(InvalidInput) as refused:
        await actions.set_priority(ctx, question_id, 3)
    assert refused.value.errors == {"priority": "Mức ưu tiên là bình thường, cao hoặc khẩn."}
    await actions.set_priority(ctx, question_id, 2)
    assert (await _sentences(db, question_id))[-1].endswith("từ bình thường thành khẩn"), await _sentences(
        db, question_id
    )


async def test_route_needs_a_department(db: AsyncSession, desk: dict[str, Any]) -> None:
    question_id = await desk["ask"](ASKED)
    with pytest.raises(InvalidInput) as refused:
        await actions.route(desk["ctx"], question_id, "")
    assert refused.value.errors == {"department": "Vui lòng chọn đơn vị."}


async def test_a_merged_question_cannot_be_edited(db: AsyncSession, desk: dict[str, Any]) -> None:
    ctx = desk["ctx"]
    source, target = await desk["ask"](ASKED), await desk["ask"](OTHER)
    await actions.merge(ctx, source, target)
    with pytest.raises(Conflict) as refused:
        await actions.edit_wording(ctx, source, ASKED + " (sửa)")
    assert refused.value.message == "Câu hỏi này đã được gộp vào câu hỏi khác."


async def test_merge_across_episodes_is_refused_in_vietnamese(db: AsyncSession, desk: dict[str, Any]) -> None:
    ctx = desk["ctx"]
    source = await desk["ask"](ASKED)
    other_episode = await make_episode(db, title="Kỳ khác", slug="ky-khac-actions")
    elsewhere = await intake.submit(db, ctx.engines, ctx.publisher, other_episode, intake.SubmissionForm(text=OTHER))
    with pytest.raises(InvalidInput) as refused:
        await actions.merge(ctx, source, elsewhere.question_id)
    assert refused.value.errors == {"target": "Hai câu hỏi phải thuộc cùng một kỳ phát sóng."}


async def test_merge_is_in_the_source_s_history_and_both_lists_hear_of_it(
    db: AsyncSession, desk: dict[str, Any]
) -> None:
    ctx, publisher = desk["ctx"], desk["publisher"]
    source, target = await desk["ask"](ASKED), await desk["ask"](OTHER)
    publisher.events.clear()
    await actions.merge(ctx, source, target)
    assert _changes(publisher) == [(source, "merged", None, None), (target, "merged_into", None, None)]
    assert await _sentences(db, source) == [f"moderator gộp vào câu hỏi #{target} (câu đó nay có 2 ý kiến)"]


async def test_split_refuses_a_lone_submission_and_announces_the_new_question(
    db: AsyncSession, desk: dict[str, Any]
) -> None:
    ctx, publisher = desk["ctx"], desk["publisher"]
    source, target = await desk["ask"](ASKED), await desk["ask"](OTHER)
    lone = await db.scalar(select(Submission.id).where(Submission.question_id == target))
    assert lone is not None
    with pytest.raises(Conflict) as refused:
        await actions.split(ctx, lone)
    assert refused.value.message == "Đây là lượt gửi duy nhất của câu hỏi; không có gì để tách."
    await actions.merge(ctx, source, target)
    moved = await db.scalar(select(Submission.id).where(Submission.question_id == target, Submission.id != lone))
    assert moved is not None
    publisher.events.clear()
    created = await actions.split(ctx, moved)
    # the new question arrives in the lists like any new question
    assert _changes(publisher) == [(target, "split", None, None), (created.id, "submitted", None, None)]


async def test_undo_twice_is_refused_as_already_undone(db: AsyncSession, desk: dict[str, Any]) -> None:
    ctx = desk["ctx"]
    question_id = await desk["ask"](ASKED)
    await actions.reject(ctx, question_id, "spam")
    event = await actions.latest_undoable(db, question_id, ctx.actor)
    assert event is not None
    await actions.undo(ctx, event.id)
    undone = (await audit.history(db, "question", question_id))[-1]
    assert (undone.action, undone.episode_id, undone.note) == ("question.undo", desk["episode"].id, str(event.id))
    assert undone.before is not None and undone.before["status"] == "rejected"
    assert undone.after is not None and undone.after["status"] == "new"
    with pytest.raises(Conflict) as refused:
        await actions.undo(ctx, event.id)
    assert refused.value.message == "Thay đổi này đã được hoàn tác."


async def test_undoing_a_route_after_another_change_is_refused(db: AsyncSession, desk: dict[str, Any]) -> None:
    ctx = desk["ctx"]
    question_id = await desk["ask"](ASKED)
    await actions.route(ctx, question_id, "so-xay-dung")
    routed = await actions.latest_undoable(db, question_id, ctx.actor)
    assert routed is not None
    await actions.set_priority(ctx, question_id, 1)  # someone changed it since
    with pytest.raises(Conflict) as refused:
        await actions.undo(ctx, routed.id)
    assert refused.value.message == "Câu hỏi đã thay đổi sau đó nên không thể tự động hoàn tác thao tác này nữa."


async def test_undoing_a_route_takes_the_question_out_of_that_department_s_inbox(
    db: AsyncSession, desk: dict[str, Any]
) -> None:
    ctx, publisher = desk["ctx"], desk["publisher"]
    question_id = await desk["ask"](ASKED)
    await actions.route(ctx, question_id, "so-xay-dung")
    routed = await actions.latest_undoable(db, question_id, ctx.actor)
    assert routed is not None
    publisher.events.clear()
    await actions.undo(ctx, routed.id)
    assert _changes(publisher) == [(question_id, "unrouted", None, "so-xay-dung")]


async def test_undoing_a_split_is_recorded_in_the_episode_s_log(db: AsyncSession, desk: dict[str, Any]) -> None:
    ctx = desk["ctx"]
    source, target = await desk["ask"](ASKED), await desk["ask"](OTHER)
    await actions.merge(ctx, source, target)
    moved = await db.scalar(select(Submission.id).where(Submission.question_id == target).order_by(Submission.id))
    assert moved is not None
    created = await actions.split(ctx, moved)
    split_event = await actions.latest_undoable(db, target, ctx.actor)
    assert split_event is not None and split_event.action == "question.split"
    restored = await actions.undo(ctx, split_event.id)
    assert restored.id == target
    undone = (await audit.history(db, "question", target))[-1]
    assert (undone.action, undone.episode_id, undone.before) == (
        "question.undo",
        desk["episode"].id,
        {"split_into": created.id},
    )


async def test_a_note_that_looks_like_an_event_number_does_not_block_an_undo(
    db: AsyncSession, desk: dict[str, Any]
) -> None:
    """Only an undo record marks an event as undone, not any record whose note is that number."""
    ctx = desk["ctx"]
    question_id = await desk["ask"](ASKED)
    await actions.route(ctx, question_id, "so-xay-dung")
    routed = await actions.latest_undoable(db, question_id, ctx.actor)
    assert routed is not None
    other = await desk["ask"](OTHER)
    await actions.reject(ctx, other, "other", note=str(routed.id))
    restored = await actions.undo(ctx, routed.id)
    assert restored.status is S.NEW and restored.department_id is None


async def test_only_the_four_kinds_of_change_can_be_undone(db: AsyncSession, desk: dict[str, Any]) -> None:
    ctx = desk["ctx"]
    question_id = await desk["ask"](ASKED)
    await actions.set_priority(ctx, question_id, 1)
    priority_event = await db.scalar(select(AuditEvent.id).where(AuditEvent.action == "question.priority"))
    for event_id in (priority_event, 10_000):
        with pytest.raises(NotFound) as refused:
            await actions.undo(ctx, int(event_id or 0))
        assert refused.value.message == "Chỉ có thể hoàn tác thao tác gộp, tách, chuyển đơn vị và từ chối."


async def test_undoing_a_merge_is_recorded_under_the_moderator_and_both_lists_hear_of_it(
    db: AsyncSession, desk: dict[str, Any]
) -> None:
    ctx, publisher = desk["ctx"], desk["publisher"]
    source, target = await desk["ask"](ASKED), await desk["ask"](OTHER)
    await actions.merge(ctx, source, target)
    merge_event = await actions.latest_undoable(db, source, ctx.actor)
    assert merge_event is not None
    publisher.events.clear()
    await actions.undo(ctx, merge_event.id)
    assert _changes(publisher) == [(source, "unmerged", None, None), (target, "unmerged", None, None)]
    undo_event = (await audit.history(db, "question", source))[-1]
    assert undo_event.action == "question.undo" and undo_event.actor_id == ctx.actor.id
    # a second merge of the same pair, then the first undo again: refused, the record says why
    await actions.merge(ctx, source, target)
    with pytest.raises(Conflict) as refused:
        await actions.undo(ctx, merge_event.id)
    assert refused.value.message == "Thay đổi này đã được hoàn tác."


async def test_a_merge_changed_since_cannot_be_undone(db: AsyncSession, desk: dict[str, Any]) -> None:
    ctx = desk["ctx"]
    source, target = await desk["ask"](ASKED), await desk["ask"](OTHER)
    third = await desk["ask"]("Khi nào trạm y tế phường Bến Nghé mở cửa buổi tối cho người đi làm?")
    await actions.merge(ctx, source, target)
    merge_event = await actions.latest_undoable(db, source, ctx.actor)
    assert merge_event is not None
    await actions.merge(ctx, target, third)  # the target itself went elsewhere
    with pytest.raises(Conflict) as refused:
        await actions.undo(ctx, merge_event.id)
    assert refused.value.message == "Các câu hỏi đã thay đổi sau đó; không thể tự động hoàn tác thao tác gộp này."
    # (it used to "restore" the source with none of its submissions: an empty question back in the queue)
    question = await db.get(Question, source, populate_existing=True)
    assert question is not None and question.status is S.MERGED and question.merged_into_id == target
    assert await db.scalar(select(Question.submission_count).where(Question.id == third)) == 3


async def test_matching_thresholds_may_be_equal_but_suggestions_not_above_merges(
    db: AsyncSession, desk: dict[str, Any]
) -> None:
    episode, staff = desk["episode"], desk["staff"]
    publisher = RecordingPublisher()
    await actions.update_matching_settings(
        db, staff["moderator"], publisher, episode.id, auto_merge=70, suggest=70, filler_phrases=[]
    )
    with pytest.raises(InvalidInput) as refused:
        await actions.update_matching_settings(
            db, staff["moderator"], publisher, episode.id, auto_merge=60, suggest=61, filler_phrases=[]
        )
    assert refused.value.errors == {"suggest": "Ngưỡng gợi ý không được cao hơn ngưỡng tự động gộp."}
    history = await audit.history(db, "episode", episode.id)
    assert [e.action for e in history][-1:] == ["episode.matching"]
    assert history[-1].entity_type == "episode" and history[-1].after is not None


async def test_reviewing_an_answer_leaves_an_exact_record_and_tells_the_producer(
    db: AsyncSession, desk: dict[str, Any]
) -> None:
    ctx, publisher = desk["ctx"], desk["publisher"]
    answers = []
    for text in (ASKED, OTHER):
        question_id = await desk["ask"](text)
        await actions.route(ctx, question_id, "so-xay-dung")
        answers.append((await make_answer(db, question_id, status=AnswerStatus.SUBMITTED)).id)
    publisher.events.clear()
    with pytest.raises(InvalidInput) as refused:
        await actions.review_answer(ctx, answers[1], approve=False, comment="  ")
    assert refused.value.errors == {"comment": "Vui lòng ghi rõ đơn vị cần sửa gì."}
    await actions.review_answer(ctx, answers[0], approve=True)
    await actions.review_answer(ctx, answers[1], approve=False, comment="Thiếu thời hạn cụ thể.")
    records = [
        (e.action, e.entity_type, e.before, e.after, e.note)
        for e in await db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "answer").order_by(AuditEvent.id))
    ]
    assert records == [
        (
            "answer.approve",
            "answer",
            {"answer": "submitted", "question": "answer_review"},
            {"answer": "approved", "question": "ready"},
            None,
        ),
        (
            "answer.return",
            "answer",
            {"answer": "submitted", "question": "answer_review"},
            {"answer": "returned", "question": "routed"},
            "Thiếu thời hạn cụ thể.",
        ),
    ]
    question_ids = [q for q, *_ in _changes(publisher)]
    assert [a for _, a, *_ in _changes(publisher)] == ["answer_approved", "answer_returned"]
    assert len(set(question_ids)) == 2


async def test_approving_the_wording_once_shows_it_as_written(db: AsyncSession, desk: dict[str, Any]) -> None:
    ctx, publisher = desk["ctx"], desk["publisher"]
    question_id = await desk["ask"](ASKED)
    fresh = await db.get(Question, question_id)
    assert fresh is not None and fresh.wording_reviewed_at is None
    version = fresh.version
    publisher.events.clear()
    approved = await actions.approve_wording(ctx, question_id, expected_version=version)
    assert approved.wording_reviewed_at is not None
    assert _changes(publisher) == [(question_id, "edited", None, None)]  # citizens' views change
    [record] = [e for e in await audit.history(db, "question", question_id) if e.action == "question.approve_wording"]
    assert (record.actor_id, record.episode_id, record.before, record.after) == (
        ctx.actor.id,
        desk["episode"].id,
        {"version": version},
        {"text": approved.public_text},
    )
    again = await actions.approve_wording(ctx, question_id)  # a second moderator: nothing more happens
    assert again.wording_reviewed_at == approved.wording_reviewed_at
    assert len(await audit.history(db, "question", question_id)) == 1 and len(publisher.events) == 1
    with pytest.raises(Conflict) as stale:
        await actions.approve_wording(ctx, question_id, expected_version=version)
    assert stale.value.message == actions.stale_message(question_id)  # changed meanwhile: read it again
    source, target = await desk["ask"](OTHER), await desk["ask"]("Khi nào trạm y tế phường Bến Nghé mở cửa buổi tối?")
    await actions.merge(ctx, source, target)
    with pytest.raises(Conflict) as merged:
        await actions.approve_wording(ctx, source)
    assert merged.value.message == "Câu hỏi này đã được gộp vào câu hỏi khác."
