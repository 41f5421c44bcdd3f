"""The live publisher when the database stops answering between a commit and the render of its event."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.channels import ChannelsPlugin

from qa_app.app import create_template_environment
from qa_app.channels_backend import RESYNC, RESYNC_CHANNEL, ResilientChannelsBackend
from qa_app.db import create_engine, create_sessionmaker
from qa_app.events import QuestionChanged
from qa_app.web.live import LivePublisher, moderation_channel
from tests.factories import make_episode
from tests.faults.clients import until


class FlakyDatabase:
    """A session factory that refuses connections, as a database that went down, until ``up`` is set."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.up = False
        self.refused = 0

    def __call__(self) -> Any:
        if self.up:
            return self.real()
        self.refused += 1
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")


async def test_events_lost_while_the_database_is_down_make_every_screen_resync_when_it_is_back(
    settings: Any, db: Any
) -> None:
    episode = await make_episode(db, slug="ky-resync")
    engine = create_engine(settings.database_url)
    database = FlakyDatabase(create_sessionmaker(engine))
    plugin = ChannelsPlugin(backend=ResilientChannelsBackend(), arbitrary_channels_allowed=True)
    heard: list[bytes] = []

    async def record(data: bytes) -> None:
        heard.append(data)

    async with plugin:
        subscriber = await plugin.subscribe([moderation_channel(episode.id), RESYNC_CHANNEL])
        publisher = LivePublisher(plugin, database, create_template_environment(settings), "vi")
        async with subscriber.run_in_background(record):
            await publisher.publish(QuestionChanged(episode_id=episode.id, question_id=1, action="routed"))
            await until(lambda: database.refused >= 2, 10, "the render failed and the database is probed")
            await asyncio.sleep(0.3)
            assert heard == []  # nothing could be rendered, nothing was sent
            database.up = True
            await until(lambda: RESYNC in heard, 10, "a re-sync once the database answers")
            # Later events flow as usual.
            await publisher.publish(QuestionChanged(episode_id=episode.id, question_id=1, action="priority"))
            await until(lambda: any(b"board-counters" in m for m in heard), 10, "the next event")
        await publisher.close()
    await engine.dispose()
