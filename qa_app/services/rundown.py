"""On air: the producer's rundown and the one question on air per episode.

``ready`` or ``routed`` questions are queued (the official may answer live before the written answer
is ready); one is put on air; when answered it becomes ``answered_on_air``; a pulled-back question
returns to the rundown. Screens (producer, studio, public board) and the studio control API all call
these functions, so every path changes the state the same way and publishes the same events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import OnAirChanged, Publisher, QuestionChanged
from qa_app.i18n import gettext as _
from qa_app.models import (
    Answer,
    AnswerStatus,
    Episode,
    MessageKind,
    Question,
    QuestionStatus,
    Role,
    RundownItem,
    User,
)
from qa_app.services import audit, notifications
from qa_app.services.errors import Conflict, InvalidInput, NotFound
from qa_app.services.permissions import ensure_role
from qa_app.timeutil import utcnow

S = QuestionStatus
QUEUEABLE = frozenset({S.ROUTED, S.ANSWER_REVIEW, S.READY})


@dataclass(frozen=True)
class RundownEntry:
    item: RundownItem
    question: Question
    answer: Answer | None  # the approved written answer: the host's reference


async def _episode(db: AsyncSession, episode_id: int) -> Episode:
    episode = await db.get(Episode, episode_id)
    if episode is None:
        raise NotFound(_("No such episode."))
    return episode


async def entries(db: AsyncSession, episode_id: int, *, include_skipped: bool = True) -> list[RundownEntry]:
    """The rundown in order, with each question and its approved answer."""
    query = (
        select(RundownItem, Question)
        .join(Question, Question.id == RundownItem.question_id)
        .where(RundownItem.episode_id == episode_id)
        .order_by(RundownItem.skipped, RundownItem.position, RundownItem.id)
    )
    if not include_skipped:
        query = query.where(RundownItem.skipped.is_(False))
    rows = (await db.execute(query)).all()
    answers: dict[int, Answer] = {}
    ids = [question.id for _item, question in rows]
    if ids:
        for answer in await db.scalars(
            select(Answer)
            .where(Answer.question_id.in_(ids), Answer.status.in_([AnswerStatus.APPROVED, AnswerStatus.PUBLISHED]))
            .order_by(Answer.id)
        ):
            answers[answer.question_id] = answer
    return [RundownEntry(item, question, answers.get(question.id)) for item, question in rows]


async def candidates(db: AsyncSession, episode_id: int, limit: int = 100) -> list[Question]:
    """Questions the producer may add, not yet in the rundown: those with an approved answer first, then routed
    ones; the most asked first in each."""
    in_rundown = select(RundownItem.question_id).where(RundownItem.episode_id == episode_id)
    return list(
        await db.scalars(
            select(Question)
            .where(Question.episode_id == episode_id, Question.status.in_(QUEUEABLE), Question.id.not_in(in_rundown))
            # an approved answer first (ready to air), then the most asked
            .order_by((Question.status == S.READY).desc(), Question.submission_count.desc(), Question.id)
            .limit(limit)
        )
    )


async def _publish(publisher: Publisher, episode_id: int, question_ids: list[int], action: str) -> None:
    await publisher.publish(OnAirChanged(episode_id=episode_id))
    for question_id in question_ids:
        await publisher.publish(QuestionChanged(episode_id=episode_id, question_id=question_id, action=action))


async def add(db: AsyncSession, actor: User, publisher: Publisher, episode_id: int, question_id: int) -> RundownItem:
    ensure_role(actor, Role.PRODUCER)
    question = await db.get(Question, question_id)
    if question is None or question.episode_id != episode_id:
        raise NotFound(_("No such question."))
    if question.status not in QUEUEABLE:
        raise Conflict(_("Only a routed or approved question can go into the rundown."))
    if await db.scalar(
        select(RundownItem.id).where(RundownItem.episode_id == episode_id, RundownItem.question_id == question_id)
    ):
        raise Conflict(_("This question is already in the rundown."))
    position = (
        int(
            await db.scalar(
                select(func.coalesce(func.max(RundownItem.position), 0)).where(RundownItem.episode_id == episode_id)
            )
            or 0
        )
        + 1
    )
    item = RundownItem(episode_id=episode_id, question_id=question_id, position=position)
    db.add(item)
    before = question.status.value
    question.status = S.QUEUED
    await db.flush()
    audit.record(
        db,
        actor,
        "rundown.add",
        "question",
        question_id,
        episode_id=episode_id,
        before={"status": before},
        after={"position": position},
    )
    await db.commit()
    await _publish(publisher, episode_id, [question_id], "queued")
    return item


async def reorder(db: AsyncSession, actor: User, publisher: Publisher, episode_id: int, item_ids: list[int]) -> None:
    """Set the rundown's order (drag and drop or keyboard)."""
    ensure_role(actor, Role.PRODUCER)
    items = {i.id: i for i in await db.scalars(select(RundownItem).where(RundownItem.episode_id == episode_id))}
    if set(item_ids) != set(items):
        raise InvalidInput({"order": _("The rundown changed meanwhile. Reload and try again.")})
    for position, item_id in enumerate(item_ids, start=1):
        items[item_id].position = position
        items[item_id].skipped = (
            False if items[item_id].skipped and position < len(item_ids) else items[item_id].skipped
        )
    audit.record(db, actor, "rundown.reorder", "episode", episode_id, episode_id=episode_id, after={"order": item_ids})
    await db.commit()
    await _publish(publisher, episode_id, [], "reordered")


