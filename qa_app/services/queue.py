"""The moderation queue: filtered, paged questions of one episode and what their cards show.

A page costs a fixed handful of queries whatever the episode's size (count, page, channels of the
page's questions, the suggested questions' wording), so the board stays fast with 10,000 questions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from moderation import DuplicateIndex, fold
from qa_app.models import (
    Answer,
    AnswerStatus,
    Channel,
    Department,
    Question,
    QuestionStatus,
    RerouteRequest,
    RerouteStatus,
    Submission,
)

S = QuestionStatus
# "Needs attention": what moderators must act on.
ATTENTION = (S.NEW, S.ANSWER_REVIEW)
PER_PAGE = 50
SORTS = ("priority", "newest", "oldest", "most_asked")


async def merge_threshold(db: AsyncSession, episode_id: int) -> float:
    """The score a suggestion needs for the board to offer the one-key merge: the episode's
    suggestion confidence setting, or the duplicate index's default."""
    from qa_app.models import Episode

    value = await db.scalar(select(Episode.suggest_threshold).where(Episode.id == episode_id))
    return float(value) if value is not None else DuplicateIndex().suggest_threshold


@dataclass(frozen=True)
class QueueFilter:
    status: str = "attention"  # "attention", "all" or a QuestionStatus value
    department: str = ""
    channel: str = ""
    ward: str = ""
    text: str = ""
    sort: str = "priority"
    page: int = 1

    def query_string(self, **changes: Any) -> str:
        from urllib.parse import urlencode

        values = {
            "status": self.status,
            "department": self.department,
            "channel": self.channel,
            "ward": self.ward,
            "q": self.text,
            "sort": self.sort,
            "page": self.page,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@dataclass
class Card:
    """Everything one question card shows, loaded in bulk for a page."""

    question: Question
    channels: dict[str, int] = field(default_factory=dict)
    suggestions: list[tuple[Question, float]] = field(default_factory=list)
    route_suggestions: list[tuple[Department, float]] = field(default_factory=list)
    pending_reroute: RerouteRequest | None = None
    answer: Answer | None = None  # the department's answer awaiting approval (status answer_review)


@dataclass
class QueuePage:
    cards: list[Card]
    total: int
    page: int
    pages: int
    filters: QueueFilter


@dataclass(frozen=True)
class PageIds:
    """Which questions a page of the queue shows, in order: what a live board compares with what it shows."""

    ids: list[int]
    total: int
    page: int
    pages: int
    filters: QueueFilter


def _filtered(episode_id: int, filters: QueueFilter) -> Select[Any]:
    query = select(Question).where(Question.episode_id == episode_id, Question.status != S.MERGED)
    if filters.status == "attention":
        query = query.where(Question.status.in_(ATTENTION))
    elif filters.status in {s.value for s in QuestionStatus}:
        query = query.where(Question.status == QuestionStatus(filters.status))
    if filters.department == "none":
        query = query.where(Question.department_id.is_(None))
    elif filters.department:
        query = query.where(
            Question.department_id.in_(select(Department.id).where(Department.code == filters.department))
        )
    if filters.channel in {c.value for c in Channel}:
        channel = Channel(filters.channel)
        query = query.where(exists().where(Submission.question_id == Question.id, Submission.channel == channel))
    if filters.ward:
        query = query.where(Question.ward_code == filters.ward)
    if filters.text.strip():
        words = fold(filters.text).split()[:8]
        for word in words:
            query = query.where(Question.search_text.contains(word, autoescape=True))
    return query


def _ordered(query: Select[Any], sort: str) -> Select[Any]:
    if sort == "newest":
        return query.order_by(Question.created_at.desc(), Question.id.desc())
    if sort == "oldest":
        return query.order_by(Question.created_at, Question.id)
    if sort == "most_asked":
        return query.order_by(Question.submission_count.desc(), Question.id.desc())
    return query.order_by(Question.priority.desc(), Question.created_at.desc(), Question.id.desc())


async def page_ids(db: AsyncSession, episode_id: int, filters: QueueFilter, per_page: int = PER_PAGE) -> PageIds:
    query = _filtered(episode_id, filters)
    total = int(await db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, filters.page), pages)
    # Deferred join: find the page's ids on the index alone, then load only those rows.
    ids_query = _ordered(query.with_only_columns(Question.id), filters.sort)
    ids = list(await db.scalars(ids_query.offset((page - 1) * per_page).limit(per_page)))
    return PageIds(ids, total, page, pages, filters)


