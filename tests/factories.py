"""Arrange data through the same services the app uses (no hand-written rows)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.models import Answer, AnswerStatus, Episode, EpisodeStatus, Question, QuestionStatus, Role, User
from qa_app.security import Passwords
from qa_app.services import departments as department_service
from qa_app.services import episodes as episode_service
from qa_app.services import users as user_service

TEST_PASSWORD = "mat-khau-kiem-thu-2026"
FAST_PASSWORDS = Passwords(time_cost=1, memory_cost=1024)


async def import_departments(db: AsyncSession) -> None:
    await department_service.import_catalogue(db, None, department_service.load_catalogue())


async def make_user(
    db: AsyncSession, username: str, role: Role | str, department_code: str | None = None, password: str = TEST_PASSWORD
) -> User:
    return await user_service.create_user(
        db, FAST_PASSWORDS, None, username=username, password=password, role=role, department_code=department_code
    )


async def make_episode(
    db: AsyncSession, *, title: str = "Kỳ kiểm thử", status: EpisodeStatus = EpisodeStatus.OPEN, slug: str = ""
) -> Episode:
    episode = await episode_service.create_episode(db, None, episode_service.EpisodeForm(title=title, slug=slug))
    if status is not EpisodeStatus.DRAFT:
        episode.status = status
        await db.commit()
    return episode


async def make_staff(db: AsyncSession) -> dict[str, User]:
    """One account per role; officers of two departments for isolation tests."""
    await import_departments(db)
    return {
        "admin": await make_user(db, "admin", Role.ADMIN),
        "moderator": await make_user(db, "moderator", Role.MODERATOR),
        "operator": await make_user(db, "operator", Role.OPERATOR),
        "producer": await make_user(db, "producer", Role.PRODUCER),
        "officer_a": await make_user(db, "officer_a", Role.OFFICER, "so-xay-dung"),
        "officer_b": await make_user(db, "officer_b", Role.OFFICER, "so-y-te"),
    }


async def make_answer(
    db: AsyncSession,
    question_id: int,
    *,
    status: AnswerStatus = AnswerStatus.APPROVED,
    official_name: str = "Nguyễn Văn Hùng",
    official_title: str = "Giám đốc Sở Xây dựng",
    body: str = "Sở sẽ thực hiện trong quý tới.",
) -> Answer:
    """The routed question's department answer, submitted for review or approved, the question moved on with it
    (in review, or ready to air). Written as a row: the department's drafting screens are not under test here."""
    question = await db.get(Question, question_id)
    assert question is not None and question.department_id is not None, "route the question first"
    answer = Answer(
        question_id=question_id,
        department_id=question.department_id,
        official_name=official_name,
        official_title=official_title,
        body=body,
        status=status,
    )
    db.add(answer)
    question.status = QuestionStatus.READY if status is AnswerStatus.APPROVED else QuestionStatus.ANSWER_REVIEW
    await db.commit()
    return answer
