"""Events are published after the commit: a subscriber that reads the database the moment an event
arrives, through a connection of its own (as another worker or a socket's snapshot would), already sees
the change the event announces. Publishing before the commit would announce a state nobody can read yet,
or one that is then rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.db import create_engine, create_sessionmaker
from qa_app.events import Event, RecordingPublisher
from qa_app.models import Episode, Question, RundownItem, Submission
from qa_app.services import episodes as episode_service
from qa_app.services import intake, rundown
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from qa_app.settings import Settings
from tests.factories import make_episode, make_staff

Reader = Callable[[AsyncSession], Awaitable[Any]]


class DatabaseWitness:
    """A publisher that, when an event arrives, reads what ``read`` looks at in a session of its own."""

    def __init__(self, settings: Settings, read: Reader) -> None:
        self.engine = create_engine(settings.database_url)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.read = read
        self.seen: list[tuple[Event, Any]] = []

    async def publish(self, event: Event) -> None:
        async with self.sessionmaker() as other:
            self.seen.append((event, await self.read(other)))


@pytest.fixture
async def witnesses(settings: Settings) -> AsyncIterator[Callable[[Reader], DatabaseWitness]]:
    made: list[DatabaseWitness] = []

    def make(read: Reader) -> DatabaseWitness:
        made.append(DatabaseWitness(settings, read))
        return made[-1]

    yield make
    for witness in made:
        await witness.engine.dispose()


QUESTION = "Xin hỏi khi nào sửa xong đoạn đường Nguyễn Trãi bị sụt lún trước chợ Bến Thành?"


async def _asked(db: AsyncSession, episode: Episode) -> int:
    form = intake.SubmissionForm(QUESTION)
    result = await intake.submit(db, ModerationEngines(), RecordingPublisher(), episode, form)
    return result.question_id


def _status_of(question_id: int) -> Reader:
    async def read(other: AsyncSession) -> str:
        return str((await other.scalar(select(Question.status).where(Question.id == question_id))).value)

    return read


async def test_episode_status(db: AsyncSession, witnesses: Any) -> None:
    episode = await make_episode(db)

    async def status(other: AsyncSession) -> str:
        return str((await other.scalar(select(Episode.status).where(Episode.id == episode.id))).value)

    witness = witnesses(status)
    await episode_service.change_status(db, None, witness, episode.id, "live")
    assert [seen for _, seen in witness.seen] == ["live"]


async def test_submission(db: AsyncSession, witnesses: Any) -> None:
    episode = await make_episode(db)

    async def submissions(other: AsyncSession) -> int:
        return int(await other.scalar(select(func.count(Submission.id))) or 0)

    witness = witnesses(submissions)
    await intake.submit(db, ModerationEngines(), witness, episode, intake.SubmissionForm(QUESTION))
    assert witness.seen and all(seen == 1 for _, seen in witness.seen)


@pytest.mark.parametrize("action", ["route", "reject"])
async def test_moderation_actions(db: AsyncSession, witnesses: Any, action: str) -> None:
    staff = await make_staff(db)
    episode = await make_episode(db)
    question_id = await _asked(db, episode)
    witness = witnesses(_status_of(question_id))
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=witness, engines=ModerationEngines())
    if action == "route":
        await actions.route(ctx, question_id, "so-xay-dung")
    else:
        await actions.reject(ctx, question_id, "off_topic")
    expected = "routed" if action == "route" else "rejected"
    assert witness.seen and all(seen == expected for _, seen in witness.seen)


async def test_rundown_and_on_air(db: AsyncSession, witnesses: Any) -> None:
    staff = await make_staff(db)
    episode = await make_episode(db)
    question_id = await _asked(db, episode)
    ctx = actions.ActionContext(
        db=db, actor=staff["moderator"], publisher=witnesses(_status_of(question_id)), engines=ModerationEngines()
    )
    await actions.route(ctx, question_id, "so-xay-dung")

    async def in_rundown(other: AsyncSession) -> tuple[str, int]:
        status = (await other.scalar(select(Question.status).where(Question.id == question_id))).value
        items = await other.scalar(select(func.count(RundownItem.id)).where(RundownItem.question_id == question_id))
        return str(status), int(items or 0)

    added = witnesses(in_rundown)
    await rundown.add(db, staff["producer"], added, episode.id, question_id)
    assert added.seen and all(seen == ("queued", 1) for _, seen in added.seen)

    async def on_air(other: AsyncSession) -> int | None:
        return await other.scalar(select(Episode.on_air_question_id).where(Episode.id == episode.id))

    aired = witnesses(on_air)
    await rundown.put_on_air(db, staff["producer"], aired, episode.id, question_id)
    assert aired.seen and all(seen == question_id for _, seen in aired.seen)