async def questions_by_ids(db: AsyncSession, ids: list[int]) -> list[Question]:
    """The questions of ``ids`` in that order (those that still exist)."""
    loaded = {q.id: q for q in await db.scalars(select(Question).where(Question.id.in_(ids)))} if ids else {}
    return [loaded[i] for i in ids if i in loaded]


async def queue_page(db: AsyncSession, episode_id: int, filters: QueueFilter, per_page: int = PER_PAGE) -> QueuePage:
    found = await page_ids(db, episode_id, filters, per_page)
    questions = await questions_by_ids(db, found.ids)
    return QueuePage(await cards_for(db, questions), found.total, found.page, found.pages, filters)


async def cards_for(db: AsyncSession, questions: list[Question]) -> list[Card]:
    """Load what the cards show for these questions in a fixed handful of queries."""
    if not questions:
        return []
    ids = [q.id for q in questions]
    channels: dict[int, dict[str, int]] = defaultdict(dict)
    for question_id, channel, count in (
        await db.execute(
            select(Submission.question_id, Submission.channel, func.count())
            .where(Submission.question_id.in_(ids))
            .group_by(Submission.question_id, Submission.channel)
        )
    ).all():
        channels[question_id][Channel(channel).value] = int(count)
    suggested_ids = {int(s[0]) for q in questions for s in (q.duplicate_suggestions or [])}
    suggested = (
        {q.id: q for q in await db.scalars(select(Question).where(Question.id.in_(suggested_ids)))}
        if suggested_ids
        else {}
    )
    codes = {str(r[0]) for q in questions for r in (q.route_suggestions or [])}
    departments = (
        {d.code: d for d in await db.scalars(select(Department).where(Department.code.in_(codes)))} if codes else {}
    )
    reroutes = {
        r.question_id: r
        for r in await db.scalars(
            select(RerouteRequest).where(
                RerouteRequest.question_id.in_(ids), RerouteRequest.status == RerouteStatus.PENDING
            )
        )
    }
    reviewing = [q.id for q in questions if q.status is S.ANSWER_REVIEW]
    answers: dict[int, Answer] = {}
    if reviewing:
        for answer in await db.scalars(
            select(Answer)
            .where(Answer.question_id.in_(reviewing), Answer.status == AnswerStatus.SUBMITTED)
            .order_by(Answer.id)
        ):
            answers[answer.question_id] = answer  # the latest submitted one
    cards = []
    for question in questions:
        suggestions = []
        for item in question.duplicate_suggestions or []:
            other = suggested.get(int(item[0]))
            # The suggestion may have been merged away since: follow only live ones.
            if other is not None and other.status is not S.MERGED and other.id != question.id:
                suggestions.append((other, float(item[1])))
        routes = [
            (departments[str(code)], float(conf))
            for code, conf in question.route_suggestions or []
            if str(code) in departments
        ]
        cards.append(
            Card(
                question,
                channels.get(question.id, {}),
                suggestions[:5],
                routes,
                reroutes.get(question.id),
                answers.get(question.id),
            )
        )
    return cards


async def card(db: AsyncSession, question_id: int) -> Card | None:
    question = await db.get(Question, question_id)
    if question is None:
        return None
    return (await cards_for(db, [question]))[0]


async def search_targets(db: AsyncSession, episode_id: int, text: str, exclude: int, limit: int = 10) -> list[Question]:
    """Questions to merge into, found by number ("#123" or "123") or by words (accents ignored)."""
    text = text.strip().lstrip("#")
    query = select(Question).where(
        Question.episode_id == episode_id, Question.id != exclude, Question.status.not_in([S.MERGED, S.REJECTED])
    )
    if text.isdigit():
        query = query.where(Question.id == int(text))
    else:
        words = fold(text).split()[:8]
        if not words:
            return []
        query = query.where(or_(*[Question.search_text.contains(w, autoescape=True) for w in words[:1]]))
        for word in words[1:]:
            query = query.where(Question.search_text.contains(word, autoescape=True))
    return list(await db.scalars(query.order_by(Question.submission_count.desc(), Question.id.desc()).limit(limit)))
