"""The consent promise: personal data past its retention is removed by the app itself, shortly after it
starts and then every 6 hours, with nobody pressing a button. Driven by a controllable clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.app import create_app
from qa_app.events import RecordingPublisher
from qa_app.models import Episode, Question, QuestionStatus, Submission
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from qa_app.timeutil import utcnow
from tests.factories import make_episode

SIX_HOURS = 6 * 3600


@dataclass
class VirtualClock:
    """``sleep`` waits until the test moves the clock past the wake-up time; ``asked`` keeps every wait."""

    now: float = 0.0
    asked: list[float] = field(default_factory=list)
    sleepers: list[tuple[float, asyncio.Future[None]]] = field(default_factory=list)
    asking: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def sleep(self, seconds: float) -> None:
        async with self.asking:
            self.asked.append(seconds)
            self.asking.notify_all()
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.now + seconds, wake))
        await wake

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for when, wake in list(self.sleepers):
            if when <= self.now:
                self.sleepers.remove((when, wake))
                wake.get_loop().call_soon_threadsafe(wake.set_result, None)


async def _expired_submission(db: AsyncSession, episode: Episode, text: str) -> int:
    """A submission with a contact, on a question rejected 100 days ago (past the 90-day retention)."""
    await db.refresh(episode)
    form = intake.SubmissionForm(text=text, name="Trần Thị Bình", contact="0987654321", consent_contact=True)
    result = await intake.submit(db, ModerationEngines(), RecordingPublisher(), episode, form)
    question = await db.get(Question, result.question_id)
    assert question is not None
    question.status, question.updated_at = QuestionStatus.REJECTED, utcnow() - timedelta(days=100)
    await db.commit()
    submission = await db.scalar(select(Submission).where(Submission.question_id == result.question_id))
    assert submission is not None
    return submission.id


async def _contact(db: AsyncSession, submission_id: int) -> str | None:
    db.expire_all()
    return await db.scalar(select(Submission.contact).where(Submission.id == submission_id))


async def _until_purged(db: AsyncSession, submission_id: int) -> None:
    async with asyncio.timeout(15):
        while await _contact(db, submission_id) is not None:  # noqa: ASYNC110 - another connection's write
            await asyncio.sleep(0.05)


async def _idle(clock: VirtualClock, waits: int) -> None:
    """Until the schedule has asked for its ``waits``-th sleep (its run before it is over)."""
    async with asyncio.timeout(15), clock.asking:
        await clock.asking.wait_for(lambda: len(clock.asked) >= waits)


async def test_the_app_purges_on_start_and_every_six_hours(settings_factory: Any, db: AsyncSession) -> None:
    episode = await make_episode(db)
    first = await _expired_submission(db, episode, "Hẻm 30 đường Lê Văn Sỹ bị ngập mỗi khi mưa lớn, ai xử lý?")
    # Any environment but "test" starts the schedules (the test settings leave them to the tests).
    app = create_app(settings_factory(environment="development"))
    clock = VirtualClock()
    app.state.retention.sleep = clock.sleep
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):
        await _idle(clock, 1)
        assert clock.asked == [60]  # the first run a minute after start
        clock.advance(59)
        await asyncio.sleep(0.2)
        assert await _contact(db, first) == "0987654321"
        clock.advance(1)
        await _until_purged(db, first)
        await _idle(clock, 2)
        assert clock.asked == [60, SIX_HOURS]

        second = await _expired_submission(db, episode, "Đèn tín hiệu ngã tư Hàng Xanh hỏng ba ngày chưa sửa?")
        clock.advance(SIX_HOURS - 1)
        await asyncio.sleep(0.2)
        assert await _contact(db, second) == "0987654321"
        clock.advance(1)
        await _until_purged(db, second)
        await _idle(clock, 3)
        assert clock.asked == [60, SIX_HOURS, SIX_HOURS]