async def move(db: AsyncSession, actor: User, publisher: Publisher, episode_id: int, item_id: int, delta: int) -> None:
    """Move one item up (-1) or down (+1): the keyboard way to reorder."""
    ordered = [entry.item.id for entry in await entries(db, episode_id)]
    if item_id not in ordered:
        raise NotFound(_("No such rundown item."))
    index = ordered.index(item_id)
    target = max(0, min(len(ordered) - 1, index + delta))
    ordered.insert(target, ordered.pop(index))
    await reorder(db, actor, publisher, episode_id, ordered)


async def skip(db: AsyncSession, actor: User, publisher: Publisher, episode_id: int, item_id: int) -> None:
    """Keep the question in the rundown but move it behind the others (shown as skipped)."""
    ensure_role(actor, Role.PRODUCER)
    item = await db.get(RundownItem, item_id)
    if item is None or item.episode_id != episode_id:
        raise NotFound(_("No such rundown item."))
    item.skipped = not item.skipped
    audit.record(
        db, actor, "rundown.skip", "question", item.question_id, episode_id=episode_id, after={"skipped": item.skipped}
    )
    await db.commit()
    await _publish(publisher, episode_id, [item.question_id], "skipped")


async def remove(db: AsyncSession, actor: User, publisher: Publisher, episode_id: int, item_id: int) -> None:
    """Take a question out of the rundown: back to approved (or routed when no answer is approved)."""
    ensure_role(actor, Role.PRODUCER)
    item = await db.get(RundownItem, item_id)
    if item is None or item.episode_id != episode_id:
        raise NotFound(_("No such rundown item."))
    question = await db.get(Question, item.question_id)
    assert question is not None
    if question.status is S.ON_AIR:
        raise Conflict(_("Pull the question off air first."))
    if question.status is S.QUEUED:
        question.status = await _status_without_rundown(db, question)
    await db.delete(item)
    audit.record(
        db,
        actor,
        "rundown.remove",
        "question",
        question.id,
        episode_id=episode_id,
        after={"status": question.status.value},
    )
    await db.commit()
    await _publish(publisher, episode_id, [question.id], "unqueued")


async def _status_without_rundown(db: AsyncSession, question: Question) -> QuestionStatus:
    approved = await db.scalar(
        select(Answer.id).where(Answer.question_id == question.id, Answer.status == AnswerStatus.APPROVED)
    )
    return S.READY if approved else S.ROUTED


