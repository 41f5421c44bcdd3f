"""Arrange data through the same services the app uses (no hand-written rows)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.models import Episode, EpisodeStatus, Role, User
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
