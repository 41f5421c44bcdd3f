"""How long a worker keeps an episode's duplicate index, and how big it lets it grow."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import RecordingPublisher
from qa_app.models import Episode, EpisodeStatus
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from tests.factories import import_departments, make_episode

# Different route numbers keep these apart (never merged into one question).
BUS = "Tuyến xe buýt số {n} qua phường Bến Thành giờ cao điểm phải chờ 30 phút, khi nào tăng chuyến?"


async def _ask(db: AsyncSession, engines: ModerationEngines, episode: Episode, texts: list[str]) -> list[int]:
    ids = []
    for text in texts:
        result = await intake.submit(db, engines, RecordingPublisher(), episode, intake.SubmissionForm(text=text))
        ids.append(result.question_id)
    return ids


async def _set_status(db: AsyncSession, episode: Episode, status: EpisodeStatus) -> None:
    episode.status = status
    await db.commit()


async def test_an_archived_episodes_index_is_released_and_rebuilt_on_demand(db: AsyncSession) -> None:
    await import_departments(db)
    past = await make_episode(db, title="Kỳ tháng trước", slug="ky-thang-truoc")
    current = await make_episode(db, title="Kỳ tháng này", slug="ky-thang-nay")
    engines = ModerationEngines()
    engines.release_check_seconds = 0  # check at every use, not once a minute
    await _ask(db, engines, past, [BUS.format(n=n) for n in (19, 52, 86)])
    await _ask(db, engines, current, [BUS.format(n=7)])
    held = _held(engines)
    assert held == {past.id: 3, current.id: 1}
    old_index = weakref.ref(await engines.index_for(db, past))

    await _set_status(db, past, EpisodeStatus.CLOSED)
    await _set_status(db, past, EpisodeStatus.ARCHIVED)
    await _ask(db, engines, current, [BUS.format(n=8)])  # any use of the engines looks again
    assert _held(engines) == {current.id: 2}
    gc.collect()
    assert old_index() is None, "nothing else keeps the released index alive"

    # Used again (a look-up on the archived episode's page): rebuilt from the database.
    similar = await intake.similar_public_questions(
        db, engines, past, BUS.format(n=52), statuses=intake.MERGEABLE_STATUSES
    )
    assert similar and _held(engines)[past.id] == 3


async def test_closed_and_draft_episodes_are_released_open_and_live_kept(db: AsyncSession) -> None:
    await import_departments(db)
    opened = await make_episode(db, title="Kỳ đang nhận", slug="dang-nhan")
    live = await make_episode(db, title="Kỳ đang phát", slug="dang-phat", status=EpisodeStatus.LIVE)
    closing = await make_episode(db, title="Kỳ sắp đóng", slug="sap-dong")
    engines = ModerationEngines()
    engines.release_check_seconds = 0
    for n, episode in enumerate((opened, live, closing)):
        await _ask(db, engines, episode, [BUS.format(n=n + 1)])
    await _set_status(db, closing, EpisodeStatus.CLOSED)
    await _ask(db, engines, opened, [BUS.format(n=98)])
    assert set(_held(engines)) == {opened.id, live.id}
    await _set_status(db, live, EpisodeStatus.DRAFT)  # taken back to draft
    await _ask(db, engines, opened, [BUS.format(n=97)])
    assert set(_held(engines)) == {opened.id}


async def test_the_index_keeps_the_newest_questions_past_the_bound(db: AsyncSession) -> None:
    await import_departments(db)
    episode = await make_episode(db)
    engines = ModerationEngines()
    engines.max_per_episode = 8
    ids = await _ask(db, engines, episode, [BUS.format(n=n) for n in range(10, 20)])
    assert _held(engines) == {episode.id: 10}  # up to 125 % of the bound
    ids += await _ask(db, engines, episode, [BUS.format(n=20)])
    await engines.index_for(db, episode)  # 11 > 10: a fresh index is built in a thread
    await _rebuilt(engines, episode.id)
    index = await engines.index_for(db, episode)
    assert len(index) == 8 and all(i in index for i in ids[-8:]) and ids[0] not in index
    # The new questions keep coming in; old ones reworded by a moderator are not taken back.
    ids += await _ask(db, engines, episode, [BUS.format(n=21)])
    engines.indexed(episode.id, ids[0], BUS.format(n=110))
    index = await engines.index_for(db, episode)
    assert ids[-1] in index and ids[0] not in index and len(index) == 9


def _held(engines: ModerationEngines) -> dict[int, int]:
    """Episode id -> questions indexed, for the indexes the worker holds."""
    return {episode_id: len(entry.index) for episode_id, entry in engines._indexes.items()}


async def _rebuilt(engines: ModerationEngines, episode_id: int) -> None:
    entry: Any = engines._indexes[episode_id]
    assert entry.rebuilding is not None
    await entry.rebuilding