async def put_on_air(
    db: AsyncSession, actor: User, publisher: Publisher, episode_id: int, question_id: int
) -> Question:
    """Put one question on air; the one on air before (if any) goes back to the rundown, unanswered."""
    ensure_role(actor, Role.PRODUCER)
    episode = await _episode(db, episode_id)
    question = await db.get(Question, question_id)
    if question is None or question.episode_id != episode_id:
        raise NotFound(_("No such question."))
    if question.status is S.ON_AIR:
        return question
    if question.status not in QUEUEABLE | {S.QUEUED}:
        raise Conflict(_("This question cannot go on air in its current state."))
    changed = [question.id]
    previous_id = episode.on_air_question_id
    if previous_id and previous_id != question.id:
        previous = await db.get(Question, previous_id)
        if previous is not None and previous.status is S.ON_AIR:
            previous.status = S.QUEUED
            changed.append(previous.id)
    if not await db.scalar(
        select(RundownItem.id).where(RundownItem.episode_id == episode_id, RundownItem.question_id == question.id)
    ):
        # at the top: above the first item (an empty rundown starts at 0); the first may be at 0 or below already
        first = await db.scalar(select(func.min(RundownItem.position)).where(RundownItem.episode_id == episode_id))
        position = (first if first is not None else 1) - 1
        db.add(RundownItem(episode_id=episode_id, question_id=question.id, position=position))
    before = question.status.value
    question.status = S.ON_AIR
    episode.on_air_question_id = question.id
    episode.on_air_since = utcnow()
    audit.record(
        db,
        actor,
        "onair.put",
        "question",
        question.id,
        episode_id=episode_id,
        before={"status": before, "previous_on_air": previous_id},
        after={"status": "on_air"},
    )
    await db.commit()
    await _publish(publisher, episode_id, changed, "on_air")
    return question


async def mark_answered(
    db: AsyncSession,
    actor: User,
    publisher: Publisher,
    episode_id: int,
    official: str = "",
    *,
    now: datetime | None = None,
) -> Question:
    """The question on air was answered live (by ``official``); nothing is on air afterwards."""
    ensure_role(actor, Role.PRODUCER)
    episode = await _episode(db, episode_id)
    question = await db.get(Question, episode.on_air_question_id) if episode.on_air_question_id else None
    if question is None or question.status is not S.ON_AIR:
        raise Conflict(_("No question is on air."))
    if not official.strip():
        answer = await db.scalar(
            select(Answer).where(
                Answer.question_id == question.id, Answer.status.in_([AnswerStatus.APPROVED, AnswerStatus.PUBLISHED])
            )
        )
        official = f"{answer.official_name}, {answer.official_title}".strip(", ") if answer else ""
    question.status = S.ANSWERED_ON_AIR
    question.answered_at = now or utcnow()
    question.answered_by_official = official.strip()[:255] or None
    episode.on_air_question_id = None
    episode.on_air_since = None
    audit.record(
        db,
        actor,
        "onair.done",
        "question",
        question.id,
        episode_id=episode_id,
        after={"official": question.answered_by_official},
    )
    # The citizens who asked are told, in this same transaction (the outbox survives a crash).
    await notifications.enqueue(db, MessageKind.ANSWERED_ON_AIR, question)
    await db.commit()
    await _publish(publisher, episode_id, [question.id], "answered_on_air")
    return question


async def pull_back(db: AsyncSession, actor: User, publisher: Publisher, episode_id: int) -> Question:
    """Take the question off air without answering it: it goes back to the rundown."""
    ensure_role(actor, Role.PRODUCER)
    episode = await _episode(db, episode_id)
    question = await db.get(Question, episode.on_air_question_id) if episode.on_air_question_id else None
    if question is None or question.status is not S.ON_AIR:
        raise Conflict(_("No question is on air."))
    question.status = S.QUEUED
    episode.on_air_question_id = None
    episode.on_air_since = None
    audit.record(db, actor, "onair.pull", "question", question.id, episode_id=episode_id)
    await db.commit()
    await _publish(publisher, episode_id, [question.id], "pulled")
    return question


async def next_on_air(db: AsyncSession, actor: User, publisher: Publisher, episode_id: int) -> Question:
    """Move on: the question on air (if any) is marked answered, the next one in the rundown goes on air."""
    ensure_role(actor, Role.PRODUCER)
    episode = await _episode(db, episode_id)
    if episode.on_air_question_id:
        await mark_answered(db, actor, publisher, episode_id)
    for entry in await entries(db, episode_id, include_skipped=False):
        if entry.question.status is S.QUEUED:
            return await put_on_air(db, actor, publisher, episode_id, entry.question.id)
    raise Conflict(_("The rundown is empty: nothing more to put on air."))
