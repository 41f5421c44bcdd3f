"""What the staff workspace shows: counts per status and the latest questions, per episode or department."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.models import Department, Question, QuestionStatus

# Statuses in workflow order, as the counters show them.
STATUS_ORDER = [s.value for s in QuestionStatus if s is not QuestionStatus.MERGED]


async def status_counts(db: AsyncSession, episode_id: int, *, department_code: str | None = None) -> dict[str, int]:
    """Questions per status in one episode (merged ones excluded), optionally for one department."""
    query = (
        select(Question.status, func.count(Question.id))
        .where(Question.episode_id == episode_id, Question.status != QuestionStatus.MERGED)
        .group_by(Question.status)
    )
    if department_code is not None:
        query = query.join(Department, Department.id == Question.department_id).where(
            Department.code == department_code
        )
    counts = {status: 0 for status in STATUS_ORDER}
    for status, count in (await db.execute(query)).all():
        counts[QuestionStatus(status).value] = int(count)
    return counts


async def latest_questions(
    db: AsyncSession,
    episode_id: int,
    *,
    department_id: int | None = None,
    status: QuestionStatus | None = None,
    limit: int = 50,
) -> list[Question]:
    query = (
        select(Question)
        .where(Question.episode_id == episode_id, Question.status != QuestionStatus.MERGED)
        .order_by(Question.priority.desc(), Question.created_at.desc(), Question.id.desc())
        .limit(limit)
    )
    if department_id is not None:
        query = query.where(Question.department_id == department_id)
    if status is not None:
        query = query.where(Question.status == status)
    return list(await db.scalars(query))
