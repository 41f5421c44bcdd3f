"""What the studio screen and the public board show, built from public data only.

These views are projections that simply have no contact, name or raw text in them: a template
mistake on a public screen cannot leak what it never receives. A wording no moderator has reviewed yet
comes with its remaining name-like sequences and digit runs masked (services/wording.py).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from moderation import fold
from qa_app.models import Answer, AnswerStatus, Department, Episode, Question, QuestionStatus, RundownItem
from qa_app.security import sign
from qa_app.services.citizen_status import asker_names, public_answer_text
from qa_app.services.wording import citizen_wording
from qa_app.timeutil import utcnow

S = QuestionStatus
ANSWERED = (S.ANSWERED_ON_AIR, S.ANSWERED_IN_WRITING)


@dataclass(frozen=True)
class PublicQuestion:
    id: int
    text: str
    department: str | None
    department_code: str | None
    citizens: int
    status: str
    official: str | None
    answer: str | None
    answered_at: datetime | None
    commitments: tuple[tuple[str, str], ...] = ()
    on_air_text: str | None = None  # the moderator's short wording for the studio screen, if any


@dataclass(frozen=True)
class StudioState:
    episode_id: int
    episode_slug: str
    title: str
    theme: str
    status: str
    on_air: PublicQuestion | None
    next_up: tuple[PublicQuestion, ...]
    received: int
    answered: int
    updated_at: datetime


def studio_token(secret: str, episode: Episode) -> str:
    """The signature in a studio screen's link; revoked by bumping the episode's link version."""
    return sign(secret, f"studio:{episode.id}:{episode.studio_link_version}")[:40]


def studio_token_valid(secret: str, episode: Episode, token: str) -> bool:
    return hmac.compare_digest(studio_token(secret, episode), token)


def _official_for(question: Question, answer: Answer | None) -> str | None:
    if question.answered_by_official:
        return question.answered_by_official
    if answer is not None and answer.official_name:
        return ", ".join(part for part in (answer.official_name, answer.official_title) if part)
    return None


async def _answers(db: AsyncSession, question_ids: list[int]) -> dict[int, Answer]:
    if not question_ids:
        return {}
    found: dict[int, Answer] = {}
    for answer in await db.scalars(
        select(Answer)
        .where(Answer.question_id.in_(question_ids), Answer.status.in_([AnswerStatus.APPROVED, AnswerStatus.PUBLISHED]))
        .order_by(Answer.id)
    ):
        found[answer.question_id] = answer
    return found


def _public(
    question: Question, answer: Answer | None, *, with_answer: bool, names: list[str] | None = None
) -> PublicQuestion:
    department = question.department
    commitments: tuple[tuple[str, str], ...] = ()
    if with_answer and answer is not None:
        commitments = tuple((c.what, c.due_date.strftime("%d/%m/%Y") if c.due_date else "") for c in answer.commitments)
    return PublicQuestion(
        id=question.id,
        text=citizen_wording(question),
        department=department.name if department else None,
        department_code=department.code if department else None,
        citizens=question.submission_count,
        status=question.status.value,
        official=_official_for(question, answer),
        answer=public_answer_text(answer.body, names or []) if with_answer and answer is not None else None,
        answered_at=question.answered_at,
        commitments=commitments,
        on_air_text=question.on_air_text,
    )


async def studio_state(db: AsyncSession, episode_id: int) -> StudioState | None:
    episode = await db.get(Episode, episode_id)
    if episode is None:
        return None
    on_air_question = await db.get(Question, episode.on_air_question_id) if episode.on_air_question_id else None
    upcoming = list(
        await db.scalars(
            select(Question)
            .join(RundownItem, RundownItem.question_id == Question.id)
            .where(RundownItem.episode_id == episode_id, RundownItem.skipped.is_(False), Question.status == S.QUEUED)
            .order_by(RundownItem.position, RundownItem.id)
            .limit(3)
        )
    )
    ids = [q.id for q in upcoming] + ([on_air_question.id] if on_air_question else [])
    answers = await _answers(db, ids)
    received = int(
        await db.scalar(
            select(func.coalesce(func.sum(Question.submission_count), 0)).where(
                Question.episode_id == episode_id, Question.status != S.MERGED
            )
        )
        or 0
    )
    answered = int(
        await db.scalar(select(func.count()).where(Question.episode_id == episode_id, Question.status.in_(ANSWERED)))
        or 0
    )
    return StudioState(
        episode_id=episode.id,
        episode_slug=episode.slug,
        title=episode.title,
        theme=episode.theme,
        status=episode.status.value,
        on_air=_public(on_air_question, answers.get(on_air_question.id), with_answer=False)
        if on_air_question
        else None,
        next_up=tuple(_public(q, answers.get(q.id), with_answer=False) for q in upcoming),
        received=received,
        answered=answered,
        updated_at=utcnow(),
    )


async def published_answers(
    db: AsyncSession, episode_id: int, *, text: str = "", department: str = "", limit: int = 30, offset: int = 0
) -> tuple[list[PublicQuestion], int]:
    """Answered questions (on air and in writing) with their published answers; accent-insensitive search."""
    query = select(Question).where(Question.episode_id == episode_id, Question.status.in_(ANSWERED))
    if department:
        query = query.where(Question.department_id.in_(select(Department.id).where(Department.code == department)))
    words = fold(text).split()[:8] if text.strip() else []
    for word in words:
        query = query.where(or_(Question.search_text.contains(word, autoescape=True)))
    ordered = query.order_by(Question.answered_at.desc().nulls_last(), Question.id.desc())
    if words:
        # The search must not find what the board hides: a wording not yet reviewed is shown with
        # name-like words and long numbers masked, so searching a name must not reveal which question
        # holds it. Such wordings are matched on what is shown (answered questions are a few hundred).
        candidates = list(await db.scalars(ordered.limit(_SEARCH_CANDIDATES)))
        shown = [q for q in candidates if q.wording_reviewed_at is not None or _shows_all(q, words)]
        total = len(shown)
        questions = shown[offset : offset + limit]
    else:
        total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
        questions = list(await db.scalars(ordered.offset(offset).limit(limit)))
    answers = {
        qid: a
        for qid, a in (await _answers(db, [q.id for q in questions])).items()
        if a.status is AnswerStatus.PUBLISHED or questions_by_id(questions)[qid].status is S.ANSWERED_ON_AIR
    }
    names = await asker_names(db, answers)
    return [_public(q, answers.get(q.id), with_answer=True, names=names.get(q.id)) for q in questions], total


_SEARCH_CANDIDATES = 2000


def _shows_all(question: Question, words: list[str]) -> bool:
    shown = fold(citizen_wording(question))
    return all(word in shown for word in words)


def questions_by_id(questions: list[Question]) -> dict[int, Question]:
    return {q.id: q for q in questions}
